using Marketplace.Host.Deploy;
using Microsoft.Extensions.Configuration;

namespace Marketplace.Host.Tests.Deploy;

public class KubernetesHostingTests
{
    [Theory]
    [InlineData(null, "10.0.0.1", false)]
    [InlineData("false", "10.0.0.1", false)]
    [InlineData("true", null, false)]
    [InlineData("true", "", false)]
    [InlineData("true", "10.0.0.1", true)]
    public void Applies_OnlyWhenAskedForAndInsideAPod(string? setting, string? kubernetesServiceHost, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [KubernetesHosting.Setting] = setting }).Build();
        Assert.Equal(expected, KubernetesHosting.Applies(configuration, kubernetesServiceHost));
    }
}
