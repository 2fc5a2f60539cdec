using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Marketplace.Host.Tests.Cluster;

/// <summary>
/// A host asked to stop (SIGTERM) stops within a bounded time even when its storage has gone away: Azure Table storage
/// (membership, grain state, reminders) reached through a forwarder that then vanishes. The host here has a short
/// <c>ShutdownTimeout</c> (the bound is that plus 2 s whatever happens), so the test does not wait out the default's
/// 12 s; that the default's bound fits an orchestrator's grace period is checked on its own.
/// </summary>
public partial class BoundedShutdownTests(ITestOutputHelper output)
{
    /// <summary>What an orchestrator waits before it kills (Kubernetes' default grace period is 30 s).</summary>
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(15);

    /// <summary>The stopping host's <c>ShutdownTimeout</c> in the test.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The bound the host promises (<c>ShutdownTimeout</c> plus 2 s), with 3 s for the process to end on a busy machine.</summary>
    private static readonly TimeSpan Bound = ShutdownTimeout + TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(3);

    [Fact]
    public void DefaultShutdownTimeout_WithItsTwoSecondsMore_FitsTheGracePeriod()
    {
        var timeout = HostSetup.ShutdownTimeout(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Assert.Equal(TimeSpan.FromSeconds(10), timeout);
        Assert.True(timeout + TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(3) <= GracePeriod);
    }

    [Fact]
    public async Task Stop_AfterStorageWentAway_ExitsWithinTheBound()
    {
        var azurite = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite.");
        var table = TableEndpoint().Match(azurite);
        Assert.True(table.Success, "MARKETPLACE_TEST_AZURITE has no explicit TableEndpoint=http://host:port/");
        using var forwarder = new TcpForwarder(new IPEndPoint(IPAddress.Parse(table.Groups["host"].Value), int.Parse(table.Groups["port"].Value, CultureInfo.InvariantCulture)));
        var connection = TableEndpoint().Replace(azurite, $"TableEndpoint=http://127.0.0.1:{forwarder.Port}/");

        var folder = Directory.CreateTempSubdirectory("marketplace-stop-").FullName;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var address = new Uri($"http://127.0.0.1:{MarketplaceServer.FreePort()}");
        string[] settings =
        [
            $"--urls={address}",
            $"--DataPath={folder}",
            "--Storage:Provider=AzureStorage",
            $"--Storage:AzureStorage:ConnectionString={connection}",
            $"--Storage:AzureStorage:TableName=Stop{suffix}",
            "--Cluster:Provider=AzureStorage",
            $"--Cluster:ServiceId=stop-{suffix}",
            $"--Cluster:ClusterId=stop-{suffix}",
            "--Cluster:AdvertisedAddress=127.0.0.1",
            $"--Cluster:SiloPort={MarketplaceServer.FreePort()}",
            $"--Cluster:GatewayPort={MarketplaceServer.FreePort()}",
            "--Search:Provider=None",
            $"--ShutdownTimeout={ShutdownTimeout:c}",
            "--Logging:LogLevel:Default=Warning",
        ];
        try
        {
            var clock = Stopwatch.StartNew();
            using var host = await HostProcess.StartAsync(settings, address);
            output.WriteLine($"the host was ready after {clock.Elapsed.TotalSeconds:F1} s");

            forwarder.Vanish();
            clock.Restart();
            // The host notices: readiness (a grain reading storage) fails.
            using (var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) })
            {
                Assert.True(await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK, TimeSpan.FromSeconds(30)),
                    "the host still reports ready with its storage gone");
            }

            output.WriteLine($"readiness failed {clock.Elapsed.TotalSeconds:F1} s after the storage went away");
            var stopping = Stopwatch.StartNew();
            host.Terminate();
            var exited = host.WaitForExit(Bound + TimeSpan.FromSeconds(30));
            output.WriteLine($"asked to stop with its storage gone, the host {(exited ? "exited" : "was still running")} after {stopping.Elapsed.TotalSeconds:F1} s");
            Assert.True(exited && stopping.Elapsed <= Bound, $"the host took {stopping.Elapsed.TotalSeconds:F1} s to stop (bound {Bound.TotalSeconds} s): {host.Output[^Math.Min(host.Output.Length, 3000)..]}");
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [GeneratedRegex(@"TableEndpoint=http://(?<host>[^:/;]+):(?<port>\d+)/")]
    private static partial Regex TableEndpoint();
}
