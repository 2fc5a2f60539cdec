using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Marketplace.Grains.Storage;

/// <summary>Where grains keep their state (<c>Storage</c> section).</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Storage";

    /// <summary>The grain storage name every marketplace grain uses.</summary>
    public const string StoreName = "marketplace";

    /// <summary><c>Sqlite</c> (default, embedded), <c>AzureStorage</c> (Azure Table, for clusters) or <c>Memory</c> (tests only).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>Embedded SQLite settings.</summary>
    public SqliteStorageOptions Sqlite { get; set; } = new();

    /// <summary>Azure Storage settings.</summary>
    public AzureStorageSettings AzureStorage { get; set; } = new();
}

/// <summary>Azure Storage settings (<c>Storage:AzureStorage</c>).</summary>
public sealed class AzureStorageSettings
{
    /// <summary>Storage account connection string; for Azurite use explicit endpoints (see README).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Table holding grain state. Default <c>MarketplaceGrainState</c>.</summary>
    public string TableName { get; set; } = "MarketplaceGrainState";
}

/// <summary>How silos find each other (<c>Cluster</c> section).</summary>
public sealed class ClusterSettings
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Cluster";

    /// <summary><c>Localhost</c> (default, one silo) or <c>AzureStorage</c> (Azure Table membership, several hosts).</summary>
    public string Provider { get; set; } = "Localhost";

    /// <summary>Identifies the deployment; state and reminders are keyed by it. Default <c>marketplace</c>.</summary>
    public string ServiceId { get; set; } = "marketplace";

    /// <summary>Identifies this cluster incarnation. Default <c>marketplace</c>.</summary>
    public string ClusterId { get; set; } = "marketplace";

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Azure Storage connection string for membership and reminders in cluster mode; defaults to <c>Storage:AzureStorage:ConnectionString</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The address this silo listens on and tells the other silos (an IP address or a host name). Only in cluster mode;
    /// default: this machine's first non-loopback IPv4 address (loopback when it has none). The embedded mode
    /// (<c>Localhost</c>) always uses loopback.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// Cluster mode: how long a silo waits for another's answer to a liveness probe before counting it missed. Default
    /// 1 s (Orleans: 5 s). With <see cref="MissedProbesLimit"/> it decides how soon a killed host is declared dead and its
    /// grains come back on the others (measured: about 1 s here against 8–16 s with Orleans' defaults); too short on an
    /// overloaded machine declares a live but stalled host dead, which then restarts its silo.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cluster mode: probes missed in a row before a silo suspects another. Default 2 (Orleans: 3).</summary>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>Cluster mode: how often each silo re-reads the membership table. Default 2 s (Orleans: 60 s).</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Cluster mode: how often a silo writes its I-am-alive time into the membership table. Default 5 s (Orleans: 5 minutes).</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The address to advertise and listen on, as <see cref="AdvertisedAddress"/> describes.</summary>
    /// <param name="hostAddresses">This machine's addresses; by default those of its network interfaces that are up.</param>
    public IPAddress ResolveAdvertisedAddress(IEnumerable<IPAddress>? hostAddresses = null)
    {
        if (Provider == "Localhost")
        {
            return IPAddress.Loopback;
        }

        if (!string.IsNullOrWhiteSpace(AdvertisedAddress))
        {
            if (IPAddress.TryParse(AdvertisedAddress, out var parsed))
            {
                return parsed;
            }

            try
            {
                return Dns.GetHostAddresses(AdvertisedAddress).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidOperationException(
                    $"{Section}:{nameof(AdvertisedAddress)} '{AdvertisedAddress}' is neither an IP address nor a host name this machine can resolve.", e);
            }
        }

        return (hostAddresses ?? InterfaceAddresses())
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;
    }

    private static IEnumerable<IPAddress> InterfaceAddresses()
        => NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address));
}
