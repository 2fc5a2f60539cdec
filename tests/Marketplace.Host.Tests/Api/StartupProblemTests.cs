using System.Net.Sockets;

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

    [Fact]
    public void Explain_AnythingElse_IsLeftToTheStackTrace()
        => Assert.Null(StartupProblem.Explain(new NullReferenceException()));
}
