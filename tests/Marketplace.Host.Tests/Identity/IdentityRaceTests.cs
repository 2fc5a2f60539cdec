using System.Data.Common;
using Marketplace.Domain.Common;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Host.Tests.Identity;

/// <summary>
/// Races on the identity store made certain: an interceptor holds each of two concurrent operations right after its
/// read of the rows it decides on, until both have read, so both decide on the same state before either writes.
/// </summary>
public class IdentityRaceTests
{
    [Fact]
    public async Task TwoAdmins_RemovingEachOtherAfterBothCountedTwoAdmins_LeaveTheFirmOneAdmin()
    {
        var rendezvous = new Rendezvous(sql => sql.Contains("\"Memberships\"", StringComparison.Ordinal) && sql.Contains("'trader-admin'", StringComparison.Ordinal));
        await using var server = await MarketplaceServer.StartAsync(customize: b => b.Services.ConfigureDbContext<SqliteIdentityDb>(o => o.AddInterceptors(rendezvous)));
        const string firm = "race-firm";
        var admins = new List<string>();
        await using (var scope = server.Services.CreateAsyncScope())
        {
            for (var i = 0; i < 2; i++)
            {
                admins.Add(await PersonAsync(scope.ServiceProvider));
                await scope.ServiceProvider.GetRequiredService<FirmMembers>().AddAsync(admins[i], firm, MemberRoles.TraderAdmin);
            }
        }

        rendezvous.Arm();
        // Each on its own thread: SQLite's "async" calls run synchronously, and the rendezvous blocks the caller.
        var outcomes = await Task.WhenAll(admins.Select(removed => Task.Run(async () =>
        {
            await using var scope = server.Services.CreateAsyncScope();
            try
            {
                await scope.ServiceProvider.GetRequiredService<FirmMembers>().RemoveAsync(firm, removed);
                return "removed";
            }
            catch (DomainException e)
            {
                return e.Code;
            }
        })));

        Assert.True(rendezvous.Met, "the two removals did not both read before writing");
        Assert.Equal(["last-admin", "removed"], outcomes.Order());
        await using var check = server.Services.CreateAsyncScope();
        Assert.Equal(1, await check.ServiceProvider.GetRequiredService<IdentityDb>().Memberships.CountAsync(m => m.TraderId == firm && m.Role == MemberRoles.TraderAdmin));
    }

    [Fact]
    public async Task Invitation_AcceptedByTwoPeopleAfterBothFoundItOpen_MakesOneMember()
    {
        var rendezvous = new Rendezvous(sql => sql.Contains("FROM \"Invitations\"", StringComparison.Ordinal) && sql.Contains("\"Id\" = ", StringComparison.Ordinal));
        await using var server = await MarketplaceServer.StartAsync(customize: b => b.Services.ConfigureDbContext<SqliteIdentityDb>(o => o.AddInterceptors(rendezvous)));
        const string firm = "race-firm";
        var people = new List<MarketplaceUser>();
        string code;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<FirmMembers>().AddAsync(await PersonAsync(scope.ServiceProvider), firm, MemberRoles.TraderAdmin);
            var email = Browser.NewEmail("contested");
            await scope.ServiceProvider.GetRequiredService<FirmMembers>().InviteAsync(firm, email, MemberRoles.TraderAdmin, "test", server.Address.ToString());
            using var reader = new Browser(server.Address);
            code = PeopleAndFirmsTests.CodeOf(await reader.LinkMailedToAsync(email, "/account/accept-invitation?"));
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            for (var i = 0; i < 2; i++)
            {
                people.Add((await users.FindByIdAsync(await PersonAsync(scope.ServiceProvider)))!);
            }
        }

        rendezvous.Arm();
        var accepted = await Task.WhenAll(people.Select(person => Task.Run(async () =>
        {
            await using var scope = server.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<FirmMembers>().AcceptAsync(code, person);
        })));

        Assert.True(rendezvous.Met, "the two acceptances did not both read before writing");
        Assert.Equal(1, accepted.Count(a => a));
        await using var check = server.Services.CreateAsyncScope();
        Assert.Equal(2, await check.ServiceProvider.GetRequiredService<IdentityDb>().Memberships.CountAsync(m => m.TraderId == firm));
    }

    private static async Task<string> PersonAsync(IServiceProvider services)
    {
        var email = Browser.NewEmail("racer");
        var user = new MarketplaceUser { UserName = email, Email = email, EmailConfirmed = true };
        Assert.True((await services.GetRequiredService<UserManager<MarketplaceUser>>().CreateAsync(user, Browser.Password)).Succeeded);
        return user.Id;
    }

    /// <summary>Once armed, holds the first two matching reads until both happened (at most 5 s), then lets everything through.</summary>
    private sealed class Rendezvous(Func<string, bool> matches) : DbCommandInterceptor
    {
        private readonly Barrier _barrier = new(2);
        private int _armed;
        private int _arrived;

        public bool Met { get; private set; }

        public void Arm() => Volatile.Write(ref _armed, 1);

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _armed) == 1 && matches(command.CommandText) && Interlocked.Increment(ref _arrived) <= 2)
            {
                Met = _barrier.SignalAndWait(TimeSpan.FromSeconds(5)) || Met;
            }

            return ValueTask.FromResult(result);
        }
    }
}
