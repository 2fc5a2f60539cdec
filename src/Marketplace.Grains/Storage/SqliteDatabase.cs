using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Orleans.Storage;
using SQLitePCL;

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

    /// <summary>Reading connections kept idle at most; more are opened while more reads run at once, and closed after.</summary>
    private const int MaxIdleReaders = 16;

    private readonly SqliteStorageOptions _options;
    private readonly Channel<IPendingWrite> _pending = Channel.CreateUnbounded<IPendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<SqliteReadConnection> _idleReaders = new();
    private volatile bool _disposed;
    private long _groups;
    private long _writes;

    // Only the writer's loop touches it. One connection for every group, so its page cache stays valid: SQLite drops a
    // connection's cache whenever another connection wrote, which taking a pooled connection per group made every time.
    // Its statements stay prepared across groups with it.
    private SqliteWriteBatch? _writer;

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
    public SqliteConnection Open() => Open(_options.ConnectionString);

    private SqliteConnection Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
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
    /// A reading connection of the pool, with its prepared statements, for one read on the calling thread: dispose the
    /// lease (at once, before any await) to give it back. Reads in WAL mode do not wait for the writer. After
    /// <see cref="Dispose"/> a read still works, on a connection closed when given back (as a pooled one was before).
    /// </summary>
    public SqliteReadLease Read()
        => new(this, _idleReaders.TryDequeue(out var idle) ? idle : new SqliteReadConnection(OpenForReading()));

    /// <summary>
    /// Runs <paramref name="write"/> inside the next group's transaction and answers its result once that transaction
    /// committed. The write runs on the writer's thread: it must only execute statements (from
    /// <see cref="SqliteWriteBatch.Command"/> or <see cref="SqliteWriteBatch.Statement"/>), and throw
    /// <see cref="InconsistentStateException"/> or <see cref="SqliteWriteUndoneException"/> only when it changed nothing.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteWriteBatch, T> write) => WriteAsync(write, static (batch, write) => write(batch));

    /// <summary>
    /// <see cref="WriteAsync{T}(Func{SqliteWriteBatch, T})"/> with the write's values passed apart from it, so that a
    /// static <paramref name="write"/> (no closure, one delegate for all) and its values make one object per write.
    /// </summary>
    public Task<T> WriteAsync<TValues, T>(TValues values, Func<SqliteWriteBatch, TValues, T> write)
    {
        var pending = new PendingWrite<TValues, T>(values, write);
        Enqueue(pending);
        return pending.Task;
    }

    /// <summary>
    /// Queues a write that is its own answer: the writer runs <see cref="IPendingWrite.Apply"/> in the next group's
    /// transaction, then <see cref="IPendingWrite.Answer"/> once it committed or <see cref="IPendingWrite.Fail"/> when it
    /// did not, on its own thread. For a caller that finishes its work in that answer instead of awaiting a task of
    /// <see cref="WriteAsync{TValues, T}"/> (an async layer less: its state machine, and the continuation and task its
    /// resumption on a grain's scheduler takes).
    /// </summary>
    internal void Enqueue(IPendingWrite pending)
    {
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(SqliteDatabase), "The SQLite storage is stopping.");
        }
    }

    /// <summary>Stops taking writes (those already taken are still committed) and closes the idle reading connections.</summary>
    public void Dispose()
    {
        _disposed = true;
        _pending.Writer.TryComplete();
        CloseIdleReaders();
    }

    /// <summary>Takes back a reading connection, or closes it when enough are idle or the file is closing.</summary>
    internal void Return(SqliteReadConnection reader)
    {
        if (_disposed || _idleReaders.Count >= MaxIdleReaders)
        {
            reader.Dispose();
            return;
        }

        _idleReaders.Enqueue(reader);
        if (_disposed)
        {
            // Dispose ran between the check and the enqueue: it may have missed this one.
            CloseIdleReaders();
        }
    }

    private void CloseIdleReaders()
    {
        while (_idleReaders.TryDequeue(out var idle))
        {
            idle.Dispose();
        }
    }

    /// <summary>The writer: waits for writes, then commits all that are waiting (up to <see cref="MaxGroup"/>) in one transaction.</summary>
    private async Task WriteGroupsAsync()
    {
        var group = new List<IPendingWrite>(MaxGroup);
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

    private void Commit(List<IPendingWrite> group)
    {
        var batch = _writer ??= new SqliteWriteBatch(OpenWriter());
        try
        {
            batch.Begin();
            foreach (var write in group)
            {
                write.Apply(batch);
            }

            batch.Commit();
        }
        catch
        {
            // A fresh connection (and statements) for the next group: nothing of this one's state is trusted after a failure.
            // Closing it rolls back what the group left uncommitted.
            _writer = null;
            batch.Dispose();
            throw;
        }

        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _writes, group.Count);
    }

    /// <summary>
    /// The writer's connection, not pooled: its transactions are begun and ended by statements of its own (not through
    /// <see cref="SqliteConnection.BeginTransaction()"/>, which makes a command and prepares its statement per group), so
    /// the pool would not know to roll one back; when a failed group's writer is dropped, closing it does.
    /// </summary>
    private SqliteConnection OpenWriter()
    {
        var connection = Open(new SqliteConnectionStringBuilder(_options.ConnectionString) { Pooling = false }.ToString());
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA cache_size=-{WriterCacheKiB};";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// True when <paramref name="e"/>, thrown by a write's apply step, refuses that write alone (its ETag check failed,
    /// or it undid its own changes), with <paramref name="answer"/> as the write's answer; anything else fails the group.
    /// </summary>
    internal static bool IsOwnRefusal(Exception e, out Exception? answer)
    {
        answer = e switch
        {
            InconsistentStateException => e,
            SqliteWriteUndoneException => e.InnerException,
            _ => null,
        };
        return e is InconsistentStateException or SqliteWriteUndoneException;
    }

    /// <summary>A write waiting for its group: applied in the group's transaction, then answered or failed with it.</summary>
    internal interface IPendingWrite
    {
        /// <summary>
        /// Runs the write's statements. <see cref="InconsistentStateException"/> and <see cref="SqliteWriteUndoneException"/>
        /// are the write's own refusal (kept for its answer, the group goes on); anything else fails the whole group.
        /// </summary>
        void Apply(SqliteWriteBatch batch);

        /// <summary>The group committed: the write's result, or its refusal.</summary>
        void Answer();

        /// <summary>The group failed and nothing of it is stored.</summary>
        void Fail(Exception e);
    }

    /// <summary>A write waiting for its group, and its answer (the task source itself: one object less per write).</summary>
    private sealed class PendingWrite<TValues, T>(TValues values, Func<SqliteWriteBatch, TValues, T> write)
        : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingWrite
    {
        private T _result = default!;
        private Exception? _refused;

        public void Apply(SqliteWriteBatch batch)
        {
            try
            {
                _result = write(batch, values);
            }
            catch (Exception e) when (IsOwnRefusal(e, out var refusal))
            {
                _refused = refusal;
            }
        }

        public void Answer()
        {
            if (_refused is not null)
            {
                TrySetException(_refused);
            }
            else
            {
                TrySetResult(_result);
            }
        }

        public void Fail(Exception e) => TrySetException(e);
    }
}

