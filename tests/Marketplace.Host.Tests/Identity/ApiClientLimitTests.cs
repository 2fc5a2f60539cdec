using System.Net;
using System.Net.Http.Json;
using Marketplace.Identity;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>
/// A firm's API clients are bounded (probe 14 made 700, 27 MB of identity store and a 28 MB list): at most
/// <see cref="ApiClientRegistry.MaxPerFirm"/> at once, each redirect URI of bounded length.
/// </summary>
[Collection(ApiCollection.Name)]
public class ApiClientLimitTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task AFirmsClients_AreBounded_AndRevokingOneMakesRoom()
    {
        var firm = await RegisterFirmAsync(Server, "buyer");
        using var admin = Server.Client(firm);
        var path = $"/api/v1/traders/{firm}/clients";
        var listed = (await admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(path))!.Count;
        string? last = null;
        for (var i = listed; i < ApiClientRegistry.MaxPerFirm; i++)
        {
            last = (await ReadAsync(await admin.PostAsJsonAsync(path, new { name = $"Integration {i}", scopes = "listings.read" }), HttpStatusCode.Created))["clientId"]!.GetValue<string>();
        }

        var refused = await ProblemAsync(await admin.PostAsJsonAsync(path, new { name = "One too many", scopes = "listings.read" }), HttpStatusCode.Conflict, "client-limit");
        Assert.Equal(ApiClientRegistry.MaxPerFirm, refused["maxClients"]!.GetValue<int>());
        Assert.Equal(ApiClientRegistry.MaxPerFirm, (await admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(path))!.Count);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{path}/{last}")).StatusCode);
        await ReadAsync(await admin.PostAsJsonAsync(path, new { name = "In its place", scopes = "listings.read" }), HttpStatusCode.Created);
    }

    /// <summary>Creations sent at once are counted one after another (probe 23 left 36 clients at a bound of 25).</summary>
    [Fact]
    public async Task ClientsCreatedAtOnce_NeverPassTheBound()
    {
        var firm = await RegisterFirmAsync(Server, "buyer");
        using var admin = Server.Client(firm);
        var path = $"/api/v1/traders/{firm}/clients";
        var listed = (await admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(path))!.Count;

        var answers = await Task.WhenAll(Enumerable.Range(0, ApiClientRegistry.MaxPerFirm + 15)
            .Select(i => admin.PostAsJsonAsync(path, new { name = $"At once {i}", scopes = "listings.read" })));

        Assert.Equal(ApiClientRegistry.MaxPerFirm - listed, answers.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(answers.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Equal(ApiClientRegistry.MaxPerFirm, (await admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(path))!.Count);
    }

    [Fact]
    public async Task ARedirectUriPastItsLength_IsRefused()
    {
        var firm = await RegisterFirmAsync(Server, "buyer");
        using var admin = Server.Client(firm);
        var uri = "https://app.example/" + new string('a', ApiClientRegistry.MaxRedirectUriLength);

        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/traders/{firm}/clients", new { name = "Long", scopes = "listings.read", redirectUris = new[] { uri } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "redirectUris");
    }
}
