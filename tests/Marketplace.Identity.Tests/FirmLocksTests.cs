using Microsoft.EntityFrameworkCore;

namespace Marketplace.Identity.Tests;

/// <summary>
/// On PostgreSQL (the cluster's identity store) a firm's count-then-add runs one at a time across connections, as it
/// would across hosts, while another firm's does not wait.
/// </summary>
public class FirmLocksTests
{
    [Fact]
    public async Task PostgreSql_OneFirmsLockedWork_WaitsForTheOther_AndAnotherFirmsDoesNot()
    {
        var connection = TestPostgres.NewDatabase("identity_locks");
        PostgreSqlIdentityDb Open() => new(new DbContextOptionsBuilder<PostgreSqlIdentityDb>().UseNpgsql(connection).UseOpenIddict().Options);
        await using var first = Open();
        await using var second = Open();
        await using var other = Open();
        await first.Database.MigrateAsync();
        try
        {
            var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var holding = first.UnderFirmLockAsync("firm-1", async () =>
            {
                inside.SetResult();
                await release.Task;
                return 1;
            });
            await inside.Task;

            var secondRan = false;
            var waiting = second.UnderFirmLockAsync("firm-1", () =>
            {
                secondRan = true;
                return Task.FromResult(2);
            });
            Assert.True(await WaitingForAdvisoryLockAsync(other, TimeSpan.FromSeconds(20)), "the second caller never waited for the firm's lock");
            Assert.False(secondRan);
            Assert.Equal(3, await other.UnderFirmLockAsync("firm-2", () => Task.FromResult(3)));
            Assert.False(secondRan);

            release.SetResult();
            Assert.Equal((1, 2), (await holding, await waiting));
            Assert.True(secondRan);
        }
        finally
        {
            await first.Database.EnsureDeletedAsync();
        }
    }

    /// <summary>Polls, up to a deadline, until a session of this database waits for an advisory lock.</summary>
    private static async Task<bool> WaitingForAdvisoryLockAsync(PostgreSqlIdentityDb db, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var waiting = await db.Database.SqlQueryRaw<int>(
                "SELECT count(*)::int AS \"Value\" FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()").SingleAsync();
            if (waiting > 0)
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }
}
