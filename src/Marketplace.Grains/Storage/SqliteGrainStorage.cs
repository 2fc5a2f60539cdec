using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Marketplace.Grains.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Orleans grain storage over the embedded SQLite file. Each grain's state is one JSON row whose integer ETag
/// increases with every write; a write carrying an old ETag is refused with <see cref="InconsistentStateException"/>.
/// Writes go through the file's group commit (<see cref="SqliteDatabase.WriteAsync{T}"/>): concurrent grains share one
/// transaction and one fsync, each answered only after its transaction committed; a write refused by its ETag check
/// changes nothing and does not affect the others in its group.
/// </summary>
public sealed class SqliteGrainStorage(SqliteDatabase database, IOptions<ClusterOptions> cluster, IGrainStorageSerializer serializer) : IGrainStorage, IBulkGrainStorage
{
    private const string Insert = """
        INSERT INTO grain_state (service_id, state_name, grain_id, etag, payload, updated_at)
        VALUES ($s, $n, $g, 1, $p, $u) ON CONFLICT DO NOTHING
        """;

    private const string Update = "UPDATE grain_state SET etag = etag + 1, payload = $p, updated_at = $u WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e";

    private const string Delete = "DELETE FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e";

    private readonly string _serviceId = cluster.Value.ServiceId;

    /// <summary>Transactions the file committed so far (with <see cref="CommittedWrites"/>, how well writes are grouped).</summary>
    public long CommittedGroups => database.CommittedGroups;

