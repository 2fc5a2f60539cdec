using System.Net;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// Limits count the real client: X-Forwarded-For only from configured proxies, and an authenticated caller by its
/// token, not its address (the search endpoint, limited to 2 calls a minute here).
/// </summary>
public sealed class CallerLimitsTests
{
    private const string Search = "/api/v1/listings/search?q=bricks";

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Search:RateLimitPerMinute"] = "2" };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static Task<HttpResponseMessage> SearchFromAsync(HttpClient client, string forwardedFor)
        => client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Search) { Headers = { { "X-Forwarded-For", forwardedFor } } });

    [Fact]
    public async Task ForwardedFor_FromAConfiguredProxy_IsTheClient_AndAnAuthenticatedCallerHasItsOwnLimit()
    {
        await using var server = await MarketplaceServer.StartAsync(Settings(("ForwardedHeaders:KnownProxies:0", "127.0.0.1")));
        using var anonymous = server.Client();

        await ReadAsync(await SearchFromAsync(anonymous, "203.0.113.5"), HttpStatusCode.OK);
        await ReadAsync(await SearchFromAsync(anonymous, "203.0.113.5"), HttpStatusCode.OK);
        await ProblemAsync(await SearchFromAsync(anonymous, "203.0.113.5"), HttpStatusCode.TooManyRequests, "too-many-requests");
        // Another client behind the same proxy has its own limit.
        await ReadAsync(await SearchFromAsync(anonymous, "203.0.113.6"), HttpStatusCode.OK);

        // Two callers of one firm from one address (a person, and the firm's API client): each has its own limit,
        // whatever address it comes from.
        var firm = await RegisterFirmAsync(server, "buyer");
        var created = await ReadAsync(await server.Client(firm).PostAsync($"/api/v1/traders/{firm}/clients",
            JsonBody("""{"name":"catalogue sync","scopes":"listings.read"}""")), HttpStatusCode.Created);
        using var robot = server.BearerClient(await ClientTokenAsync(server, created["clientId"]!.GetValue<string>(), created["clientSecret"]!.GetValue<string>()));
        await ReadAsync(await SearchFromAsync(server.Client(firm), "203.0.113.7"), HttpStatusCode.OK);
        await ReadAsync(await SearchFromAsync(server.Client(firm), "203.0.113.8"), HttpStatusCode.OK);
        await ProblemAsync(await SearchFromAsync(server.Client(firm), "203.0.113.9"), HttpStatusCode.TooManyRequests, "too-many-requests");
        await ReadAsync(await SearchFromAsync(robot, "203.0.113.7"), HttpStatusCode.OK);
    }

    private static async Task<string> ClientTokenAsync(MarketplaceServer server, string clientId, string secret)
    {
        using var http = server.Client();
        var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "listings.read",
        }));
        return (await ReadAsync(response, HttpStatusCode.OK))["access_token"]!.GetValue<string>();
    }

    [Fact]
    public async Task ForwardedFor_FromAnUnknownProxy_IsIgnored()
    {
        // No proxy configured: the caller on loopback is the client, whatever it claims.
        await using var server = await MarketplaceServer.StartAsync(Settings());
        using var anonymous = server.Client();

        await ReadAsync(await SearchFromAsync(anonymous, "203.0.113.5"), HttpStatusCode.OK);
        await ReadAsync(await SearchFromAsync(anonymous, "203.0.113.6"), HttpStatusCode.OK);
        await ProblemAsync(await SearchFromAsync(anonymous, "203.0.113.7"), HttpStatusCode.TooManyRequests, "too-many-requests");
    }

    [Fact]
    public async Task BadProxySetting_StopsTheStart_NamingIt()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => MarketplaceServer.StartAsync(Settings(("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99"))));
        Assert.Contains("ForwardedHeaders:KnownNetworks", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The open-data feed walks the whole index: a caller gets Search:OpenDataPerMinute downloads a minute.</summary>
    [Fact]
    public async Task OpenData_PerCaller_IsLimited()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Search:OpenDataPerMinute"] = "2" });
        using var anonymous = server.Client();

        for (var i = 0; i < 2; i++)
        {
            using var answer = await anonymous.GetAsync("/api/v1/open-data/lots?format=csv");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await ProblemAsync(await anonymous.GetAsync("/api/v1/open-data/lots?format=csv"), HttpStatusCode.TooManyRequests, "too-many-requests");
        // Searching is another policy: still allowed.
        await ReadAsync(await anonymous.GetAsync(Search), HttpStatusCode.OK);
    }

    /// <summary>A host runs Search:OpenDataConcurrent downloads at once; a place comes back once, when its download ends.</summary>
    [Fact]
    public void OpenDataGate_TakesPlacesUpToItsBound_AndGivesEachBackOnce()
    {
        var gate = new Marketplace.Host.Api.Exports.OpenDataGate(2);
        Assert.True(gate.TryEnter(out var first));
        Assert.True(gate.TryEnter(out var second));
        Assert.False(gate.TryEnter(out var none));
        none.Dispose();
        Assert.False(gate.TryEnter(out _));
        first.Dispose();
        first.Dispose();
        Assert.True(gate.TryEnter(out var third));
        Assert.False(gate.TryEnter(out _));
        second.Dispose();
        third.Dispose();
    }
}
