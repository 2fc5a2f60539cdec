using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>People and firms through the pages: invitations by mail, roles, removal, lockout, password reset.</summary>
[Collection(ApiCollection.Name)]
public partial class PeopleAndFirmsTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Invitation_ByMail_NewPersonJoinsAsMember_AdminRemovesThem_TheirTokensStopAtOnce()
    {
        using var owner = new Browser(Server.Address);
        await owner.RegisterAsync(Browser.NewEmail("owner"), NewBusinessId(), "Kutsuja Oy");
        var ownerToken = (await owner.TokensAsync())["access_token"]!.GetValue<string>();
        using var ownerApi = Server.BearerClient(ownerToken);
        var firm = (await ReadAsync(await ownerApi.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();

        var email = Browser.NewEmail("colleague");
        await ReadAsync(await ownerApi.PostAsJsonAsync($"/api/v1/traders/{firm}/invitations", new { email, role = "member" }), HttpStatusCode.Created);
        var code = await InvitationCodeMailedToAsync(email);

        // The link's page, for someone not signed in, offers to create an account.
        using var colleague = new Browser(Server.Address);
        var page = await colleague.PageAsync("/account/accept-invitation?code=" + code);
        Assert.Contains("Kutsuja Oy", page, StringComparison.Ordinal);
        Assert.Contains("/account/register?invitation=" + code, page, StringComparison.Ordinal);
        await colleague.RegisterAsync(email, businessId: "", invitation: code);

        var tokens = await colleague.TokensAsync();
        using var colleagueApi = Server.BearerClient(tokens["access_token"]!.GetValue<string>());
        var me = await ReadAsync(await colleagueApi.GetAsync("/api/v1/me"), HttpStatusCode.OK);
        Assert.Equal(firm, me["traderId"]!.GetValue<string>());
        Assert.Equal("member", me["role"]!.GetValue<string>());

        // A member acts for the firm but does not administer it; the link cannot be used twice.
        await ReadAsync(await colleagueApi.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        await ProblemAsync(await colleagueApi.GetAsync($"/api/v1/traders/{firm}/members"), HttpStatusCode.Forbidden, "firm-admin-only");
        Assert.Contains("unknown, used or expired", await colleague.PageAsync("/account/accept-invitation?code=" + code), StringComparison.Ordinal);

        var members = await ReadArrayAsync(await ownerApi.GetAsync($"/api/v1/traders/{firm}/members"));
        Assert.Equal(["trader-admin", "member"], members.Select(m => m!["role"]!.GetValue<string>()));
        var colleagueId = members.Single(m => m!["email"]!.GetValue<string>() == email)!["userId"]!.GetValue<string>();

        // The last admin cannot be removed; the colleague can, and their tokens stop working at once.
        var ownerId = members.Single(m => m!["role"]!.GetValue<string>() == "trader-admin")!["userId"]!.GetValue<string>();
        await ProblemAsync(await ownerApi.DeleteAsync($"/api/v1/traders/{firm}/members/{ownerId}"), HttpStatusCode.Conflict, "last-admin");
        Assert.Equal(HttpStatusCode.NoContent, (await ownerApi.DeleteAsync($"/api/v1/traders/{firm}/members/{colleagueId}")).StatusCode);
        await ProblemAsync(await colleagueApi.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        var refused = await colleague.TokenRequestAsync(CodeFlowTests.RefreshForm(tokens["refresh_token"]!.GetValue<string>(), Browser.FirstPartyClient, null), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", refused["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LockTheAccount_EvenTheRightPasswordIsThenRefused()
    {
        var email = Browser.NewEmail("locked");
        using (var registering = new Browser(Server.Address))
        {
            await registering.RegisterAsync(email, NewBusinessId(), "Lukittu Oy");
        }

        using var browser = new Browser(Server.Address);
        for (var i = 0; i < 5; i++)
        {
            var wrong = await browser.SignInAsync(email, "not the password " + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            var html = await wrong.Content.ReadAsStringAsync();
            Assert.Contains(i < 4 ? "Wrong email or password" : "locked", html, StringComparison.Ordinal);
        }

        var right = await browser.SignInAsync(email);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("locked for 15 minutes", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgotPassword_MailsALink_ResetLetsThePersonSignInWithTheNewPassword()
    {
        var email = Browser.NewEmail("forgetful");
        using (var registering = new Browser(Server.Address))
        {
            await registering.RegisterAsync(email, NewBusinessId(), "Unohtaja Oy");
        }

        using var browser = new Browser(Server.Address);
        var form = await browser.PageAsync("/account/forgot-password");
        var sent = await browser.SubmitAsync(form, "/account/forgot-password", [new("Email", email)]);
        Assert.Contains("on its way", await sent.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var link = await LinkMailedToAsync(email, "/account/reset-password?");
        var resetPage = await browser.PageAsync(link);
        var reset = await browser.SubmitAsync(resetPage, link, [new("Email", email), new("Password", "an entirely new passphrase"), new("Code", CodeOf(link))]);
        Assert.Contains("Your password is changed", await reset.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await browser.SignInAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email, "an entirely new passphrase")).StatusCode);
    }

    [Fact]
    public async Task Register_WithInvalidBusinessId_ShowsTheError_AndCreatesNoAccount()
    {
        using var browser = new Browser(Server.Address);
        var email = Browser.NewEmail("typo");
        var html = await browser.PageAsync("/account/register");
        var response = await browser.SubmitAsync(html, "/account/register",
            [new("DisplayName", "Aino"), new("Email", email), new("Password", Browser.Password), new("FirmName", "Typo Oy"), new("BusinessId", "1572860-1"), new("Roles", "seller")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("role=\"alert\"", page, StringComparison.Ordinal);
        Assert.Contains("valid check digit", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInAsync(email)).StatusCode);
    }

    [Fact]
    public async Task SignOut_EndsTheSession_TheNextAuthorizationAsksToSignInAgain()
    {
        using var browser = new Browser(Server.Address);
        await browser.RegisterAsync(Browser.NewEmail("leaving"), NewBusinessId(), "Lähtijä Oy");
        await browser.TokensAsync();

        var page = await browser.PageAsync("/account/sign-out");
        var signedOut = await browser.SubmitAsync(page, "/account/sign-out", []);
        Assert.Contains("You are signed out", await signedOut.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var (_, challenge) = Browser.Pkce();
        var again = await browser.Http.GetAsync(Browser.AuthorizeUrl(Browser.FirstPartyClient, Browser.Callback, "openid", challenge, "s"));
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Contains("/account/sign-in", again.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndSessionEndpoint_SignsTheBrowserOut()
    {
        using var browser = new Browser(Server.Address);
        await browser.RegisterAsync(Browser.NewEmail("rp-logout"), NewBusinessId(), "Uloskirjautuja Oy");
        await browser.TokensAsync("openid");

        var logout = await browser.Http.GetAsync("/connect/logout");
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);

        var (_, challenge) = Browser.Pkce();
        var again = await browser.Http.GetAsync(Browser.AuthorizeUrl(Browser.FirstPartyClient, Browser.Callback, "openid", challenge, "s"));
        Assert.Contains("/account/sign-in", again.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    private async Task<string> InvitationCodeMailedToAsync(string email)
        => CodeOf(await LinkMailedToAsync(email, "/account/accept-invitation?"));

    /// <summary>Finds the link in the message mailed to the address (embedded mode writes mail under data/mail).</summary>
    private async Task<string> LinkMailedToAsync(string email, string pathPrefix)
    {
        var folder = Path.Combine(Server.DataPath, "mail");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.eml") : [])
            {
                var text = await File.ReadAllTextAsync(file);
                if (text.Contains("To: " + email, StringComparison.Ordinal) && Link().Match(text) is { Success: true } match
                    && new Uri(match.Value).PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal))
                {
                    return new Uri(match.Value).PathAndQuery;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no mail to {email} with a {pathPrefix} link in {folder}");
            await Task.Delay(50);
        }
    }

    private static string CodeOf(string link) => Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(new Uri("http://x"), link).Query)["code"].ToString();

    private static async Task<System.Text.Json.Nodes.JsonArray> ReadArrayAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray();
    }

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Link();
}

/// <summary>The token endpoint and sign-in form are rate limited per address.</summary>
public class RateLimitTests
{
    [Fact]
    public async Task TokenEndpoint_OverTheLimit_Is429ProblemWithRetryAfter()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Identity:RateLimitPerMinute"] = "3" });
        using var client = server.Client();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last = await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "nobody", ["client_secret"] = "wrong",
            }));
            statuses.Add(last.StatusCode);
        }

        Assert.All(statuses.Take(3), s => Assert.NotEqual(HttpStatusCode.TooManyRequests, s));
        await ProblemAsync(last!, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.NotNull(last!.Headers.RetryAfter);
        // Other endpoints are not limited by it.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/materials")).StatusCode);
    }

    [Fact]
    public async Task SearchEndpoint_OverTheLimit_Is429Problem()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Search:RateLimitPerMinute"] = "2" });
        using var client = server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/listings/search?q=bricks")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/listings/search?q=bricks")).StatusCode);
        await ProblemAsync(await client.GetAsync("/api/v1/listings/search?q=bricks"), HttpStatusCode.TooManyRequests, "too-many-requests");
    }
}
