using System.Net;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>Which address a silo advertises: one other machines can reach in cluster mode, loopback when embedded.</summary>
public sealed class ClusterSettingsTests
{
    private static readonly IPAddress[] HostAddresses =
        [IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("fe80::1"), IPAddress.Parse("10.0.4.17"), IPAddress.Parse("192.168.1.5")];

    [Fact]
    public void ClusterMode_WithoutSetting_AdvertisesTheFirstNonLoopbackIPv4Address()
        => Assert.Equal(IPAddress.Parse("10.0.4.17"), new ClusterSettings { Provider = "AzureStorage" }.ResolveAdvertisedAddress(HostAddresses));

    [Fact]
    public void ClusterMode_MachineWithOnlyLoopback_AdvertisesLoopback()
        => Assert.Equal(IPAddress.Loopback, new ClusterSettings { Provider = "AzureStorage" }.ResolveAdvertisedAddress([IPAddress.Loopback, IPAddress.IPv6Loopback]));

    [Fact]
    public void ClusterMode_ConfiguredAddress_IsAdvertised()
        => Assert.Equal(IPAddress.Parse("192.168.1.5"),
            new ClusterSettings { Provider = "AzureStorage", AdvertisedAddress = "192.168.1.5" }.ResolveAdvertisedAddress(HostAddresses));

    [Fact]
    public void ClusterMode_ConfiguredHostName_IsResolved()
        => Assert.True(IPAddress.IsLoopback(new ClusterSettings { Provider = "AzureStorage", AdvertisedAddress = "localhost" }.ResolveAdvertisedAddress(HostAddresses)));

    [Fact]
    public void ClusterMode_UnresolvableName_IsAnErrorNamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            new ClusterSettings { Provider = "AzureStorage", AdvertisedAddress = "no-such-host.invalid" }.ResolveAdvertisedAddress(HostAddresses));
        Assert.Contains("Cluster:AdvertisedAddress", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmbeddedMode_AlwaysLoopback()
        => Assert.Equal(IPAddress.Loopback, new ClusterSettings { Provider = "Localhost", AdvertisedAddress = "192.168.1.5" }.ResolveAdvertisedAddress(HostAddresses));

    [Fact]
    public void ThisMachine_ClusterMode_IsNotLoopbackWhenItHasANetwork()
    {
        var resolved = new ClusterSettings { Provider = "AzureStorage" }.ResolveAdvertisedAddress();
        var hasNetwork = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Any(n =>
            n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up
            && n.GetIPProperties().UnicastAddresses.Any(u => u.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(u.Address)));
        Assert.Equal(hasNetwork, !IPAddress.IsLoopback(resolved));
    }
}
