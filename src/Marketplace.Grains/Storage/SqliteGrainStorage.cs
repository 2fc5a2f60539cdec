using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Marketplace.Grains.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Orleans grain storage over the embedded SQLite file. Each grain's state is one JSON row whose integer ETag
/// increases with every write; a write carrying an old ETag is refused with <see cref="InconsistentStateException"/>.
/// <para>
/// Writes are committed in groups: one writer takes every write waiting and applies them in one transaction, each
/// with its own ETag check, so concurrent grains share one commit (with <c>synchronous=FULL</c>, one fsync) instead of
/// paying one each. Each write is answered only after the transaction holding it committed; a write refused by its
/// ETag check changes nothing and does not affect the others in its group; a transaction that fails fails every write
/// in it, none of which is then stored.
/// </para>
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage, IDisposable
{
    /// <summary>Most writes committed in one transaction.</summary>
    public const int MaxGroup = 1024;

    private readonly SqliteDatabase _database;
    private readonly IGrainStorageSerializer _serializer;
    private readonly string _serviceId;
    private long _groups;
    private long _writes;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Starts the writer.</summary>
    public SqliteGrainStorage(SqliteDatabase database, IOptions<ClusterOptions> cluster, IGrainStorageSerializer serializer)
    {
        _database = database;
        _serializer = serializer;
        _serviceId = cluster.Value.ServiceId;
        _ = Task.Run(WriteGroupsAsync);
    }

    /// <summary>Transactions committed so far (with <see cref="CommittedWrites"/>, how well writes are grouped).</summary>
    public long CommittedGroups => Interlocked.Read(ref _groups);

    /// <summary>Writes committed so far, refused ones included.</summary>
    public long CommittedWrites => Interlocked.Read(ref _writes);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("read", stateName, grainId);
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, payload FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g";
        AddKey(command, stateName, grainId.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        if (await reader.ReadAsync())
        {
            grainState.ETag = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
            grainState.State = _serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1)));
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
        var payload = _serializer.Serialize(grainState.State).ToArray();
        await SubmitAsync(new PendingWrite(stateName, grainId.ToString(), expected, payload));
        grainState.ETag = ((expected ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var span = StartSpan("clear", stateName, grainId);
        if (grainState.ETag is not null)
        {
            await SubmitAsync(new PendingWrite(stateName, grainId.ToString(), ParseETag(grainState.ETag), null));
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
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

    /// <summary>Stops taking writes; those already taken are still committed.</summary>
    public void Dispose() => _pending.Writer.TryComplete();

    private Task SubmitAsync(PendingWrite write)
    {
        if (!_pending.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(SqliteGrainStorage), "The SQLite grain storage is stopping.");
        }

        return write.Done.Task;
    }

    /// <summary>The writer: waits for writes, then commits all that are waiting (up to <see cref="MaxGroup"/>) in one transaction.</summary>
    private async Task WriteGroupsAsync()
    {
        var group = new List<PendingWrite>(MaxGroup);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && reader.TryRead(out var write))
            {
                group.Add(write);
            }

            try
            {
                Commit(group);
            }
            catch (Exception e)
            {
                foreach (var write in group)
                {
                    write.Done.TrySetException(e);
                }

                continue;
            }

            foreach (var write in group)
            {
                if (write.Conflict is { } conflict)
                {
                    write.Done.TrySetException(conflict);
                }
                else
                {
                    write.Done.TrySetResult();
                }
            }
        }
    }

    /// <summary>Applies a group in one transaction; a write whose ETag check fails is marked with its conflict and changes nothing.</summary>
    private void Commit(List<PendingWrite> group)
    {
        using var connection = _database.Open();
        using var transaction = connection.BeginTransaction();
        using var insert = Command(connection, transaction, """
            INSERT INTO grain_state (service_id, state_name, grain_id, etag, payload, updated_at)
            VALUES ($s, $n, $g, 1, $p, $u) ON CONFLICT DO NOTHING
            """);
        using var update = Command(connection, transaction,
            "UPDATE grain_state SET etag = etag + 1, payload = $p, updated_at = $u WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e");
        using var delete = Command(connection, transaction, "DELETE FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g AND etag = $e");
        var now = DateTimeOffset.UtcNow.ToString("O");
        foreach (var write in group)
        {
            var command = write.Payload is null ? delete : write.Expected is null ? insert : update;
            Set(command, "$s", _serviceId);
            Set(command, "$n", write.StateName);
            Set(command, "$g", write.GrainId);
            Set(command, "$e", write.Expected ?? 0);
            Set(command, "$p", write.Payload ?? []);
            Set(command, "$u", now);
            write.Conflict = command.ExecuteNonQuery() == 0 ? Conflict(connection, transaction, write) : null;
        }

        transaction.Commit();
        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _writes, group.Count);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        foreach (var name in new[] { "$s", "$n", "$g", "$e", "$p", "$u" }.Where(n => text.Contains(n, StringComparison.Ordinal)))
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }

    private static void Set(SqliteCommand command, string name, object value)
    {
        if (command.Parameters.Contains(name))
        {
            command.Parameters[name].Value = value;
        }
    }

    private void AddKey(SqliteCommand command, string stateName, string grainId)
    {
        command.Parameters.AddWithValue("$s", _serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$g", grainId);
    }

    private InconsistentStateException Conflict(SqliteConnection connection, SqliteTransaction transaction, PendingWrite write)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT etag FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id = $g";
        AddKey(command, write.StateName, write.GrainId);
        var storedETag = command.ExecuteScalar() is long l ? l.ToString(CultureInfo.InvariantCulture) : "(none)";
        var expected = write.Expected?.ToString(CultureInfo.InvariantCulture) ?? "(new)";
        return new InconsistentStateException(
            $"State '{write.StateName}' of {write.GrainId} was changed by another writer: stored ETag {storedETag}, this write expected {expected}.",
            storedETag,
            expected);
    }

    private static long ParseETag(string etag)
        => long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InconsistentStateException($"ETag '{etag}' was not issued by the SQLite storage.", "(unknown)", etag);

    /// <summary>One write waiting for its group: a state to insert (no ETag), update (its ETag) or delete (no payload).</summary>
    private sealed class PendingWrite(string stateName, string grainId, long? expected, byte[]? payload)
    {
        public string StateName { get; } = stateName;

        public string GrainId { get; } = grainId;

        public long? Expected { get; } = expected;

        public byte[]? Payload { get; } = payload;

        public InconsistentStateException? Conflict { get; set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
