using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Marketplace.Identity.Tests;

/// <summary>
/// Both migration sets live in Marketplace.Identity with the ids existing databases recorded, migrate an empty store
/// to the current model, and leave nothing for a new migration to add.
/// </summary>
public class IdentityMigrationsTests
{
    [Fact]
    public async Task Sqlite_MigrateEmptyStore_AppliesTheKnownMigrationsAndMatchesTheModel()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var db = new SqliteIdentityDb(new DbContextOptionsBuilder<SqliteIdentityDb>().UseSqlite(connection).UseOpenIddict().Options);

        await db.Database.MigrateAsync();

        Assert.Equal(["20261128003135_InitialIdentity", "20261129154314_InvitationsAndAdminsConcurrency"], await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public async Task PostgreSql_MigrateEmptyStore_AppliesTheKnownMigrationsAndMatchesTheModel()
    {
        var connection = TestPostgres.NewDatabase("identity_migrations");
        await using var db = new PostgreSqlIdentityDb(new DbContextOptionsBuilder<PostgreSqlIdentityDb>().UseNpgsql(connection).UseOpenIddict().Options);
        try
        {
            await db.Database.MigrateAsync();

            Assert.Equal(["20261128003149_InitialIdentity", "20261129154324_InvitationsAndAdminsConcurrency"], await db.Database.GetAppliedMigrationsAsync());
            Assert.False(db.Database.HasPendingModelChanges());
        }
        finally
        {
            await db.Database.EnsureDeletedAsync();
        }
    }
}
