using Marketplace.Testing;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>The stores the storage contracts run against: a fresh SQLite file, or a fresh table on Azurite.</summary>
internal static class ContractStores
{
    /// <summary>Cluster settings for SQLite grain storage in a file under <paramref name="folder"/>.</summary>
    public static Dictionary<string, string?> Sqlite(string folder)
    {
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db");
        return settings;
    }

    /// <summary>Deletes a SQLite contract's folder once its pooled connections are closed.</summary>
    public static void DeleteSqlite(string folder)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Cluster settings for Azure Table grain storage in <paramref name="table"/> on the Azurite that <c>./test.sh</c> starts.</summary>
    public static Dictionary<string, string?> AzureTable(string table)
    {
        var settings = TestClusters.Settings("AzureStorage");
        settings["Storage:AzureStorage:ConnectionString"] = Azurite.ConnectionString;
        settings["Storage:AzureStorage:TableName"] = table;
        return settings;
    }
}
