using Microsoft.Data.Sqlite;

namespace Marketplace.Grains.Storage;

/// <summary>The embedded SQLite file: opens connections with the marketplace's pragmas and creates the schema once.</summary>
public sealed class SqliteDatabase
{
    private readonly SqliteStorageOptions _options;

    /// <summary>Creates the file and its tables if missing.</summary>
    public SqliteDatabase(SqliteStorageOptions options)
    {
        _options = options;
        var folder = Path.GetDirectoryName(Path.GetFullPath(options.Path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        if (_options.Synchronous is not ("FULL" or "NORMAL"))
        {
            throw new ArgumentException($"{nameof(SqliteStorageOptions)}.{nameof(SqliteStorageOptions.Synchronous)} must be FULL or NORMAL, not '{options.Synchronous}'.");
        }

        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS grain_state (
                service_id TEXT NOT NULL,
                state_name TEXT NOT NULL,
                grain_id   TEXT NOT NULL,
                etag       INTEGER NOT NULL,
                payload    BLOB NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (service_id, state_name, grain_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS reminders (
                service_id    TEXT NOT NULL,
                grain_id      TEXT NOT NULL,
                reminder_name TEXT NOT NULL,
                grain_hash    INTEGER NOT NULL,
                start_at      TEXT NOT NULL,
                period_ms     INTEGER NOT NULL,
                etag          INTEGER NOT NULL,
                PRIMARY KEY (service_id, grain_id, reminder_name)
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS reminders_by_hash ON reminders (service_id, grain_hash);
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Opens a pooled connection with the configured durability.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_options.ConnectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA synchronous={_options.Synchronous}; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
