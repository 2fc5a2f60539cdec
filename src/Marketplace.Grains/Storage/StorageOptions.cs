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
}
