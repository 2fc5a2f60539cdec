using System.Net;
using System.Net.Http.Json;
using Duende.IdentityModel.Client;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The server checked by a client library no one here wrote: Duende.IdentityModel 8.1.0.</summary>
[Collection(ApiCollection.Name)]
public class DuendeClientTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Discovery_IsReadAndValidatedByDuende_AndAdvertisesOnlyS256()
    {
        using var http = new HttpClient();
        var disco = await http.GetDiscoveryDocumentAsync(Server.Address.ToString());

        Assert.False(disco.IsError, disco.Error);
        Assert.Equal(new Uri(Server.Address, "/connect/token").ToString(), disco.TokenEndpoint);
        Assert.Equal(["S256"], disco.CodeChallengeMethodsSupported);
        Assert.Contains("client_credentials", disco.GrantTypesSupported);
        Assert.Contains("refresh_token", disco.GrantTypesSupported);
        foreach (var scope in new[] { "listings.read", "listings.write", "demands.write", "orders.write", "matching.read", "admin" })
        {
            Assert.Contains(scope, disco.ScopesSupported);
        }

        Assert.NotNull(disco.RevocationEndpoint);
        Assert.NotNull(disco.UserInfoEndpoint);
        Assert.NotNull(disco.EndSessionEndpoint);
        Assert.NotEmpty(disco.KeySet!.Keys);
    }

    [Fact]
    public async Task ClientCredentials_ThroughDuende_ActsForItsFirm_AndIsRefusedOnceRevoked()
    {
        var firm = await RegisterFirmAsync(Server, "seller", "operator");
        var created = await ReadAsync(await Server.Client(firm).PostAsJsonAsync($"/api/v1/traders/{firm}/clients",
            new { name = "Kierrätysalusta API", scopes = "listings.read listings.write" }), HttpStatusCode.Created);
        var clientId = created["clientId"]!.GetValue<string>();
        var secret = created["clientSecret"]!.GetValue<string>();

        using var http = new HttpClient();
        var disco = await http.GetDiscoveryDocumentAsync(Server.Address.ToString());
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = clientId, ClientSecret = secret, Scope = "listings.write",
        });
        Assert.False(token.IsError, token.Error);
        Assert.Null(token.RefreshToken);

        using var api = Server.BearerClient(token.AccessToken!);
        var me = await ReadAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.OK);
        Assert.Equal("client", me["kind"]!.GetValue<string>());
        Assert.Equal(firm, me["traderId"]!.GetValue<string>());
        var lot = await ReadAsync(await api.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        Assert.Equal(firm, lot["sellerId"]!.GetValue<string>());

        // A client acts for its firm but does not administer it: it can never hold the firm.admin scope.
        await ProblemAsync(await api.GetAsync($"/api/v1/traders/{firm}/clients"), HttpStatusCode.Forbidden, "insufficient-scope");

        // A wrong secret and a scope the client was not given are refused by the token endpoint.
        var wrong = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest { Address = disco.TokenEndpoint, ClientId = clientId, ClientSecret = "nope" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.HttpStatusCode);
        var tooMuch = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest { Address = disco.TokenEndpoint, ClientId = clientId, ClientSecret = secret, Scope = "orders.write" });
        Assert.True(tooMuch.IsError);

        // Revoking the client through the API: the token it holds is refused at once, and it gets no new one.
        Assert.Equal(HttpStatusCode.NoContent, (await Server.Client(firm).DeleteAsync($"/api/v1/traders/{firm}/clients/{clientId}")).StatusCode);
        await ProblemAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        var again = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest { Address = disco.TokenEndpoint, ClientId = clientId, ClientSecret = secret });
        Assert.True(again.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, again.HttpStatusCode);
    }

    [Fact]
    public async Task UserToken_IsRefreshedAndRevokedThroughDuende_UserInfoAnswers()
    {
        using var browser = new Browser(Server.Address);
        var email = Browser.NewEmail("duende");
        await browser.RegisterAsync(email, NewBusinessId(), "Duende Testi Oy");
        var first = await browser.TokensAsync();

        using var http = new HttpClient();
        var disco = await http.GetDiscoveryDocumentAsync(Server.Address.ToString());
        var refreshed = await http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = Browser.FirstPartyClient, RefreshToken = first["refresh_token"]!.GetValue<string>(),
        });
        Assert.False(refreshed.IsError, refreshed.Error);
        Assert.NotEqual(first["refresh_token"]!.GetValue<string>(), refreshed.RefreshToken);

        var userInfo = await http.GetUserInfoAsync(new UserInfoRequest { Address = disco.UserInfoEndpoint, Token = refreshed.AccessToken });
        Assert.False(userInfo.IsError, userInfo.Error);
        Assert.Equal(email, userInfo.Claims.Single(c => c.Type == "email").Value);

        var revoked = await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = disco.RevocationEndpoint, ClientId = Browser.FirstPartyClient, Token = refreshed.AccessToken!, TokenTypeHint = "access_token",
        });
        Assert.False(revoked.IsError, revoked.Error);
        await ProblemAsync(await Server.BearerClient(refreshed.AccessToken!).GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
    }
}
