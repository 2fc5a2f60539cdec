using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Marketplace.Grains.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using SQLitePCL;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Orleans grain storage over the embedded SQLite file. Each grain's state is one JSON row whose integer ETag
/// increases with every write; a write carrying an old ETag is refused with <see cref="InconsistentStateException"/>.
/// Writes go through the file's group commit (<see cref="SqliteDatabase.WriteAsync{T}"/>): concurrent grains share one
/// transaction and one fsync, each answered only after its transaction committed; a write refused by its ETag check
/// changes nothing and does not affect the others in its group.
/// <para>
/// A read and a write allocate little besides the state itself: their statements are prepared once per connection (the
/// writer's, a pooled reading one) and bound through SQLite's own API from spans, the grain id, state name and time
/// as UTF-8 on the stack; with an <see cref="IPooledStorageSerializer"/> (ours) a state is written from a pooled array
/// and read where SQLite holds its bytes.
/// </para>
/// </summary>
public sealed class SqliteGrainStorage(SqliteDatabase database, IOptions<ClusterOptions> cluster, IGrainStorageSerializer serializer) : IGrainStorage, IBulkGrainStorage
{
    // Numbered parameters, the same number for the same column in every statement (?4 is the ETag expected, unused by
    // the insert): a statement is bound by position, without looking its parameters' names up.
    private const int ServiceIdParameter = 1;
    private const int StateNameParameter = 2;
    private const int GrainIdParameter = 3;
    private const int ETagParameter = 4;
    private const int PayloadParameter = 5;
    private const int UpdatedAtParameter = 6;

    private const string Select = "SELECT etag, payload FROM grain_state WHERE service_id = ?1 AND state_name = ?2 AND grain_id = ?3";

    private const string Insert = """
        INSERT INTO grain_state (service_id, state_name, grain_id, etag, payload, updated_at)
        VALUES (?1, ?2, ?3, 1, ?5, ?6) ON CONFLICT DO NOTHING
        """;

    private const string Update = "UPDATE grain_state SET etag = etag + 1, payload = ?5, updated_at = ?6 WHERE service_id = ?1 AND state_name = ?2 AND grain_id = ?3 AND etag = ?4";

    private const string Delete = "DELETE FROM grain_state WHERE service_id = ?1 AND state_name = ?2 AND grain_id = ?3 AND etag = ?4";

    private readonly string _serviceId = cluster.Value.ServiceId;
    private readonly byte[] _serviceIdUtf8 = Encoding.UTF8.GetBytes(cluster.Value.ServiceId);

    /// <summary>Transactions the file committed so far (with <see cref="CommittedWrites"/>, how well writes are grouped).</summary>
    public long CommittedGroups => database.CommittedGroups;

