using Microsoft.Playwright;

namespace Marketplace.Web.Tests;

/// <summary>A person's session on the pages, and what signing out leaves behind.</summary>
[Collection(WebCollection.Name)]
public sealed class SessionTests(BrowserFixture web)
{
    [BrowserFact]
    public async Task SignOut_ACopyOfTheCookiesKeptFromBefore_ReadsNothingMore()
    {
        var firm = await web.Server.FirmAsync("Uloskirjautuva Oy", "Sami Signout", "seller");
        var page = await web.NewPageAsync();
        await web.GoAsync(page, "/firm");
        await web.SignInAsync(page, firm);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Uloskirjautuva Oy");
        // Another tab's or a stolen copy of the session: the pages' cookie with its tokens, and the sign-in server's.
        var copy = await page.Context.CookiesAsync();

        await page.Locator(".session form[action='/signout'] button").ClickAsync();
        await Assertions.Expect(page.Locator(".session a[href^='/signin']")).ToBeVisibleAsync();

        // Before, the copy read the firm's page for the rest of its access token's hour (probe 28).
        var replay = await web.NewPageAsync();
        await replay.Context.AddCookiesAsync(copy.Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        await web.GoAsync(replay, "/firm");
        await replay.Locator("#Email").WaitForAsync();
        Assert.Contains("/account/sign-in", replay.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("Uloskirjautuva Oy", await replay.ContentAsync(), StringComparison.Ordinal);

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
        await replay.Context.CloseAsync();
    }
}
