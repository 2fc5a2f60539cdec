using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using SQLitePCL;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Orleans reminders kept in the embedded SQLite file, so timed work (a hold lapsing) survives a restart. Changes go
/// through the file's group commit with the grain states' writes (one fsync for many lots registering their deadlines).
/// </summary>
public sealed class SqliteReminderTable(SqliteDatabase database, IOptions<ClusterOptions> cluster) : IReminderTable
{
    private readonly string _serviceId = cluster.Value.ServiceId;

    /// <inheritdoc />
    public Task Init() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, reminder_name, start_at, period_ms, etag FROM reminders WHERE service_id = $s AND grain_id = $g";
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        return new ReminderTableData(await ReadAllAsync(command));
    }

    /// <inheritdoc />
    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        // The ring range is (begin, end]; when begin >= end it wraps around zero.
        command.CommandText = begin < end
            ? "SELECT grain_id, reminder_name, start_at, period_ms, etag FROM reminders WHERE service_id = $s AND grain_hash > $b AND grain_hash <= $e"
            : "SELECT grain_id, reminder_name, start_at, period_ms, etag FROM reminders WHERE service_id = $s AND (grain_hash > $b OR grain_hash <= $e)";
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$b", (long)begin);
        command.Parameters.AddWithValue("$e", (long)end);
        return new ReminderTableData(await ReadAllAsync(command));
    }

    /// <inheritdoc />
    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, reminder_name, start_at, period_ms, etag FROM reminders WHERE service_id = $s AND grain_id = $g AND reminder_name = $r";
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$g", grainId.ToString());
        command.Parameters.AddWithValue("$r", reminderName);
        return (await ReadAllAsync(command)).FirstOrDefault();
    }

    /// <inheritdoc />
    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var etag = await database.WriteAsync((Table: this, Entry: entry), static (batch, row) =>
        {
            var statement = batch.Statement("""
                INSERT INTO reminders (service_id, grain_id, reminder_name, grain_hash, start_at, period_ms, etag)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                ON CONFLICT (service_id, grain_id, reminder_name)
                DO UPDATE SET start_at = excluded.start_at, period_ms = excluded.period_ms, etag = reminders.etag + 1
                RETURNING etag
                """);
            // Every parameter bound on every use of the reused statement.
            row.Table.BindKey(statement, row.Entry.GrainId, row.Entry.ReminderName);
            SqliteStatements.Bind(statement, 4, row.Entry.GrainId.GetUniformHashCode());
            SqliteStatements.BindTime(statement, 5, DateTime.SpecifyKind(row.Entry.StartAt, DateTimeKind.Utc));
            SqliteStatements.Bind(statement, 6, (long)row.Entry.Period.TotalMilliseconds);
            return batch.ExecuteReturning(statement)!.Value;
        });
        return etag.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        var expected = long.TryParse(eTag, CultureInfo.InvariantCulture, out var e) ? e : -1;
        return database.WriteAsync((Table: this, GrainId: grainId, Name: reminderName, ETag: expected), static (batch, row) =>
        {
            var statement = batch.Statement("DELETE FROM reminders WHERE service_id = ?1 AND grain_id = ?2 AND reminder_name = ?3 AND etag = ?4");
            row.Table.BindKey(statement, row.GrainId, row.Name);
            SqliteStatements.Bind(statement, 4, row.ETag);
            return batch.Execute(statement) > 0;
        });
    }

    /// <inheritdoc />
    public async Task TestOnlyClearTable()
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM reminders WHERE service_id = $s";
        command.Parameters.AddWithValue("$s", _serviceId);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Binds a reminder's key (?1 the service, ?2 the grain, ?3 the reminder's name).</summary>
    private void BindKey(sqlite3_stmt statement, GrainId grainId, string reminderName)
    {
        SqliteStatements.Bind(statement, 1, _serviceId);
        SqliteStatements.Bind(statement, 2, grainId);
        SqliteStatements.Bind(statement, 3, reminderName);
    }

    private static async Task<List<ReminderEntry>> ReadAllAsync(SqliteCommand command)
    {
        var entries = new List<ReminderEntry>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0)),
                ReminderName = reader.GetString(1),
                StartAt = DateTime.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                ETag = reader.GetInt64(4).ToString(CultureInfo.InvariantCulture),
            });
        }

        return entries;
    }
}
