using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Statements prepared through SQLite's own API on one connection, by text, kept until disposed. The connection must be
/// used by one thread at a time (the writer's loop; a read's lease), and these are finalized before it closes: a pooled
/// connection must not go back to its pool with statements of ours on it.
/// </summary>
internal sealed class SqliteStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, sqlite3_stmt> _prepared = new(StringComparer.Ordinal);

    /// <summary>The statement <paramref name="text"/>, prepared on first use.</summary>
    public sqlite3_stmt this[string text]
    {
        get
        {
            if (!_prepared.TryGetValue(text, out var statement))
            {
                var rc = raw.sqlite3_prepare_v2(connection.Handle, text, out statement);
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
                _prepared[text] = statement;
            }

            return statement;
        }
    }

    /// <summary>Longest text bound from the stack, in UTF-8 bytes; a longer one (no id or name of ours is) is encoded on the heap.</summary>
    private const int StackTextBytes = 256;

    /// <summary>Binds an integer.</summary>
    public static void Bind(sqlite3_stmt statement, int index, long value) => Bound(raw.sqlite3_bind_int64(statement, index, value), statement);

    /// <summary>Binds text given as UTF-8 (SQLite copies it at once: SQLITE_TRANSIENT).</summary>
    public static void BindUtf8(sqlite3_stmt statement, int index, ReadOnlySpan<byte> text) => Bound(raw.sqlite3_bind_text(statement, index, text), statement);

    /// <summary>Binds text, encoded to UTF-8 on the stack.</summary>
    public static void Bind(sqlite3_stmt statement, int index, string text)
    {
        Span<byte> utf8 = stackalloc byte[StackTextBytes];
        BindUtf8(statement, index, Encoding.UTF8.TryGetBytes(text, utf8, out var length) ? utf8[..length] : Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Binds a grain id as its <see cref="GrainId.ToString"/> text: its type's UTF-8 bytes, '/', its key's (the string
    /// decodes both), without the string. An id that is not valid UTF-8 would not survive that decoding, so it goes by its string.
    /// </summary>
    public static void Bind(sqlite3_stmt statement, int index, GrainId grainId)
    {
        var type = grainId.Type.AsSpan();
        var key = grainId.Key.AsSpan();
        if (type.Length + 1 + key.Length > StackTextBytes || !Utf8.IsValid(type) || !Utf8.IsValid(key))
        {
            Bind(statement, index, grainId.ToString());
            return;
        }

        Span<byte> text = stackalloc byte[StackTextBytes];
        type.CopyTo(text);
        text[type.Length] = (byte)'/';
        key.CopyTo(text[(type.Length + 1)..]);
        BindUtf8(statement, index, text[..(type.Length + 1 + key.Length)]);
    }

    /// <summary>Binds a time as its round-trip ("O") text, formatted on the stack.</summary>
    public static void BindTime<TTime>(sqlite3_stmt statement, int index, TTime time)
        where TTime : IUtf8SpanFormattable
    {
        Span<byte> text = stackalloc byte[64];
        time.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        BindUtf8(statement, index, text[..written]);
    }

    /// <summary>Binds a blob. An empty span would bind a null pointer, which SQLite stores as NULL: it goes as a blob of no bytes.</summary>
    public static void BindBlob(sqlite3_stmt statement, int index, ReadOnlySpan<byte> blob)
        => Bound(blob.IsEmpty ? raw.sqlite3_bind_zeroblob(statement, index, 0) : raw.sqlite3_bind_blob(statement, index, blob), statement);

    /// <summary>Throws when a bind failed (a value too big, a parameter the statement lacks), after releasing the statement's values.</summary>
    private static void Bound(int rc, sqlite3_stmt statement)
    {
        if (rc != raw.SQLITE_OK)
        {
            Release(statement);
            SqliteException.ThrowExceptionForRC(rc, raw.sqlite3_db_handle(statement));
        }
    }

    /// <summary>Runs a write statement to its end and answers the rows it changed; see <see cref="SqliteWriteBatch.Execute"/>.</summary>
    public static int Execute(SqliteConnection connection, sqlite3_stmt statement)
    {
        try
        {
            var rc = raw.sqlite3_step(statement);
            if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }

            return raw.sqlite3_changes(connection.Handle);
        }
        finally
        {
            Release(statement);
        }
    }

    /// <summary>Runs a write statement with a <c>RETURNING</c> integer and answers it (null when no row came back).</summary>
    public static long? ExecuteReturning(SqliteConnection connection, sqlite3_stmt statement)
    {
        try
        {
            // SQLite makes all of a RETURNING statement's changes at its first step: resetting after reading the row keeps them.
            var rc = raw.sqlite3_step(statement);
            if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }

            return rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(statement, 0) : null;
        }
        finally
        {
            Release(statement);
        }
    }

    /// <summary>
    /// Ends a use of <paramref name="statement"/>: reset, so it holds no lock or read snapshot (a COMMIT fails while a
    /// statement is still running), and its values cleared (it keeps its own copies of bound text and blobs until then).
    /// </summary>
    public static void Release(sqlite3_stmt statement)
    {
        raw.sqlite3_reset(statement);
        raw.sqlite3_clear_bindings(statement);
    }

    /// <summary>Finalizes every statement (the connection stays open, for its owner to close).</summary>
    public void Dispose()
    {
        foreach (var statement in _prepared.Values)
        {
            statement.Dispose();
        }

        _prepared.Clear();
    }
}

/// <summary>A pooled reading connection and its prepared statements; see <see cref="SqliteDatabase.Read"/>.</summary>
public sealed class SqliteReadConnection : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteStatements _statements;

    internal SqliteReadConnection(SqliteConnection connection)
    {
        _connection = connection;
        _statements = new SqliteStatements(connection);
        // The wait a SqliteCommand would give a read that meets a checkpoint's brief lock: statements stepped here go
        // to SQLite directly, without the command's retry loop, so SQLite waits instead.
        raw.sqlite3_busy_timeout(connection.Handle, 30_000);
    }

    /// <summary>The statement <paramref name="text"/>, prepared on this connection; bind it, step it, and <see cref="SqliteStatements.Release"/> it.</summary>
    public sqlite3_stmt Statement(string text) => _statements[text];

    /// <summary>Finalizes the statements and closes the connection.</summary>
    public void Dispose()
    {
        _statements.Dispose();
        _connection.Dispose();
    }
}

/// <summary>One read's use of a <see cref="SqliteReadConnection"/>; disposing it gives the connection back.</summary>
public readonly struct SqliteReadLease(SqliteDatabase database, SqliteReadConnection connection) : IDisposable
{
    /// <summary>The leased connection.</summary>
    public SqliteReadConnection Connection => connection;

    /// <summary>Gives the connection back to the pool.</summary>
    public void Dispose() => database.Return(connection);
}