    /// <summary>Writes the file committed so far (grain state and reminders), refused ones included.</summary>
    public long CommittedWrites => database.CommittedWrites;

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("read", stateName, grainId);
        try
        {
            Read(stateName, grainId, grainState);
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Untraced with our serializer (the product's case), the write is answered by the writer itself
    /// (<see cref="PendingStateWrite{T}"/>): it gives the payload's array back and sets the new ETag before completing the
    /// task returned here, so no async layer of this method waits in between. Traced, the span must cover the write and
    /// end in this call's own async context, so <see cref="WriteStateTracedAsync"/> keeps that layer.
    /// </remarks>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (serializer is not IPooledStorageSerializer pooled || MarketplaceTracing.Source.HasListeners())
        {
            return WriteStateTracedAsync(stateName, grainId, grainState);
        }

        byte[]? payload = null;
        try
        {
            var expected = grainState.ETag is null ? (long?)null : ParseETag(grainState.ETag);
            payload = pooled.SerializePooled(grainState.State, out var length);
            var pending = new PendingStateWrite<T>(
                new StateWrite(this, expected is null ? Insert : Update, stateName, grainId, expected, payload, length), grainState);
            database.Enqueue(pending);
            return pending.Task;
        }
        catch (Exception e)
        {
            // Not queued (the state does not serialize, the file is closing): nothing else holds the array.
            if (payload is not null)
            {
                ArrayPool<byte>.Shared.Return(payload);
            }

            return Task.FromException(e);
        }
    }

    private async Task WriteStateTracedAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("write", stateName, grainId);
        var expected = grainState.ETag is null ? (long?)null : ParseETag(grainState.ETag);
        // A pooled serializer's array (ours is one) is given back once the write is answered: by then the writer has bound
        // it (SQLite copies a bound blob) and run its statement, or the write failed; either way it is done with it.
        var pooled = serializer as IPooledStorageSerializer;
        byte[] payload;
        int length;
        if (pooled is not null)
        {
            payload = pooled.SerializePooled(grainState.State, out length);
        }
        else
        {
            payload = Bytes(serializer.Serialize(grainState.State));
            length = payload.Length;
        }

        try
        {
            await database.WriteAsync(
                new StateWrite(this, expected is null ? Insert : Update, stateName, grainId, expected, payload, length), ApplyWrite);
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(payload);
            }
        }

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
            await database.WriteAsync(new StateWrite(this, Delete, stateName, grainId, expected, null, 0), ApplyWrite);
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
        await database.WriteAsync(batch =>
        {
            // A savepoint inside the group's transaction: refusing this write undoes its rows only, not the group's others.
            batch.Command("SAVEPOINT create_all").ExecuteNonQuery();
            foreach (var state in states)
            {
                int inserted;
                try
                {
                    inserted = Execute(batch, new StateWrite(this, Insert, state.StateName, state.GrainId, null, state.Payload, state.Payload.Length));
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
        // The name is made only when someone listens: it was a string per read and write otherwise.
        if (!MarketplaceTracing.Source.HasListeners())
        {
            return null;
        }

        var span = MarketplaceTracing.Source.StartActivity($"sqlite {operation} {stateName}", ActivityKind.Client);
        span?.SetTag("db.system.name", "sqlite");
        span?.SetTag("db.operation.name", operation);
        span?.SetTag("orleans.storage.state_name", stateName);
        span?.SetTag("orleans.grain.id", grainId.ToString());
        return span;
    }

    /// <summary>
    /// A state's row read by its key into <paramref name="grainState"/>, parsed from SQLite's own copy of the payload
    /// while the statement holds it (valid until the statement moves on): no array per read.
    /// </summary>
    private void Read<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var reading = database.Read();
        var statement = reading.Connection.Statement(Select);
        try
        {
            BindKey(statement, stateName, grainId);
            var rc = raw.sqlite3_step(statement);
            if (rc == raw.SQLITE_ROW)
            {
                var payload = raw.sqlite3_column_blob(statement, 1);
                grainState.State = serializer is IPooledStorageSerializer ours
                    ? ours.Deserialize<T>(payload)
                    : serializer.Deserialize<T>(new BinaryData(payload.ToArray()));
                grainState.ETag = raw.sqlite3_column_int64(statement, 0).ToString(CultureInfo.InvariantCulture);
                grainState.RecordExists = true;
            }
            else if (rc == raw.SQLITE_DONE)
            {
                grainState.ETag = null;
                grainState.State = Activator.CreateInstance<T>();
                grainState.RecordExists = false;
            }
            else
            {
                SqliteException.ThrowExceptionForRC(rc, raw.sqlite3_db_handle(statement));
            }
        }
        finally
        {
            SqliteStatements.Release(statement);
        }
    }

    /// <summary>One insert, update or delete of a state, run by the writer in its group's transaction.</summary>
    private readonly record struct StateWrite(SqliteGrainStorage Storage, string Statement, string StateName, GrainId GrainId, long? Expected, byte[]? Payload, int PayloadLength);

    /// <summary>
    /// A state's write that answers itself on the writer's thread: once its group committed it gives the pooled payload
    /// back (SQLite copied the bound blob when the statement ran), sets the state's new ETag and then completes its task;
    /// a refused or failed write only gives the array back. The grain awaiting the task does not run meanwhile, and
    /// completing the task orders these writes before its continuation.
    /// </summary>
    private sealed class PendingStateWrite<T>(StateWrite write, IGrainState<T> grainState)
        : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), SqliteDatabase.IPendingWrite
    {
        private Exception? _refused;
        private bool _returned;

        public void Apply(SqliteWriteBatch batch)
        {
            try
            {
                write.Storage.Apply(batch, write);
            }
            catch (Exception e) when (SqliteDatabase.IsOwnRefusal(e, out var refusal))
            {
                _refused = refusal;
            }
        }

        public void Answer()
        {
            GiveBack();
            if (_refused is not null)
            {
                TrySetException(_refused);
                return;
            }

            try
            {
                grainState.ETag = ((write.Expected ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
                grainState.RecordExists = true;
            }
            catch (Exception e)
            {
                // Never out of the writer's loop: the other writes of the group still get their answers.
                TrySetException(e);
                return;
            }

            TrySetResult();
        }

        public void Fail(Exception e)
        {
            GiveBack();
            TrySetException(e);
        }

        private void GiveBack()
        {
            if (!_returned && write.Payload is { } payload)
            {
                _returned = true;
                ArrayPool<byte>.Shared.Return(payload);
            }
        }
    }

    /// <summary>A write's apply step: static, so one delegate serves every write (its values are the <see cref="StateWrite"/>).</summary>
    private static readonly Func<SqliteWriteBatch, StateWrite, bool> ApplyWrite = static (batch, write) => write.Storage.Apply(batch, write);

    /// <summary>One insert, update or delete in its group's transaction; refused (changing nothing) when its ETag check fails.</summary>
    private bool Apply(SqliteWriteBatch batch, StateWrite write)
        => Execute(batch, write) > 0 ? true : throw Conflict(batch, write.StateName, write.GrainId.ToString(), write.Expected);

    /// <summary>
    /// Binds every parameter <paramref name="write"/>'s statement has (the statement is reused: each use binds all of
    /// its own, and <see cref="SqliteWriteBatch.Execute"/> clears them after) and runs it; answers the rows it changed.
    /// </summary>
    private int Execute(SqliteWriteBatch batch, in StateWrite write)
    {
        var statement = batch.Statement(write.Statement);
        BindKey(statement, write.StateName, write.GrainId);
        if (write.Expected is { } expected)
        {
            SqliteStatements.Bind(statement, ETagParameter, expected);
        }

        if (write.Payload is { } payload)
        {
            SqliteStatements.BindBlob(statement, PayloadParameter, payload.AsSpan(0, write.PayloadLength));
            SqliteStatements.BindTime(statement, UpdatedAtParameter, DateTimeOffset.UtcNow);
        }

        return batch.Execute(statement);
    }

    /// <summary>Binds the row's key: the service, the state's name and the grain id.</summary>
    private void BindKey(sqlite3_stmt statement, string stateName, GrainId grainId)
    {
        SqliteStatements.BindUtf8(statement, ServiceIdParameter, _serviceIdUtf8);
        SqliteStatements.Bind(statement, StateNameParameter, stateName);
        SqliteStatements.Bind(statement, GrainIdParameter, grainId);
    }

    /// <summary>The refusal of a write whose ETag check failed, naming the ETag stored (rare: strings and a command are fine here).</summary>
    private InconsistentStateException Conflict(SqliteWriteBatch batch, string stateName, string grainId, long? expected)
    {
        var command = batch.Command("SELECT etag FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g");
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$g", grainId);
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
