using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Marketplace.Host.Tests.Api;

public class StartupProblemTests
{
    [Fact]
    public void Explain_PortInUseDeepInside_SaysWhatToDo()
    {
        var failure = new AggregateException(new IOException("Failed to bind", new SocketException((int)SocketError.AddressAlreadyInUse)));
        Assert.Contains("--Cluster:SiloPort", StartupProblem.Explain(failure));
    }

    [Fact]
    public void Explain_UnknownProvider_PointsToReadme()
    {
        var explanation = StartupProblem.Explain(new InvalidOperationException("Storage:Provider 'Foo' is not known; use Sqlite, AzureStorage or Memory."));
        Assert.StartsWith("Configuration error: Storage:Provider 'Foo'", explanation);
        Assert.Contains("README.md", explanation);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}")]
    [InlineData("http://localhost:{0}")]
    [InlineData("http://127.0.0.1:0;http://localhost:{0}")]
    public void EnsureHttpPortsFree_APortTaken_ThrowsWhatExplainNames_AndAFreeOneDoesNot(string urls)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var busy = Settings(string.Format(System.Globalization.CultureInfo.InvariantCulture, urls, port));

        var failure = Assert.Throws<SocketException>(() => StartupProblem.EnsureHttpPortsFree(busy));
        Assert.Equal(SocketError.AddressAlreadyInUse, failure.SocketErrorCode);
        Assert.Contains("--urls", StartupProblem.Explain(failure));

        taken.Stop();
        StartupProblem.EnsureHttpPortsFree(busy);
    }

    /// <summary>The whole host: a taken HTTP port stops it before its silo starts (no Orleans lines, nothing joined).</summary>
    [Fact]
    public async Task Host_WithItsHttpPortTaken_ExitsBeforeItsSiloStarts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var data = Directory.CreateTempSubdirectory("marketplace-port-").FullName;
        try
        {
            var (exitCode, output) = await HostProcess.RunCommandAsync(
                [$"--DataPath={data}", $"--urls=http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}"], TimeSpan.FromSeconds(60));
            Assert.Equal(1, exitCode);
            Assert.Contains("A port is already in use", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Orleans", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static IConfiguration Settings(string urls) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = urls }).Build();

    [Fact]
    public void Explain_AnythingElse_IsLeftToTheStackTrace()
        => Assert.Null(StartupProblem.Explain(new NullReferenceException()));
}
