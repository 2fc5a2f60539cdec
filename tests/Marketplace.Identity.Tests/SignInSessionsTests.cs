using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Identity.Tests;

/// <summary>The sign-in server's sessions in the identity store (SQLite file, as the embedded host keeps it).</summary>
public sealed class SignInSessionsTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sessions-{Guid.NewGuid():N}.db");
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _services = new ServiceCollection()
            .AddDbContext<IdentityDb, SqliteIdentityDb>(o => o.UseSqlite($"Data Source={_file};Default Timeout=30").UseOpenIddict())
            .BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        await db.Database.MigrateAsync();
        db.Users.Add(new MarketplaceUser { Id = "person-1", UserName = "aino@purku.example", Email = "aino@purku.example" });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    [Fact]
    public async Task Store_ManySignInsAtOnceWhenTheBoundIsReached_AllSucceed_AndTheBoundHolds()
    {
        var sessions = new SignInSessions(_services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System);
        for (var i = 0; i < SignInSessions.MaxPerPerson - 1; i++)
        {
            await sessions.StoreAsync(Ticket(), CancellationToken.None);
        }

        // Every one of these picks the same oldest session to drop: before, all but one failed (probe 29's 500s).
        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => sessions.StoreAsync(Ticket(), CancellationToken.None))));

        Assert.Equal(8, keys.Distinct().Count());
        var missing = new List<string>();
        foreach (var key in keys)
        {
            if (await sessions.RetrieveAsync(key, CancellationToken.None) is null)
            {
                missing.Add(key);
            }
        }

        // The oldest sessions made room, not the ones just signed in.
        Assert.True(missing.Count == 0, $"{missing.Count} of the new sessions are gone");
        Assert.InRange(await CountAsync(), 1, SignInSessions.MaxPerPerson);
    }

    [Fact]
    public async Task Remove_EndsTheSession_AndAnEditedKeyFindsNothing()
    {
        var sessions = new SignInSessions(_services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System);
        var key = await sessions.StoreAsync(Ticket(), CancellationToken.None);
        Assert.Equal("person-1", (await sessions.RetrieveAsync(key, CancellationToken.None))?.Principal.FindFirst("sub")?.Value);

        Assert.Null(await sessions.RetrieveAsync("person-2" + key[key.IndexOf(':', StringComparison.Ordinal)..], CancellationToken.None));
        Assert.Null(await sessions.RetrieveAsync("no separator", CancellationToken.None));
        await sessions.RemoveAsync(key, CancellationToken.None);
        Assert.Null(await sessions.RetrieveAsync(key, CancellationToken.None));
    }

    private static AuthenticationTicket Ticket()
        => new(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "person-1")], "Identity.Application")),
            new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.AddDays(14) }, "Identity.Application");

    private async Task<int> CountAsync()
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IdentityDb>().UserTokens.CountAsync(t => t.LoginProvider == SignInSessions.Provider);
    }
}