    /// <summary>Writes the file committed so far (grain state and reminders), refused ones included.</summary>
    public long CommittedWrites => database.CommittedWrites;

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("read", stateName, grainId);
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, payload FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g";
        AddKey(command, stateName, grainId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync())
        {
            grainState.ETag = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
            grainState.State = serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1)));
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
        }
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("write", stateName, grainId);
        var expected = grainState.ETag is null ? (long?)null : ParseETag(grainState.ETag);
        var payload = Bytes(serializer.Serialize(grainState.State));
        var id = grainId.ToString();
        await database.WriteAsync(batch => Apply(batch, expected is null ? Insert : Update, stateName, id, expected, payload));
        grainState.ETag = ((expected ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("clear", stateName, grainId);
        if (grainState.ETag is { } etag)
        {
            var expected = ParseETag(etag);
            var id = grainId.ToString();
            await database.WriteAsync(batch => Apply(batch, Delete, stateName, id, expected, null));
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<GrainId, T>> ReadManyAsync<T>(string stateName, IReadOnlyCollection<GrainId> grainIds)
    {
        var found = new Dictionary<GrainId, T>(grainIds.Count);
        if (grainIds.Count == 0)
        {
            return found;
        }

        var byText = grainIds.Distinct().ToDictionary(g => g.ToString(), StringComparer.Ordinal);
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        // One parameter whatever the count: the ids as a JSON array, each looked up by the primary key.
        command.CommandText = "SELECT grain_id, payload FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id IN (SELECT value FROM json_each($ids))";
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(byText.Keys));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (byText.TryGetValue(reader.GetString(0), out var id) && serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1))) is { } state)
            {
                found[id] = state;
            }
        }

        return found;
    }

    /// <inheritdoc />
    public NewGrainState Prepare<T>(string stateName, GrainId grainId, T state) => new(stateName, grainId, Bytes(serializer.Serialize(state)));

    /// <summary>
    /// A serialised state's bytes: the array the serializer made when the payload is all of one (as ours always is),
    /// else a copy. <see cref="BinaryData.ToArray"/> always copies, which put every state written twice on the heap.
    /// A payload is immutable by <see cref="BinaryData"/>'s contract, and only read from here on.
    /// </summary>
    internal static byte[] Bytes(BinaryData data)
        => MemoryMarshal.TryGetArray(data.ToMemory(), out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : data.ToArray();

    /// <inheritdoc />
    public async Task CreateAllAsync(IReadOnlyList<NewGrainState> states)
    {
        if (states.Count == 0)
        {
            return;
        }

        using var span = MarketplaceTracing.Source.StartActivity("sqlite create many", ActivityKind.Client);
        span?.SetTag("db.system.name", "sqlite");
        span?.SetTag("db.operation.batch.size", states.Count);
        var updatedAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await database.WriteAsync(batch =>
        {
            // A savepoint inside the group's transaction: refusing this write undoes its rows only, not the group's others.
            batch.Command("SAVEPOINT create_all").ExecuteNonQuery();
            // One statement for all, its parameters made once and given each state's values.
            var command = batch.Command(Insert);
            AddKey(command, "", "");
            var (name, id, payload) = (command.Parameters["$n"], command.Parameters["$g"], command.Parameters.Add("$p", SqliteType.Blob));
            command.Parameters.AddWithValue("$u", updatedAt);
            foreach (var state in states)
            {
                (name.Value, id.Value, payload.Value) = (state.StateName, state.GrainId.ToString(), state.Payload);
                int inserted;
                try
                {
                    inserted = command.ExecuteNonQuery();
                }
                catch (SqliteException e)
                {
                    // The statement failed (a constraint, the disk): undo this write's rows and fail it alone, so the
                    // writes sharing its commit (the next import batch's recorded ids) are stored. When the transaction
                    // itself is gone, undoing throws and the whole group fails, as any failure of a commit does.
                    batch.Command("ROLLBACK TO create_all").ExecuteNonQuery();
                    batch.Command("RELEASE create_all").ExecuteNonQuery();
                    throw new SqliteWriteUndoneException(e);
                }

                if (inserted == 0)
                {
                    batch.Command("ROLLBACK TO create_all").ExecuteNonQuery();
                    batch.Command("RELEASE create_all").ExecuteNonQuery();
                    throw new InconsistentStateException(
                        $"State '{state.StateName}' of {state.GrainId} already exists: none of the {states.Count} states was created.", "(exists)", "(new)");
                }
            }

            batch.Command("RELEASE create_all").ExecuteNonQuery();
            return true;
        });
    }

    /// <summary>A client span for one statement, named as OpenTelemetry's database conventions ask; null when nobody listens.</summary>
    private static Activity? StartSpan(string operation, string stateName, GrainId grainId)
    {
        var span = MarketplaceTracing.Source.StartActivity($"sqlite {operation} {stateName}", ActivityKind.Client);
        span?.SetTag("db.system.name", "sqlite");
        span?.SetTag("db.operation.name", operation);
        span?.SetTag("orleans.storage.state_name", stateName);
        span?.SetTag("orleans.grain.id", grainId.ToString());
        return span;
    }

    /// <summary>One insert, update or delete in its group's transaction; refused (changing nothing) when its ETag check fails.</summary>
    private bool Apply(SqliteWriteBatch batch, string statement, string stateName, string grainId, long? expected, byte[]? payload)
    {
        var command = batch.Command(statement);
        AddKey(command, stateName, grainId);
        if (expected is { } e)
        {
            command.Parameters.AddWithValue("$e", e);
        }

        if (payload is not null)
        {
            command.Parameters.AddWithValue("$p", payload);
            command.Parameters.AddWithValue("$u", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        }

        return command.ExecuteNonQuery() > 0 ? true : throw Conflict(batch, stateName, grainId, expected);
    }

    private void AddKey(SqliteCommand command, string stateName, string grainId)
    {
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$g", grainId);
    }

    private InconsistentStateException Conflict(SqliteWriteBatch batch, string stateName, string grainId, long? expected)
    {
        var command = batch.Command("SELECT etag FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g");
        AddKey(command, stateName, grainId);
        var storedETag = command.ExecuteScalar() is long l ? l.ToString(CultureInfo.InvariantCulture) : "(none)";
        var wanted = expected?.ToString(CultureInfo.InvariantCulture) ?? "(new)";
        return new InconsistentStateException(
            $"State '{stateName}' of {grainId} was changed by another writer: stored ETag {storedETag}, this write expected {wanted}.",
            storedETag,
            wanted);
    }

    private static long ParseETag(string etag)
        => long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InconsistentStateException($"ETag '{etag}' was not issued by the SQLite storage.", "(unknown)", etag);
}
