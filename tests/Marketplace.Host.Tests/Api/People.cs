using System.Net;
using Marketplace.Host.Tests.Identity;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Host.Tests.Api;

/// <summary>People other than a firm's registrar: a plain member of a firm, and a platform admin, with real tokens.</summary>
internal static class People
{
    /// <summary>A person added to the firm as a plain member (not an admin), signed in for it; returns their token.</summary>
    public static async Task<string> MemberTokenAsync(MarketplaceServer server, string traderId)
    {
        var email = Browser.NewEmail("member");
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var user = new MarketplaceUser { UserName = email, Email = email, EmailConfirmed = true };
            Assert.True((await users.CreateAsync(user, Browser.Password)).Succeeded);
            await scope.ServiceProvider.GetRequiredService<FirmMembers>().AddAsync(user.Id, traderId, MemberRoles.Member);
        }

        using var browser = new Browser(server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        return (await browser.TokensAsync(traderId: traderId))["access_token"]!.GetValue<string>();
    }

    /// <summary>A person of a firm of their own made platform admin, signed in with the <c>admin</c> scope; returns their token.</summary>
    public static async Task<string> PlatformAdminTokenAsync(MarketplaceServer server)
    {
        using var browser = new Browser(server.Address);
        var email = Browser.NewEmail("admin");
        await browser.RegisterAsync(email, ApiDriver.NewBusinessId(), "Ylläpito Oy");
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var user = await users.FindByEmailAsync(email);
            user!.IsPlatformAdmin = true;
            await users.UpdateAsync(user);
        }

        return (await browser.TokensAsync(Browser.AllFirmScopes + " admin"))["access_token"]!.GetValue<string>();
    }
}
