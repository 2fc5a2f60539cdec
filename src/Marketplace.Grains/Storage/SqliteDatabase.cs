using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Marketplace.Grains.Storage;

/// <summary>
/// The embedded SQLite file: opens connections with the marketplace's pragmas, creates the schema once, and commits
/// every write of the process (grain state and reminders alike) in groups.
/// <para>
/// Group commit: one writer takes every write waiting (up to <see cref="MaxGroup"/>) and applies them in one
/// transaction, so concurrent writers share one commit (with <c>synchronous=FULL</c>, one fsync) instead of paying one
/// each and queueing for the file's write lock. Each write is answered only after the transaction holding it
/// committed. A write that throws <see cref="InconsistentStateException"/> (its ETag check failed: it changed nothing)
/// gets that exception and does not affect the others; so does a write that undid its own changes to a savepoint of
/// its own and threw <see cref="SqliteWriteUndoneException"/> (its cause is its answer). Any other failure fails every
/// write of the group, none of which is then stored.
/// </para>
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>Most writes committed in one transaction.</summary>
    public const int MaxGroup = 1024;

    /// <summary>
    /// The writer's page cache, in KiB (SQLite's negative <c>cache_size</c>): big enough for the B-tree's interior pages
    /// and the overflow chains of the records rewritten whole (a seller's lots, a partition's members), which a write
    /// must read to free. 64 MiB at most, taken only as pages are read.
    /// </summary>
    private const int WriterCacheKiB = 64 * 1024;

    /// <summary>
    /// The page size of a new file, in bytes (SQLite's <c>page_size</c>; a file keeps the size it was created with). Files
    /// made before 2026-11-30 evening hold the states in a WITHOUT ROWID table, whose rows keep at most about a quarter of
    /// a page in the B-tree and put the rest on overflow pages of their own: at SQLite's default 4 KiB a lot's 1.5–2.5 KB
    /// of JSON took a 4 KiB overflow page besides its leaf cell, about 5 KB of file and of write-ahead log (fsynced) per
    /// lot; at 16 KiB it stays in its leaf (as it does in the rowid table of newer files).
    /// </summary>
    public const int NewFilePageBytes = 16 * 1024;

    private readonly SqliteStorageOptions _options;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private long _groups;
    private long _writes;

    // Only the writer's loop touches it. One connection for every group, so its page cache stays valid: SQLite drops a
    // connection's cache whenever another connection wrote, which taking a pooled connection per group made every time.
    private SqliteConnection? _writer;

    /// <summary>
    /// Creates the file and its tables if missing, and starts the writer. <c>grain_state</c> is a rowid table with its key
    /// as a unique index, so a new state's row goes at the table's end: its key is a hash (a lot's id), and in a table
    /// ordered by key (WITHOUT ROWID, as files made before 2026-11-30 evening still are, and still work) an import batch
    /// of 10,000 new lots dirtied nearly every leaf page of a 100,000-lot table, all of them written to the log and
    /// fsynced at each batch's commit and again by the checkpoint. Now a batch writes its rows' pages and the pages of
    /// the key index (about 60 bytes a state) it touches.
    /// </summary>
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
        command.CommandText = $"""
            PRAGMA page_size={NewFilePageBytes};
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS grain_state (
                service_id TEXT NOT NULL,
                state_name TEXT NOT NULL,
                grain_id   TEXT NOT NULL,
                etag       INTEGER NOT NULL,
                payload    BLOB NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (service_id, state_name, grain_id)
            );
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
        _ = Task.Run(WriteGroupsAsync);
    }

    /// <summary>Transactions committed so far (with <see cref="CommittedWrites"/>, how well writes are grouped).</summary>
    public long CommittedGroups => Interlocked.Read(ref _groups);

    /// <summary>Writes committed so far, refused ones included.</summary>
    public long CommittedWrites => Interlocked.Read(ref _writes);

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

    /// <summary>
    /// Opens a pooled connection for reading only: without the pragmas, which only writes need (a read in WAL mode
    /// does not wait for the writer, and the connection's default timeout covers a checkpoint's brief lock). One
    /// statement less for every grain activation.
    /// </summary>
    public SqliteConnection OpenForReading()
    {
        var connection = new SqliteConnection(_options.ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="write"/> inside the next group's transaction and answers its result once that transaction
    /// committed. The write runs on the writer's thread: it must only execute statements (from
    /// <see cref="SqliteWriteBatch.Command"/>), and throw <see cref="InconsistentStateException"/> or
    /// <see cref="SqliteWriteUndoneException"/> only when it changed nothing.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteWriteBatch, T> write)
    {
        var pending = new PendingWrite<T>(write);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(SqliteDatabase), "The SQLite storage is stopping.");
        }

        return pending.Done.Task;
    }

    /// <summary>Stops taking writes; those already taken are still committed.</summary>
    public void Dispose() => _pending.Writer.TryComplete();

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
                    write.Fail(e);
                }

                continue;
            }

            foreach (var write in group)
            {
                write.Answer();
            }
        }

        _writer?.Dispose();
        _writer = null;
    }

    private void Commit(List<PendingWrite> group)
    {
        var connection = _writer ??= OpenWriter();
        try
        {
            using var transaction = connection.BeginTransaction();
            using var batch = new SqliteWriteBatch(connection, transaction);
            foreach (var write in group)
            {
                write.Apply(batch);
            }

            transaction.Commit();
        }
        catch
        {
            // A fresh connection for the next group: nothing of this one's state is trusted after a failure.
            _writer = null;
            connection.Dispose();
            throw;
        }

        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _writes, group.Count);
    }

    private SqliteConnection OpenWriter()
    {
        var connection = Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA cache_size=-{WriterCacheKiB};";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private abstract class PendingWrite
    {
        public abstract void Apply(SqliteWriteBatch batch);

        public abstract void Answer();

        public abstract void Fail(Exception e);
    }

    private sealed class PendingWrite<T>(Func<SqliteWriteBatch, T> write) : PendingWrite
    {
        private T _result = default!;
        private Exception? _refused;

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Apply(SqliteWriteBatch batch)
        {
            try
            {
                _result = write(batch);
            }
            catch (InconsistentStateException e)
            {
                _refused = e;
            }
            catch (SqliteWriteUndoneException e)
            {
                _refused = e.InnerException;
            }
        }

        public override void Answer()
        {
            if (_refused is not null)
            {
                Done.TrySetException(_refused);
            }
            else
            {
                Done.TrySetResult(_result);
            }
        }

        public override void Fail(Exception e) => Done.TrySetException(e);
    }
}

/// <summary>
/// Thrown by a write of a group (<see cref="SqliteDatabase.WriteAsync{T}"/>) that failed and undid its own changes to a
/// savepoint of its own: it fails alone, with <see cref="Exception.InnerException"/> as its answer, and the group's other
/// writes still commit (a bulk write's failure does not take the unrelated writes that share its commit with it).
/// </summary>
public sealed class SqliteWriteUndoneException(Exception cause) : Exception(cause.Message, cause);

/// <summary>The transaction of one group of writes: hands out its statements, each prepared once per group.</summary>
public sealed class SqliteWriteBatch(SqliteConnection connection, SqliteTransaction transaction) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The statement <paramref name="text"/> in this transaction, its parameters cleared for the caller to add.</summary>
    public SqliteCommand Command(string text)
    {
        if (!_commands.TryGetValue(text, out var command))
        {
            command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = text;
            _commands[text] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    /// <summary>Releases the statements.</summary>
    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
    }
}
