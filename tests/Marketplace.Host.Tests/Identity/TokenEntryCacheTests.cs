using System.Net;
using System.Net.Http.Json;
using Marketplace.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>Validated token entries are remembered briefly, and a revocation through the host reaches them at once.</summary>
[Collection(ApiCollection.Name)]
public class TokenEntryCacheTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task KnownToken_IsReadFromTheStoreAndValidatedOnce_AndOnceRevokedIsRefusedAtOnce()
    {
        var firm = await RegisterFirmAsync(Server, "buyer");
        var created = await ReadAsync(await Server.Client(firm).PostAsJsonAsync($"/api/v1/traders/{firm}/clients",
            new { name = "Inbox reader", scopes = "matching.read" }), HttpStatusCode.Created);
        var (clientId, secret) = (created["clientId"]!.GetValue<string>(), created["clientSecret"]!.GetValue<string>());
        using var anonymous = Server.Client();
        var token = await ReadAsync(await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "matching.read",
        })), HttpStatusCode.OK);
        var accessToken = token["access_token"]!.GetValue<string>();
        using var api = Server.BearerClient(accessToken);
        var cache = Server.Services.GetRequiredService<TokenEntryCache>();

        await ReadAsync(await api.GetAsync("/api/v1/matches"), HttpStatusCode.OK);
        var reads = cache.StoreReads;
        var validations = cache.TokenValidations;
        for (var i = 0; i < 5; i++)
        {
            await ReadAsync(await api.GetAsync("/api/v1/matches"), HttpStatusCode.OK);
        }

        Assert.Equal(reads, cache.StoreReads);

        // Nor is the token decrypted and its signature checked again: the principal its validation made is remembered.
        Assert.Equal(validations, cache.TokenValidations);

        // Another firm's client may not end it (RFC 7009 §2.1): the token keeps working.
        var other = await RegisterFirmAsync(Server, "seller");
        var stranger = await ReadAsync(await Server.Client(other).PostAsJsonAsync($"/api/v1/traders/{other}/clients",
            new { name = "Stranger", scopes = "listings.read" }), HttpStatusCode.Created);
        var refused = await anonymous.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = accessToken, ["token_type_hint"] = "access_token",
            ["client_id"] = stranger["clientId"]!.GetValue<string>(), ["client_secret"] = stranger["clientSecret"]!.GetValue<string>(),
        }));
        // (RFC 7009 answers 200 for a token the caller cannot revoke, as for an unknown one: the answer tells it nothing.)
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        await ReadAsync(await api.GetAsync("/api/v1/matches"), HttpStatusCode.OK);

        // The client revokes its own access token: the very next call is refused, though the entry was remembered as valid.
        var revoked = await anonymous.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = accessToken, ["token_type_hint"] = "access_token", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await ProblemAsync(await api.GetAsync("/api/v1/matches"), HttpStatusCode.Unauthorized, "unauthenticated");
    }
}
