using Microsoft.EntityFrameworkCore;

namespace Marketplace.Identity;

/// <summary>
/// A firm's count-then-add under a lock on that firm held to the end of a database transaction, so that parallel
/// requests cannot both pass a bound (probe 23 left 36 API clients at a bound of 25, and 59 open invitations at 50).
/// SQLite takes its one write lock when the transaction begins (Microsoft.Data.Sqlite begins non-deferred transactions
/// as <c>BEGIN IMMEDIATE</c>), so the count is read by one writer at a time; PostgreSQL takes a transaction-scoped
/// advisory lock on the firm, which holds across the cluster's hosts and leaves other firms' writes alone.
/// </summary>
internal static class FirmLocks
{
    /// <summary>
    /// Runs <paramref name="work"/> (which counts, then adds and saves through <paramref name="db"/>) inside one
    /// transaction holding the firm's lock, and commits it; a failure rolls everything back. Inside a transaction already
    /// begun it just runs.
    /// </summary>
    public static async Task<T> UnderFirmLockAsync<T>(this IdentityDb db, string traderId, Func<Task<T>> work, CancellationToken ct = default)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await work();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db is PostgreSqlIdentityDb)
        {
            var key = "marketplace-firm:" + traderId;
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtextextended({key}, 0))", ct);
        }

        var result = await work();
        await transaction.CommitAsync(ct);
        return result;
    }
}