/// <summary>
/// Thrown by a write of a group (<see cref="SqliteDatabase.WriteAsync{T}"/>) that failed and undid its own changes to a
/// savepoint of its own: it fails alone, with <see cref="Exception.InnerException"/> as its answer, and the group's other
/// writes still commit (a bulk write's failure does not take the unrelated writes that share its commit with it).
/// </summary>
public sealed class SqliteWriteUndoneException(Exception cause) : Exception(cause.Message, cause);

/// <summary>
/// The writer's connection and its statements, each prepared once and kept across groups (a statement is not tied to
/// a transaction: a group's <see cref="Begin"/> starts the next). Only the writer's loop uses it, one group at a time.
/// </summary>
public sealed class SqliteWriteBatch : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly SqliteStatements _statements;

    internal SqliteWriteBatch(SqliteConnection connection)
    {
        _connection = connection;
        _statements = new SqliteStatements(connection);
    }

    /// <summary>The statement <paramref name="text"/> in this group's transaction, its parameters cleared for the caller to add.</summary>
    public SqliteCommand Command(string text)
    {
        if (!_commands.TryGetValue(text, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = text;
            _commands[text] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// The statement <paramref name="text"/> as SQLite's own, for the caller to bind every parameter of (through
    /// <see cref="raw"/>'s <c>sqlite3_bind_*</c>) and run with <see cref="Execute"/>: no objects per execution, where a
    /// <see cref="SqliteCommand"/> makes a parameter, a binder, a reader and its enumerators for each.
    /// </summary>
    public sqlite3_stmt Statement(string text) => _statements[text];

    /// <summary>
    /// Runs <paramref name="statement"/> (a write) to its end and answers the rows it changed. It is then reset and its
    /// bindings cleared, failed or not: the next use binds afresh, and a parameter it forgot is null, not this one's value.
    /// </summary>
    public int Execute(sqlite3_stmt statement) => SqliteStatements.Execute(_connection, statement);

    /// <summary><see cref="Execute"/> for a statement with a <c>RETURNING</c> integer: answers it, null when no row came back.</summary>
    public long? ExecuteReturning(sqlite3_stmt statement) => SqliteStatements.ExecuteReturning(_connection, statement);

    /// <summary>
    /// Begins the next group's transaction: <c>BEGIN IMMEDIATE</c>, the file's write lock taken at once (as
    /// <see cref="SqliteConnection.BeginTransaction()"/> does), waiting for it up to the connection's busy timeout.
    /// The commands of <see cref="Command"/> run in it without a <see cref="SqliteTransaction"/>: SQLite has one
    /// transaction per connection, and Microsoft.Data.Sqlite checks only that a command's matches the connection's (none).
    /// </summary>
    internal void Begin() => Execute(_statements["BEGIN IMMEDIATE"]);

    /// <summary>Commits the group's transaction.</summary>
    internal void Commit() => Execute(_statements["COMMIT"]);

    /// <summary>Releases the statements and the connection.</summary>
    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _statements.Dispose();
        _connection.Dispose();
    }
}
