using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The authorization code + PKCE flow through the real pages over real HTTP, for a third-party application.</summary>
[Collection(ApiCollection.Name)]
public partial class CodeFlowTests(ServerFixture fixture)
{
    private const string AppRedirect = "http://127.0.0.1:7777/signed-in";

    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task ThirdPartyApp_SignInConsentCodeTokenApiRefreshRevoke_RefreshRefusedAfterRevoke()
    {
        var (firmId, clientId, secret, email) = await FirmWithAppAsync();

        // A browser that is not signed in starts the flow at the application's request.
        using var browser = new Browser(Server.Address);
        var (verifier, challenge) = Browser.Pkce();
        var state = Guid.NewGuid().ToString("N");
        var authorize = Browser.AuthorizeUrl(clientId, AppRedirect, "openid profile offline_access listings.read listings.write", challenge, state);
        var toSignIn = await browser.Http.GetAsync(authorize);
        Assert.True(HttpStatusCode.Redirect == toSignIn.StatusCode, await toSignIn.Content.ReadAsStringAsync());
        var signInUrl = toSignIn.Headers.Location!;
        Assert.Equal("/account/sign-in", signInUrl.IsAbsoluteUri ? signInUrl.AbsolutePath : signInUrl.OriginalString.Split('?')[0]);
        var returnUrl = QueryHelpers.ParseQuery(signInUrl.IsAbsoluteUri ? signInUrl.Query : "?" + signInUrl.OriginalString.Split('?')[1])["ReturnUrl"].ToString();
        Assert.StartsWith("/connect/authorize", returnUrl, StringComparison.Ordinal);

        // Sign in on the page, which sends the browser back to the authorization request.
        var signedIn = await browser.SignInAsync(email, returnUrl: returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(returnUrl, signedIn.Headers.Location!.OriginalString);

        // A third-party application needs consent: the consent page lists what it asks for.
        var toConsent = await browser.Http.GetAsync(returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, toConsent.StatusCode);
        Assert.StartsWith("/account/consent", toConsent.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var consentPage = await browser.PageAsync(toConsent.Headers.Location!.OriginalString);
        Assert.Contains("Inventory sync", consentPage, StringComparison.Ordinal);
        Assert.Contains("create, change and withdraw your firm", consentPage, StringComparison.Ordinal);

        var granted = await browser.SubmitAsync(consentPage, "/connect/authorize", [.. HiddenFields(consentPage), new("consent", "grant")]);
        var code = Browser.CodeFrom(granted, AppRedirect, state);

        var tokens = await browser.RedeemAsync(code, verifier, clientId, AppRedirect, secret);
        var access = tokens["access_token"]!.GetValue<string>();
        var refresh = tokens["refresh_token"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(tokens["id_token"]?.GetValue<string>()));

        // The token acts for the person's firm with the consented scopes.
        var me = await ReadAsync(await Server.BearerClient(access).GetAsync("/api/v1/me"), HttpStatusCode.OK);
        Assert.Equal(firmId, me["traderId"]!.GetValue<string>());
        Assert.Equal("person", me["kind"]!.GetValue<string>());
        Assert.Contains("listings.write", me["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.DoesNotContain("orders.write", me["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        var created = await Server.BearerClient(access).PostAsJsonAsync("/api/v1/listings", Lot());
        await ReadAsync(created, HttpStatusCode.Created);

        // Rolling refresh: a new access token and a new refresh token.
        var refreshed = await browser.TokenRequestAsync(RefreshForm(refresh, clientId, secret), HttpStatusCode.OK);
        var newRefresh = refreshed["refresh_token"]!.GetValue<string>();
        Assert.NotEqual(refresh, newRefresh);
        await ReadAsync(await Server.BearerClient(refreshed["access_token"]!.GetValue<string>()).GetAsync("/api/v1/me"), HttpStatusCode.OK);

        // Revoke the refresh token: refreshing with it is refused.
        var revoke = await browser.Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = newRefresh, ["token_type_hint"] = "refresh_token", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var refused = await browser.TokenRequestAsync(RefreshForm(newRefresh, clientId, secret), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", refused["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ThirdPartyApp_ConsentDenied_RedirectsWithAccessDenied_AndPlainPkceIsRefused()
    {
        var (_, clientId, _, email) = await FirmWithAppAsync();
        using var browser = new Browser(Server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);

        var (_, challenge) = Browser.Pkce();
        var state = Guid.NewGuid().ToString("N");
        var toConsent = await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, "openid listings.read", challenge, state));
        var consentPage = await browser.PageAsync(toConsent.Headers.Location!.OriginalString);
        var denied = await browser.SubmitAsync(consentPage, "/connect/authorize", [.. HiddenFields(consentPage), new("consent", "deny")]);
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        var query = QueryHelpers.ParseQuery(new Uri(denied.Headers.Location!.ToString()).Query);
        Assert.Equal("access_denied", query["error"].ToString());

        // PKCE with the "plain" method is not accepted.
        var plain = Browser.AuthorizeUrl(clientId, AppRedirect, "openid", "a-plain-challenge-that-is-long-enough-0123456789", state).Replace("code_challenge_method=S256", "code_challenge_method=plain");
        await AssertInvalidRequestAsync(await browser.Http.GetAsync(plain));
    }

    [Fact]
    public async Task ThirdPartyAppToken_OfAFirmAdmin_WithoutFirmScope_CannotAdministerTheFirm()
    {
        var (firmId, clientId, secret, email) = await FirmWithAppAsync();
        using var browser = new Browser(Server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);

        // The person is the firm's admin, but the application was only given openid.
        var access = (await ConsentedTokensAsync(browser, clientId, secret, "openid"))["access_token"]!.GetValue<string>();
        using var api = Server.BearerClient(access);
        await ProblemAsync(await api.PostAsJsonAsync($"/api/v1/traders/{firmId}/clients", new { name = "Takeover", scopes = "listings.read listings.write" }),
            HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await api.PostAsJsonAsync($"/api/v1/traders/{firmId}/invitations", new { email = Browser.NewEmail("accomplice"), role = "trader-admin" }),
            HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await api.PatchAsJsonAsync($"/api/v1/traders/{firmId}", new { municipality = "Espoo" }), HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await api.PostAsJsonAsync("/api/v1/traders", Firm("buyer")), HttpStatusCode.Forbidden, "insufficient-scope");

        // Nor can the application ask for the firm scope: only the marketplace's own client may.
        var (_, challenge) = Browser.Pkce();
        await AssertInvalidRequestAsync(await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, "openid firm.admin", challenge, "s")));
    }

    [Fact]
    public async Task Consent_GivenWhileActingForOneFirm_DoesNotLetTheAppActForAnotherWithPromptNone()
    {
        var (firmA, clientId, secret, email) = await FirmWithAppAsync();
        using var browser = new Browser(Server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        using var own = Server.BearerClient((await browser.TokensAsync())["access_token"]!.GetValue<string>());
        var firmB = (await ReadAsync(await own.PostAsJsonAsync("/api/v1/traders", Firm("buyer")), HttpStatusCode.Created))["id"]!.GetValue<string>();

        var tokens = await ConsentedTokensAsync(browser, clientId, secret, "openid listings.read", firmA);
        Assert.Equal(firmA, (await ReadAsync(await Server.BearerClient(tokens["access_token"]!.GetValue<string>()).GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>());

        // Silently, for the other firm: consent is required, no code is sent.
        var (_, challenge) = Browser.Pkce();
        var silentB = await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, "openid listings.read", challenge, "b", firmB) + "&prompt=none");
        Assert.Equal(HttpStatusCode.Redirect, silentB.StatusCode);
        var query = QueryHelpers.ParseQuery(new Uri(silentB.Headers.Location!.ToString()).Query);
        Assert.Equal("consent_required", query["error"].ToString());
        Assert.False(query.ContainsKey("code"));

        // Silently, for the firm the consent was given for: a code.
        var silentA = await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, "openid listings.read", challenge, "a", firmA) + "&prompt=none");
        Browser.CodeFrom(silentA, AppRedirect, "a");
    }

    [Fact]
    public async Task ConsentPosted_WithoutAntiforgeryToken_Is400Problem()
    {
        var (_, clientId, _, email) = await FirmWithAppAsync();
        using var browser = new Browser(Server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        var (_, challenge) = Browser.Pkce();
        var toConsent = await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, "openid listings.read", challenge, "s"));
        var consentPage = await browser.PageAsync(toConsent.Headers.Location!.OriginalString);

        var forged = await browser.Http.PostAsync("/connect/authorize", new FormUrlEncodedContent([.. HiddenFields(consentPage), new("consent", "grant")]));
        await ProblemAsync(forged, HttpStatusCode.BadRequest, "antiforgery-failed");
    }

