using System.Net;
using System.Net.Http.Json;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>People and firms through the pages: invitations by mail, roles, removal, lockout, password reset.</summary>
[Collection(ApiCollection.Name)]
public class PeopleAndFirmsTests(ServerFixture fixture)
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
    public async Task Invitation_Revoked_ItsLinkStopsWorking()
    {
        var (ownerApi, firm) = await OwnerAsync("Peruuttaja Oy");
        var email = Browser.NewEmail("uninvited");
        var invitation = await ReadAsync(await ownerApi.PostAsJsonAsync($"/api/v1/traders/{firm}/invitations", new { email, role = "trader-admin" }), HttpStatusCode.Created);
        var code = await InvitationCodeMailedToAsync(email);
        var id = invitation["id"]!.GetValue<string>();
        Assert.Contains(id, (await ownerApi.GetStringAsync($"/api/v1/traders/{firm}/invitations")), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await ownerApi.DeleteAsync($"/api/v1/traders/{firm}/invitations/{id}")).StatusCode);
        using var invitee = new Browser(Server.Address);
        Assert.Contains("unknown, used or expired", await invitee.PageAsync("/account/accept-invitation?code=" + code), StringComparison.Ordinal);
        await ProblemAsync(await ownerApi.DeleteAsync($"/api/v1/traders/{firm}/invitations/{id}"), HttpStatusCode.NotFound, "invitation-not-found");
    }

    /// <summary>An admin makes a member admin (the only way used to be inviting them again), and the last admin stays one.</summary>
    [Fact]
    public async Task MemberRole_AnAdminPromotesAColleague_WhoseOldTokenStops_AndTheLastAdminCannotStepDown()
    {
        var (ownerApi, firm) = await OwnerAsync("Roolit Oy");
        var email = Browser.NewEmail("colleague");
        await ReadAsync(await ownerApi.PostAsJsonAsync($"/api/v1/traders/{firm}/invitations", new { email, role = "member" }), HttpStatusCode.Created);
        var code = await InvitationCodeMailedToAsync(email);
        using var colleague = new Browser(Server.Address);
        await colleague.RegisterAsync(email, businessId: "", invitation: code);
        using var colleagueApi = Server.BearerClient((await colleague.TokensAsync())["access_token"]!.GetValue<string>());
        await ProblemAsync(await colleagueApi.GetAsync($"/api/v1/traders/{firm}/members"), HttpStatusCode.Forbidden, "firm-admin-only");
        var members = await ReadArrayAsync(await ownerApi.GetAsync($"/api/v1/traders/{firm}/members"));
        var colleagueId = members.Single(m => m!["email"]!.GetValue<string>() == email)!["userId"]!.GetValue<string>();
        var ownerId = members.Single(m => m!["role"]!.GetValue<string>() == "trader-admin")!["userId"]!.GetValue<string>();

        // The last admin cannot become a member; a member cannot change roles; an unknown role is named.
        await ProblemAsync(await ownerApi.PatchAsJsonAsync($"/api/v1/traders/{firm}/members/{ownerId}", new { role = "member" }), HttpStatusCode.Conflict, "last-admin");
        await ProblemAsync(await ownerApi.PatchAsJsonAsync($"/api/v1/traders/{firm}/members/{colleagueId}", new { role = "boss" }), HttpStatusCode.UnprocessableEntity, "validation-failed", "role");
        await ProblemAsync(await ownerApi.PatchAsJsonAsync($"/api/v1/traders/{firm}/members/nobody", new { role = "member" }), HttpStatusCode.NotFound, "member-not-found");

        var promoted = await ReadAsync(await ownerApi.PatchAsJsonAsync($"/api/v1/traders/{firm}/members/{colleagueId}", new { role = "trader-admin" }), HttpStatusCode.OK);
        Assert.Equal("trader-admin", promoted["role"]!.GetValue<string>());
        // The old token carried the member's role: it is revoked; signed in again, the colleague is admin.
        await ProblemAsync(await colleagueApi.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        // So are the authorizations its tokens hang on: a refresh that read the old role just before the change stores its
        // new token after the tokens were revoked, and that token is refused with its authorization (probe 23).
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var manager = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictAuthorizationManager>();
            var held = new List<object>();
            await foreach (var authorization in manager.FindBySubjectAsync(colleagueId))
            {
                held.Add(authorization);
            }

            Assert.NotEmpty(held);
            foreach (var authorization in held)
            {
                Assert.Equal(OpenIddict.Abstractions.OpenIddictConstants.Statuses.Revoked, await manager.GetStatusAsync(authorization));
            }
        }

        using var again = Server.BearerClient((await colleague.TokensAsync())["access_token"]!.GetValue<string>());
        Assert.Equal(2, (await ReadArrayAsync(await again.GetAsync($"/api/v1/traders/{firm}/members"))).Count);

        // With two admins, the first may step down.
        Assert.Equal("member", (await ReadAsync(await again.PatchAsJsonAsync($"/api/v1/traders/{firm}/members/{ownerId}", new { role = "member" }), HttpStatusCode.OK))["role"]!.GetValue<string>());
    }

    /// <summary>Invitations are mails to any address: one open per address, a bounded number per firm (probe 14 sent 500).</summary>
    [Fact]
    public async Task Invitations_OneOpenPerAddress_AndAtMostTheFirmsBound()
    {
        var (ownerApi, firm) = await OwnerAsync("Kutsuraja Oy");
        var path = $"/api/v1/traders/{firm}/invitations";
        var email = Browser.NewEmail("twice");
        // Ten at once to one address open one invitation (and send one mail): the rest find it (probe 23 opened 7).
        var burst = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ownerApi.PostAsJsonAsync(path, new { email, role = "member" })));
        Assert.Equal(1, burst.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(burst.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var first = await ReadAsync(burst.Single(r => r.StatusCode == HttpStatusCode.Created), HttpStatusCode.Created);

        var again = await ProblemAsync(await ownerApi.PostAsJsonAsync(path, new { email = " " + email.ToUpperInvariant(), role = "trader-admin" }), HttpStatusCode.Conflict, "invitation-exists");
        Assert.Equal(first["id"]!.GetValue<string>(), again["invitationId"]!.GetValue<string>());
        // Revoked, the address may be invited anew.
        Assert.Equal(HttpStatusCode.NoContent, (await ownerApi.DeleteAsync($"{path}/{first["id"]!.GetValue<string>()}")).StatusCode);
        await ReadAsync(await ownerApi.PostAsJsonAsync(path, new { email, role = "member" }), HttpStatusCode.Created);

        // The rest of the bound and ten more, all at once: exactly the bound is opened.
        var many = await Task.WhenAll(Enumerable.Range(1, FirmMembers.MaxOpenInvitations + 9)
            .Select(i => ownerApi.PostAsJsonAsync(path, new { email = Browser.NewEmail("many" + i), role = "member" })));
        Assert.Equal(FirmMembers.MaxOpenInvitations - 1, many.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(many.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));

        var refused = await ProblemAsync(await ownerApi.PostAsJsonAsync(path, new { email = Browser.NewEmail("too-many"), role = "member" }), HttpStatusCode.Conflict, "invitation-limit");
        Assert.Equal(FirmMembers.MaxOpenInvitations, refused["maxOpenInvitations"]!.GetValue<int>());
        await using var scope = Server.Services.CreateAsyncScope();
        Assert.Equal(FirmMembers.MaxOpenInvitations, await scope.ServiceProvider.GetRequiredService<IdentityDb>().Invitations.CountAsync(i => i.TraderId == firm && i.AcceptedBy == null));
    }

    [Theory]
    [InlineData("someone@")]
    [InlineData("Mallory <mallory@evil.example>")]
    [InlineData("a@firm.example, b@evil.example")]
    [InlineData("not an address")]
    public async Task Invitation_ToAnInvalidAddress_Is422_AndNothingIsStored(string email)
    {
        var (ownerApi, firm) = await OwnerAsync("Kirjoitusvirhe Oy");
        await ProblemAsync(await ownerApi.PostAsJsonAsync($"/api/v1/traders/{firm}/invitations", new { email, role = "member" }), HttpStatusCode.UnprocessableEntity, "validation-failed", "email");
        await using var scope = Server.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<IdentityDb>().Invitations.CountAsync(i => i.TraderId == firm));
    }

    /// <summary>A person who registered a firm through the pages: an API client with their token, and the firm's id.</summary>
    private async Task<(HttpClient Api, string Firm)> OwnerAsync(string firmName)
    {
        using var owner = new Browser(Server.Address);
        await owner.RegisterAsync(Browser.NewEmail("owner"), NewBusinessId(), firmName);
        var api = Server.BearerClient((await owner.TokensAsync())["access_token"]!.GetValue<string>());
        var firm = (await ReadAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();
        return (api, firm);
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswordsFromOneAddress_LockThatAddressOut_ButNotTheOwnerElsewhere()
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

        // The stranger guessing from their address did not lock the owner out: from another address the password works.
        using var owner = new Browser(Server.Address, localAddress: IPAddress.Parse("127.0.0.2"));
        var elsewhere = await owner.SignInAsync(email);
        Assert.True(elsewhere.StatusCode == HttpStatusCode.Redirect, Browser.ErrorText(await elsewhere.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task SignIn_AnAddressWithoutAnAccount_IsAnsweredAsOneWithAnAccount_AttemptForAttempt()
    {
        var known = Browser.NewEmail("known");
        using (var registering = new Browser(Server.Address))
        {
            await registering.RegisterAsync(known, NewBusinessId(), "Tunnettu Oy");
        }

        var unknown = Browser.NewEmail("nobody");
        var forKnown = await WrongPasswordsFromFiveAddressesAsync(known, "127.0.1.", 10);
        var forUnknown = await WrongPasswordsFromFiveAddressesAsync(unknown, "127.0.1.", 20);

        Assert.Equal(forKnown, forUnknown);
        Assert.Contains("this account is locked", forUnknown[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invitation_APersonAlreadySignedIn_JoinsThroughTheLinksPage()
    {
        using var owner = new Browser(Server.Address);
        await owner.RegisterAsync(Browser.NewEmail("owner"), NewBusinessId(), "Kutsuva Oy");
        using var ownerApi = Server.BearerClient((await owner.TokensAsync())["access_token"]!.GetValue<string>());
        var firm = (await ReadAsync(await ownerApi.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();
        var email = Browser.NewEmail("existing");
        await ReadAsync(await ownerApi.PostAsJsonAsync($"/api/v1/traders/{firm}/invitations", new { email, role = "member" }), HttpStatusCode.Created);
        var code = await InvitationCodeMailedToAsync(email);

        // The invited person has an account already (of another firm) and is signed in: the page's form joins them.
        using var person = new Browser(Server.Address);
        await person.RegisterAsync(email, NewBusinessId(), "Oma Firma Oy");
        var page = await person.PageAsync("/account/accept-invitation?code=" + code);
        Assert.Contains("Join Kutsuva Oy", page, StringComparison.Ordinal);
        using var joined = await person.SubmitAsync(page, "/account/accept-invitation?code=" + code, [new("code", code)]);
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        Assert.Contains("You are now a member of Kutsuva Oy", await joined.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var members = await ReadArrayAsync(await ownerApi.GetAsync($"/api/v1/traders/{firm}/members"));
        Assert.Contains(members, m => m!["email"]!.GetValue<string>() == email);
    }

    [Fact]
    public async Task Register_WithoutAName_OrWithAnOversizedOne_IsRefused_AndNoAccountIsMade()
    {
        foreach (var (name, message) in new[] { ("   ", "Enter your name."), ("", "Enter your name."), (new string('n', 201), "Your name must be at most 200 characters."), ("Ai\u0007no", "Your name must not contain control characters.") })
        {
            using var browser = new Browser(Server.Address);
            var email = Browser.NewEmail("nameless");
            var html = await browser.PageAsync("/account/register");
            using var answer = await browser.SubmitAsync(html, "/account/register",
                [new("DisplayName", name), new("Email", email), new("Password", Browser.Password), new("FirmName", "Nimetön Oy"),
                 new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller")]);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains(message, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // No account was made: the address is unknown to the sign-in (an unconfirmed account would be asked to confirm).
            using var signIn = await browser.SignInAsync(email);
            Assert.Contains("Wrong email or password.", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The firm's fields are named as the form labels them, not by the API's paths.
        using var other = new Browser(Server.Address);
        var page = await other.PageAsync("/account/register");
        using var refused = await other.SubmitAsync(page, "/account/register",
            [new("DisplayName", "Aino"), new("Email", Browser.NewEmail("phone")), new("Password", Browser.Password), new("FirmName", "Puhelin Oy"),
             new("BusinessId", NewBusinessId()), new("Phone", "040\u0007"), new("Roles", "seller")]);
        var text = await refused.Content.ReadAsStringAsync();
        Assert.Contains("The phone number must not contain control characters", text, StringComparison.Ordinal);
        Assert.DoesNotContain("contact.phone", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_InFinnish_SaysTheFirmsProblemsInFinnish_AndATakenBusinessIdAsksForAnInvitation()
    {
        // Probe 15 found the firm's problems in English on the Finnish register page.
        static Browser Finnish(Uri address)
        {
            var browser = new Browser(address);
            browser.Http.DefaultRequestHeaders.AcceptLanguage.Clear();
            browser.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("fi");
            return browser;
        }

        using (var browser = Finnish(Server.Address))
        {
            var html = await browser.PageAsync("/account/register");
            using var refused = await browser.SubmitAsync(html, "/account/register",
                [new("DisplayName", "Aino"), new("Email", Browser.NewEmail("finnish")), new("Password", Browser.Password), new("FirmName", " "),
                 new("BusinessId", "1572860-1"), new("Phone", new string('4', 45))]);
            var text = WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("Y-tunnuksessa on seitsemän numeroa, väliviiva ja oikea tarkiste, esim. 1572860-0.", text, StringComparison.Ordinal);
            Assert.Contains("Anna yrityksen virallinen nimi.", text, StringComparison.Ordinal);
            Assert.Contains("Puhelinnumerossa saa olla enintään 40 merkkiä (nyt 45).", text, StringComparison.Ordinal);
            Assert.Contains("Valitse vähintään yksi: yritys myy ylijäämämateriaalia", text, StringComparison.Ordinal);
            Assert.DoesNotContain("must not be empty", text, StringComparison.Ordinal);
            Assert.DoesNotContain("characters (it has", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Give the firm", text, StringComparison.Ordinal);
        }

        var businessId = NewBusinessId();
        using (var first = new Browser(Server.Address))
        {
            await first.RegisterAsync(Browser.NewEmail("first"), businessId, "Rekisteröity Oy");
        }

        using (var second = Finnish(Server.Address))
        {
            var html = await second.PageAsync("/account/register");
            using var taken = await second.SubmitAsync(html, "/account/register",
                [new("DisplayName", "Toinen"), new("Email", Browser.NewEmail("second")), new("Password", Browser.Password), new("FirmName", "Kopio Oy"),
                 new("BusinessId", businessId), new("Municipality", "Espoo"), new("Roles", "buyer")]);
            var text = WebUtility.HtmlDecode(await taken.Content.ReadAsStringAsync());
            Assert.Contains($"Y-tunnuksella {businessId} on jo rekisteröity yritys. Jos kuulut yritykseen, pyydä sen ylläpitäjältä kutsu.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("already registered", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Register_InFinnish_AccountMailIsInFinnish_AndInEnglishFromTheEnglishPage()
    {
        foreach (var (language, subject, sentence) in new[]
        {
            ("fi", "Subject: Vahvista sähköpostiosoitteesi Materiaalitorille\r\n", "Vahvista osoitteesi avaamalla tämä linkki. Sen jälkeen voit kirjautua sisään:\r\n"),
            ("en", "Subject: Confirm your address for the materials marketplace\r\n", "Open this link to confirm your address; you can sign in after that:\r\n"),
        })
        {
            using var browser = new Browser(Server.Address);
            browser.Http.DefaultRequestHeaders.AcceptLanguage.Clear();
            browser.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
            var email = Browser.NewEmail("mail-" + language);
            var html = await browser.PageAsync("/account/register");
            using var registered = await browser.SubmitAsync(html, "/account/register",
                [new("DisplayName", "Aino"), new("Email", email), new("Password", Browser.Password), new("FirmName", "Kieli Oy"),
                 new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller")]);
            Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);

            var (text, _) = await browser.MailedLinkAsync(email, "/account/confirm-email?");
            Assert.Contains(subject, text, StringComparison.Ordinal);
            Assert.Contains(sentence, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Invitation_AccountMail_NamesTheFirmAndWhoInvited_InTheLanguageOfTheRequest()
    {
        using var owner = new Browser(Server.Address);
        await owner.RegisterAsync(Browser.NewEmail("owner"), NewBusinessId(), "Kutsukieli Oy");
        using var ownerApi = Server.BearerClient((await owner.TokensAsync())["access_token"]!.GetValue<string>());
        var firm = (await ReadAsync(await ownerApi.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();

        foreach (var (language, subject, sentence) in new[]
        {
            ("fi", "Subject: Kutsu yrityksen Kutsukieli Oy jäseneksi Materiaalitorille\r\n", "Aino Tester kutsui sinut yrityksen Kutsukieli Oy jäseneksi kiertotalouden Materiaalitorille. Roolisi: ylläpitäjä."),
            ("en", "Subject: You are invited to join Kutsukieli Oy on the materials marketplace\r\n", "Aino Tester has invited you to join Kutsukieli Oy on the circular materials marketplace as trader-admin."),
        })
        {
            var email = Browser.NewEmail("invited-" + language);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/traders/{firm}/invitations") { Content = JsonContent.Create(new { email, role = "trader-admin" }) };
            request.Headers.AcceptLanguage.ParseAdd(language);
            await ReadAsync(await ownerApi.SendAsync(request), HttpStatusCode.Created);

            using var reader = new Browser(Server.Address);
            var (text, _) = await reader.MailedLinkAsync(email, "/account/accept-invitation?");
            Assert.Contains(subject, text, StringComparison.Ordinal);
            Assert.Contains(sentence, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Register_AccountActsOnlyOnceTheMailedLinkConfirmsIt()
    {
        using var browser = new Browser(Server.Address);
        var email = Browser.NewEmail("unconfirmed");
        var html = await browser.PageAsync("/account/register");
        var registered = await browser.SubmitAsync(html, "/account/register",
            [new("DisplayName", "Aino"), new("Email", email), new("Password", Browser.Password), new("FirmName", "Vahvistamaton Oy"),
             new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller")]);
        Assert.Equal("/account/confirm-email", registered.Headers.Location?.OriginalString);

        // Not signed in by registering, and the password alone does not sign in: the link is mailed again.
        var (_, challenge) = Browser.Pkce();
        Assert.Contains("/account/sign-in", (await browser.Http.GetAsync(Browser.AuthorizeUrl(Browser.FirstPartyClient, Browser.Callback, "openid", challenge, "s"))).Headers.Location!.ToString(), StringComparison.Ordinal);
        var early = await browser.SignInAsync(email);
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Contains("Confirm your address first", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await browser.ConfirmAsync(email);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        await ReadAsync(await Server.BearerClient((await browser.TokensAsync())["access_token"]!.GetValue<string>()).GetAsync("/api/v1/me"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Register_WithATakenBusinessId_AnswersAlike_WhetherTheAddressHasAnAccountOrNot()
    {
        // Business ids of registered firms are public, so the answer to one must not depend on the address given with it.
        var email = Browser.NewEmail("probed");
        var businessId = NewBusinessId();
        using (var first = new Browser(Server.Address))
        {
            await first.RegisterAsync(email, businessId, "Tutkittava Oy");
        }

        async Task<(HttpStatusCode Status, string Body)> RegisterAsync(string address)
        {
            using var browser = new Browser(Server.Address);
            var html = await browser.PageAsync("/account/register");
            using var answer = await browser.SubmitAsync(html, "/account/register",
                [new("DisplayName", "Someone"), new("Email", address), new("Password", "another long password"), new("FirmName", "Kopio Oy"),
                 new("BusinessId", businessId), new("Municipality", "Espoo"), new("Roles", "buyer")]);
            return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }

        var known = await RegisterAsync(email);
        var unknown = await RegisterAsync(Browser.NewEmail("prober"));

        Assert.Equal(HttpStatusCode.OK, unknown.Status);
        Assert.Contains("already registered", unknown.Body, StringComparison.Ordinal);
        Assert.Equal(unknown.Status, known.Status);
        Assert.Contains("already registered", known.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_WithAnAddressThatHasAnAccount_AnswersAsForANewOne_AndTellsTheOwnerByMail()
    {
        var email = Browser.NewEmail("taken");
        using (var first = new Browser(Server.Address))
        {
            await first.RegisterAsync(email, NewBusinessId(), "Ensimmäinen Oy");
        }

        using var browser = new Browser(Server.Address);
        var html = await browser.PageAsync("/account/register");
        var again = await browser.SubmitAsync(html, "/account/register",
            [new("DisplayName", "Someone"), new("Email", email), new("Password", "another long password"), new("FirmName", "Toinen Oy"),
             new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller")]);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal("/account/confirm-email", again.Headers.Location?.OriginalString);
        var (text, _) = await browser.MailedLinkAsync(email, "/account/sign-in");
        Assert.Contains("You already have an account", text, StringComparison.Ordinal);

        // The other password opened nothing.
        Assert.Equal(HttpStatusCode.OK, (await browser.SignInAsync(email, "another long password")).StatusCode);
    }

    [Fact]
    public async Task PasswordReset_RevokesThePersonsTokensAndRefreshTokens()
    {
        var email = Browser.NewEmail("reset-revokes");
        using var browser = new Browser(Server.Address);
        await browser.RegisterAsync(email, NewBusinessId(), "Nollaaja Oy");
        var tokens = await browser.TokensAsync();
        using var api = Server.BearerClient(tokens["access_token"]!.GetValue<string>());
        await ReadAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.OK);

        using var reset = new Browser(Server.Address);
        var form = await reset.PageAsync("/account/forgot-password");
        await reset.SubmitAsync(form, "/account/forgot-password", [new("Email", email)]);
        var link = await reset.LinkMailedToAsync(email, "/account/reset-password?");
        var done = await reset.SubmitAsync(await reset.PageAsync(link), link, [new("Email", email), new("Password", "a fresh passphrase here"), new("Code", CodeOf(link))]);
        Assert.Contains("Your password is changed", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await ProblemAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        var refused = await browser.TokenRequestAsync(CodeFlowTests.RefreshForm(tokens["refresh_token"]!.GetValue<string>(), Browser.FirstPartyClient, null), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", refused["error"]!.GetValue<string>());

        // The browser signed in with the old password (whoever holds it) is signed out too: it cannot get new tokens.
        await browser.AssertAsksToSignInAsync();
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

    /// <summary>Every problem of the form is said at once: the firm's and the password's (probe 15 met them one by one).</summary>
    [Fact]
    public async Task Register_WithABadBusinessIdAndAShortPassword_SaysBoth()
    {
        using var browser = new Browser(Server.Address);
        var html = await browser.PageAsync("/account/register");
        var response = await browser.SubmitAsync(html, "/account/register",
            [new("DisplayName", "Aino"), new("Email", Browser.NewEmail("both")), new("Password", "short"), new("FirmName", "Kaksi Virhettä Oy"), new("BusinessId", "1572860-1"), new("Roles", "seller")]);
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("valid check digit", page, StringComparison.Ordinal);
        Assert.Contains("Passwords must be at least", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_EndsTheSession_TheNextAuthorizationAsksToSignInAgain()
    {
        using var browser = new Browser(Server.Address);
        await browser.RegisterAsync(Browser.NewEmail("leaving"), NewBusinessId(), "Lähtijä Oy");
        await browser.TokensAsync();

        // A copy of the session's cookies taken before signing out (another tab, a stolen copy).
        var copy = browser.Cookies.GetAllCookies();
        Assert.Contains(copy, c => c.Name == "marketplace.session");

        var page = await browser.PageAsync("/account/sign-out");
        var signedOut = await browser.SubmitAsync(page, "/account/sign-out", []);
        Assert.Contains("You are signed out", await signedOut.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await browser.AssertAsksToSignInAsync();

        // The copy is worth nothing after the sign-out: the session it names is gone, so no code is issued to it (probe 28
        // got codes and tokens with one for days).
        using var replaying = new Browser(Server.Address);
        replaying.Cookies.Add(copy);
        await replaying.AssertAsksToSignInAsync();
    }

    [Fact]
    public async Task SignInSessions_AreTheirOwn_SigningOutOfOneBrowserKeepsTheOther()
    {
        var email = Browser.NewEmail("two-browsers");
        using var first = new Browser(Server.Address);
        await first.RegisterAsync(email, NewBusinessId(), "Kaksi Selainta Oy");
        using var second = new Browser(Server.Address);
        Assert.Equal(HttpStatusCode.Redirect, (await second.SignInAsync(email)).StatusCode);

        await first.SubmitAsync(await first.PageAsync("/account/sign-out"), "/account/sign-out", []);

        var tokens = await second.TokensAsync("openid");
        Assert.False(string.IsNullOrEmpty(tokens["access_token"]?.GetValue<string>()));
    }

    [Fact]
    public async Task ResetPassword_WithAMadeUpCode_AnswersAlikeForAnAccountAndForNone()
    {
        var known = Browser.NewEmail("reset-known");
        using (var registering = new Browser(Server.Address))
        {
            await registering.RegisterAsync(known, NewBusinessId(), "Nollattava Oy");
        }

        async Task<string> AnswerAsync(string email)
        {
            using var browser = new Browser(Server.Address);
            var link = "/account/reset-password?code=QUJD&email=" + Uri.EscapeDataString(email);
            var answer = await browser.SubmitAsync(await browser.PageAsync(link), link, [new("Email", email), new("Code", "QUJD"), new("Password", "a made-up new passphrase")]);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return Browser.ErrorText(await answer.Content.ReadAsStringAsync());
        }

        var forKnown = await AnswerAsync(known);
        var forUnknown = await AnswerAsync(Browser.NewEmail("reset-nobody"));

        Assert.Contains("used or expired", forKnown, StringComparison.Ordinal);
        Assert.Equal(forKnown, forUnknown);
    }

    [Fact]
    public async Task SignIn_AnUnconfirmedAccount_LocksAfterAsManyWrongPasswords_AndIsAnsweredAsAnyOther()
    {
        var unconfirmed = Browser.NewEmail("unconfirmed");
        using (var registering = new Browser(Server.Address))
        {
            await registering.RegisterAsync(unconfirmed, NewBusinessId(), "Vahvistamaton Oy", confirm: false);
        }

        var unknown = Browser.NewEmail("nobody");
        Assert.Equal(await WrongPasswordsFromFiveAddressesAsync(unknown, "127.0.2.", 20), await WrongPasswordsFromFiveAddressesAsync(unconfirmed, "127.0.2.", 10));

        // Locked: even the right password no longer tells that the account exists and is waiting for its confirmation.
        using var owner = new Browser(Server.Address, localAddress: IPAddress.Parse("127.0.2.40"));
        var right = await owner.SignInAsync(unconfirmed);
        Assert.Contains("this account is locked", Browser.ErrorText(await right.Content.ReadAsStringAsync()), StringComparison.Ordinal);
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

    /// <summary>
    /// Five wrong passwords from each of four addresses (the account-wide lockout's 20), then one more from a fifth; the
    /// addresses are <paramref name="prefix"/> + <paramref name="firstAddress"/> and the four after it. Returns each answer's error.
    /// </summary>
    private async Task<List<string>> WrongPasswordsFromFiveAddressesAsync(string email, string prefix, int firstAddress)
    {
        var answers = new List<string>();
        for (var a = 0; a < 5; a++)
        {
            using var browser = new Browser(Server.Address, localAddress: IPAddress.Parse(prefix + (firstAddress + a)));
            for (var i = 0; i < (a < 4 ? 5 : 1); i++)
            {
                var answer = await browser.SignInAsync(email, "not the password " + i);
                answers.Add(Browser.ErrorText(await answer.Content.ReadAsStringAsync()));
            }
        }

        return answers;
    }

    private async Task<string> InvitationCodeMailedToAsync(string email)
        => CodeOf(await LinkMailedToAsync(email, "/account/accept-invitation?"));

    private async Task<string> LinkMailedToAsync(string email, string pathPrefix)
    {
        using var reader = new Browser(Server.Address);
        return await reader.LinkMailedToAsync(email, pathPrefix);
    }

    internal static string CodeOf(string link) => Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(new Uri("http://x"), link).Query)["code"].ToString();

    private static async Task<System.Text.Json.Nodes.JsonArray> ReadArrayAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray();
    }

    [Fact]
    public async Task AnyRequest_WithAHostNotAllowed_IsRefused()
    {
        // The shared host has the default AllowedHosts (loopback names only).
        using var client = Server.Client();
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/account/forgot-password");
        forged.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(forged)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/forgot-password")).StatusCode);
    }
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
    public async Task Register_ABusinessIdClaimedByAnAccountThatNeverConfirmed_IsFreeOnceItsLinkExpired()
    {
        // Unconfirmed claims that lapse at once: the squatter's has by the time the real firm comes.
        await using var server = await MarketplaceServer.StartAsync(new() { ["Identity:UnconfirmedClaimLifetime"] = "00:00:00.001" });
        var businessId = NewBusinessId();
        async Task<HttpResponseMessage> RegisterAsync(string email, string firm)
        {
            using var browser = new Browser(server.Address);
            var html = await browser.PageAsync("/account/register");
            return await browser.SubmitAsync(html, "/account/register",
                [new("DisplayName", "Someone"), new("Email", email), new("Password", Browser.Password), new("FirmName", firm),
                 new("BusinessId", businessId), new("Municipality", "Vantaa"), new("Roles", "seller")]);
        }

        var squatter = Browser.NewEmail("squatter");
        Assert.Equal(HttpStatusCode.Redirect, (await RegisterAsync(squatter, "Valtaaja Oy")).StatusCode);

        var owner = Browser.NewEmail("owner");
        Assert.Equal(HttpStatusCode.Redirect, (await RegisterAsync(owner, "Oikea Oy")).StatusCode);
        using var confirmed = new Browser(server.Address);
        var (_, link) = await confirmed.MailedLinkAsync(owner, "/account/confirm-email?");
        await confirmed.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, (await confirmed.SignInAsync(owner)).StatusCode);

        // The squatter's account is gone; a confirmed firm's claim never lapses.
        using (var gone = new Browser(server.Address))
        {
            Assert.Equal(HttpStatusCode.OK, (await gone.SignInAsync(squatter)).StatusCode);
        }

        var again = await RegisterAsync(Browser.NewEmail("late"), "Myöhäinen Oy");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("already registered", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_IsRateLimitedPerAddress_SoTheFormCannotFloodAnOwnersMailbox()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Identity:RegistrationsPerHour"] = "2" });
        var email = Browser.NewEmail("flooded");
        using var browser = new Browser(server.Address);
        var html = await browser.PageAsync("/account/register");
        Task<HttpResponseMessage> PostAsync() => browser.SubmitAsync(html, "/account/register",
            [new("DisplayName", "Someone"), new("Email", email), new("Password", "another long password"), new("FirmName", "Tulva Oy"),
             new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller")]);

        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync()).StatusCode);
        var refused = await ProblemAsync(await PostAsync(), HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.Contains("60 minutes", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // A person's browser is sent to the error page, which says how long to wait in the page's language (probe 20
        // got a JSON document saying "a minute" while Retry-After said an hour).
        using var page = new HttpRequestMessage(HttpMethod.Post, "/account/register")
        {
            Content = new FormUrlEncodedContent([new("Email", email), new("__RequestVerificationToken", AntiforgeryToken(html))]),
        };
        page.Headers.Accept.ParseAdd("text/html");
        var sent = await browser.Http.SendAsync(page);
        Assert.Equal((HttpStatusCode.SeeOther, "/error/429?minutes=60"), (sent.StatusCode, sent.Headers.Location?.OriginalString));
        using var shown = await browser.Http.GetAsync("/error/429?minutes=60");
        Assert.Equal(HttpStatusCode.TooManyRequests, shown.StatusCode);
        Assert.Contains("Try again in 60 minutes", await shown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterFirm_ThroughTheApi_StopsAtMaxFirmsPerPerson_AndARetryOfTheLastIsAnsweredAsBefore()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Identity:MaxFirmsPerPerson"] = "2" });
        using var browser = new Browser(server.Address);
        await browser.RegisterAsync(Browser.NewEmail("collector"), NewBusinessId(), "Ensimmäinen Oy");
        using var api = server.BearerClient((await browser.TokensAsync())["access_token"]!.GetValue<string>());

        var secondFirm = Firm("seller");
        using var second = new HttpRequestMessage(HttpMethod.Post, "/api/v1/traders") { Content = JsonContent.Create(secondFirm) };
        second.Headers.Add("Idempotency-Key", "second-firm");
        var created = await ReadAsync(await api.SendAsync(second), HttpStatusCode.Created);

        var problem = await ProblemAsync(await api.PostAsJsonAsync("/api/v1/traders", Firm("buyer")), HttpStatusCode.Conflict, "firm-limit");
        Assert.Equal(2, problem["maxFirms"]!.GetValue<int>());
        using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/v1/traders") { Content = JsonContent.Create(secondFirm) };
        retry.Headers.Add("Idempotency-Key", "second-firm");
        Assert.Equal(created["id"]!.GetValue<string>(), (await ReadAsync(await api.SendAsync(retry), HttpStatusCode.Created))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ForgotPassword_WithAForgedHostHeader_MailsALinkToTheHostsOwnAddress_AndIsRateLimited()
    {
        // Host filtering off here, to show the link never comes from the Host header whatever lets a request through.
        await using var server = await MarketplaceServer.StartAsync(new() { ["AllowedHosts"] = "*", ["Identity:ForgotPasswordPerHour"] = "2" });
        var email = Browser.NewEmail("victim");
        using (var victim = new Browser(server.Address))
        {
            await victim.RegisterAsync(email, NewBusinessId(), "Uhri Oy");
        }

        using var attacker = new Browser(server.Address);
        var form = await attacker.PageAsync("/account/forgot-password");
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/account/forgot-password")
        {
            Content = new FormUrlEncodedContent([new("Email", email), new("__RequestVerificationToken", AntiforgeryToken(form))]),
        };
        forged.Headers.Host = "attacker.example";
        var sent = await attacker.Http.SendAsync(forged);
        Assert.Contains("on its way", await sent.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var (_, link) = await attacker.MailedLinkAsync(email, "/account/reset-password?");
        Assert.StartsWith(server.Address.GetLeftPart(UriPartial.Authority) + "/account/reset-password?", link, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", link, StringComparison.Ordinal);

        // Each request mails someone: a third one within the hour from this address is refused.
        await attacker.SubmitAsync(form, "/account/forgot-password", [new("Email", email)]);
        await ProblemAsync(await attacker.SubmitAsync(form, "/account/forgot-password", [new("Email", email)]), HttpStatusCode.TooManyRequests, "too-many-requests");
    }

    private static string AntiforgeryToken(string html)
        => System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value);

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
