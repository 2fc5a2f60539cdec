using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Marketplace.Identity;

/// <summary>A person who signs in. Firms they act for are <see cref="Membership"/> rows.</summary>
public sealed class MarketplaceUser : IdentityUser
{
    /// <summary>Name shown to colleagues.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Operator of the installation: moderates and reads everything (with the <c>admin</c> scope).</summary>
    public bool IsPlatformAdmin { get; set; }

    /// <summary>When the account was made (UTC ticks; SQLite cannot order DateTimeOffset).</summary>
    public long CreatedAtTicks { get; set; }
}

/// <summary>A person's place in a firm.</summary>
public sealed class Membership
{
    /// <summary>The user.</summary>
    public required string UserId { get; set; }

    /// <summary>The firm (trader id).</summary>
    public required string TraderId { get; set; }

    /// <summary><see cref="MemberRoles.Member"/> or <see cref="MemberRoles.TraderAdmin"/>.</summary>
    public required string Role { get; set; }

    /// <summary>When the user joined (UTC ticks).</summary>
    public long JoinedAtTicks { get; set; }

    /// <summary>
    /// Changed whenever another admin of the firm is removed (a concurrency token): two admins removing each other at
    /// once cannot both succeed, so a firm never loses its last admin to a race.
    /// </summary>
    public string ConcurrencyStamp { get; set; } = "";
}

/// <summary>Role codes inside a firm.</summary>
public static class MemberRoles
{
    /// <summary>Acts for the firm.</summary>
    public const string Member = "member";

    /// <summary>Also invites and removes colleagues and manages API clients.</summary>
    public const string TraderAdmin = "trader-admin";

    /// <summary>True for a known role code.</summary>
    public static bool IsKnown(string? role) => role is Member or TraderAdmin;
}

/// <summary>An invitation to join a firm; the link carries a secret whose hash is stored here.</summary>
public sealed class Invitation
{
    /// <summary>Invitation id.</summary>
    public required string Id { get; set; }

    /// <summary>The firm.</summary>
    public required string TraderId { get; set; }

    /// <summary>Address the invitation was sent to.</summary>
    public required string Email { get; set; }

    /// <summary>Role the invitee gets.</summary>
    public required string Role { get; set; }

    /// <summary>SHA-256 of the secret in the link (hex).</summary>
    public required string SecretHash { get; set; }

    /// <summary>User who invited.</summary>
    public required string InvitedBy { get; set; }

    /// <summary>Expiry (UTC ticks).</summary>
    public long ExpiresAtTicks { get; set; }

    /// <summary>User who accepted, once accepted; a concurrency token, so an invitation is accepted at most once.</summary>
    public string? AcceptedBy { get; set; }
}

/// <summary>An operator's API client, owned by one firm; the OpenIddict application holds its hashed secret.</summary>
public sealed class ApiClient
{
    /// <summary>OAuth client id.</summary>
    public required string ClientId { get; set; }

    /// <summary>The firm the client acts for.</summary>
    public required string TraderId { get; set; }

    /// <summary>Name given by the firm.</summary>
    public required string Name { get; set; }

    /// <summary>Scopes it may ask for, space separated.</summary>
    public required string Scopes { get; set; }

    /// <summary>Who created it (user id or <c>cli</c>).</summary>
    public required string CreatedBy { get; set; }

    /// <summary>When it was created (UTC ticks).</summary>
    public long CreatedAtTicks { get; set; }
}

/// <summary>The identity store: ASP.NET Core Identity, OpenIddict, memberships, invitations, API clients and Data Protection keys.</summary>
public abstract class IdentityDb(DbContextOptions options) : IdentityDbContext<MarketplaceUser>(options), IDataProtectionKeyContext
{
    /// <summary>Who belongs to which firm.</summary>
    public DbSet<Membership> Memberships => Set<Membership>();

    /// <summary>Open and used invitations.</summary>
    public DbSet<Invitation> Invitations => Set<Invitation>();

    /// <summary>Operators' API clients.</summary>
    public DbSet<ApiClient> ApiClients => Set<ApiClient>();

    /// <summary>Data Protection keys (used in cluster mode, so every host shares them).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.UseOpenIddict();
        builder.Entity<Membership>(m =>
        {
            m.HasKey(x => new { x.UserId, x.TraderId });
            m.HasIndex(x => x.TraderId);
            m.Property(x => x.Role).HasMaxLength(32);
            m.Property(x => x.ConcurrencyStamp).IsConcurrencyToken().HasDefaultValue("");
        });
        builder.Entity<Invitation>(i =>
        {
            i.HasKey(x => x.Id);
            i.HasIndex(x => x.SecretHash).IsUnique();
            i.HasIndex(x => x.TraderId);
            i.Property(x => x.AcceptedBy).IsConcurrencyToken();
        });
        builder.Entity<ApiClient>(c =>
        {
            c.HasKey(x => x.ClientId);
            c.HasIndex(x => x.TraderId);
        });
    }
}

/// <summary>The identity store on SQLite (embedded mode); its migrations are in <c>Migrations/Sqlite</c>.</summary>
public sealed class SqliteIdentityDb(DbContextOptions<SqliteIdentityDb> options) : IdentityDb(options);

/// <summary>The identity store on PostgreSQL (cluster mode); its migrations are in <c>Migrations/PostgreSql</c>.</summary>
public sealed class PostgreSqlIdentityDb(DbContextOptions<PostgreSqlIdentityDb> options) : IdentityDb(options);