    /// <summary>Runs the code flow for a signed-in browser through the consent page (when it is shown) and redeems the code.</summary>
    private static async Task<JsonObject> ConsentedTokensAsync(Browser browser, string clientId, string secret, string scopes, string? traderId = null)
    {
        var (verifier, challenge) = Browser.Pkce();
        var state = Guid.NewGuid().ToString("N");
        var answer = await browser.Http.GetAsync(Browser.AuthorizeUrl(clientId, AppRedirect, scopes, challenge, state, traderId));
        if (answer.Headers.Location?.OriginalString.StartsWith("/account/consent", StringComparison.Ordinal) == true)
        {
            var consentPage = await browser.PageAsync(answer.Headers.Location.OriginalString);
            answer = await browser.SubmitAsync(consentPage, "/connect/authorize", [.. HiddenFields(consentPage), new("consent", "grant")]);
        }

        return await browser.RedeemAsync(Browser.CodeFrom(answer, AppRedirect, state), verifier, clientId, AppRedirect, secret);
    }

    [Fact]
    public async Task AuthorizeWithoutPkce_IsRefused()
    {
        using var browser = new Browser(Server.Address);
        var url = QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = Browser.FirstPartyClient, ["redirect_uri"] = Browser.Callback, ["response_type"] = "code", ["scope"] = "openid", ["state"] = "s",
        });
        await AssertInvalidRequestAsync(await browser.Http.GetAsync(url));
    }

    /// <summary>A person who registered a firm through the pages and created an application that signs people in.</summary>
    internal async Task<(string FirmId, string ClientId, string Secret, string Email)> FirmWithAppAsync()
    {
        using var owner = new Browser(Server.Address);
        var email = Browser.NewEmail("owner");
        await owner.RegisterAsync(email, NewBusinessId(), "Sovellus Oy");
        var token = (await owner.TokensAsync())["access_token"]!.GetValue<string>();
        using var api = Server.BearerClient(token);
        var firmId = (await ReadAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();
        var client = await ReadAsync(await api.PostAsJsonAsync($"/api/v1/traders/{firmId}/clients", new
        {
            name = "Inventory sync",
            scopes = "listings.read listings.write",
            redirectUris = new[] { AppRedirect },
        }), HttpStatusCode.Created);
        return (firmId, client["clientId"]!.GetValue<string>(), client["clientSecret"]!.GetValue<string>(), email);
    }

    /// <summary>The server refuses the request itself (400, error invalid_request) rather than sending a code anywhere.</summary>
    private static async Task AssertInvalidRequestAsync(HttpResponseMessage answer)
    {
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{(int)answer.StatusCode} {answer.Headers.Location} {body}");
        Assert.Contains("error:invalid_request", body, StringComparison.Ordinal);
        Assert.Null(answer.Headers.Location);
    }

    internal static Dictionary<string, string> RefreshForm(string refreshToken, string clientId, string? secret)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = clientId };
        if (secret is not null)
        {
            form["client_secret"] = secret;
        }

        return form;
    }

    private static IEnumerable<KeyValuePair<string, string>> HiddenFields(string html)
        => Hidden().Matches(html)
            .Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Where(p => p.Key != "__RequestVerificationToken");

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex Hidden();
}
