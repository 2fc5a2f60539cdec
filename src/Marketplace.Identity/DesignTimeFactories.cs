using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Marketplace.Identity;

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite store without starting the host.</summary>
public sealed class SqliteIdentityDbFactory : IDesignTimeDbContextFactory<SqliteIdentityDb>
{
    /// <inheritdoc />
    public SqliteIdentityDb CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<SqliteIdentityDb>().UseSqlite("Data Source=design-time.db").UseOpenIddict().Options);
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL store without a server.</summary>
public sealed class PostgreSqlIdentityDbFactory : IDesignTimeDbContextFactory<PostgreSqlIdentityDb>
{
    /// <inheritdoc />
    public PostgreSqlIdentityDb CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<PostgreSqlIdentityDb>().UseNpgsql("Host=localhost;Database=design_time").UseOpenIddict().Options);
}
