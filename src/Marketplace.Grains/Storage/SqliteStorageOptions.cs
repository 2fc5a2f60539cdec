namespace Marketplace.Grains.Storage;

/// <summary>Options of the embedded SQLite grain storage (<c>Storage:Sqlite</c>).</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>Path of the database file; relative paths are under the content root. The host's default is <c>marketplace.db</c> in its data folder (<c>DataPath</c>).</summary>
    public string Path { get; set; } = "data/marketplace.db";

    /// <summary>
    /// SQLite <c>synchronous</c> setting: <c>FULL</c> (default) makes every acknowledged write survive a power cut;
    /// <c>NORMAL</c> survives a process crash only and is faster.
    /// </summary>
    public string Synchronous { get; set; } = "FULL";

    /// <summary>The connection string for <see cref="Path"/>.</summary>
    public string ConnectionString => $"Data Source={Path};Cache=Private;Pooling=True;Default Timeout=30";
}
