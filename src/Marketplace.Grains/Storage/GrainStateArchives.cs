using Azure.Data.Tables;

namespace Marketplace.Grains.Storage;

/// <summary>Opens the <see cref="IGrainStateArchive"/> of the configured grain storage (<c>Storage:Provider</c>).</summary>
public static class GrainStateArchives
{
    /// <summary>The archive reading <paramref name="storage"/>'s grain states of service <paramref name="serviceId"/>.</summary>
    /// <param name="storage">The storage settings.</param>
    /// <param name="serviceId">The deployment's <c>Cluster:ServiceId</c>: states are keyed by it.</param>
    /// <param name="sqlite">The open SQLite file to share, if the caller has one.</param>
    public static IGrainStateArchive Open(StorageOptions storage, string serviceId, SqliteDatabase? sqlite = null) => storage.Provider switch
    {
        "Sqlite" => new SqliteGrainStateArchive(sqlite ?? new SqliteDatabase(storage.Sqlite), serviceId),
        "AzureStorage" => new AzureTableGrainStateArchive(
            new TableServiceClient(storage.AzureStorage.ConnectionString
                                   ?? throw new InvalidOperationException("Storage:Provider is AzureStorage but Storage:AzureStorage:ConnectionString is not set."))
                .GetTableClient(storage.AzureStorage.TableName),
            serviceId),
        _ => new UnavailableGrainStateArchive(),
    };
}
