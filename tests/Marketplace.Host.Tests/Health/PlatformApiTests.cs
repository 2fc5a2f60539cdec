using System.Net;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Health;

[Collection(ApiCollection.Name)]
public class PlatformApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task HealthEndpoints_AnswerAnonymously()
    {
        using var client = Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal("Healthy", await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Materials_ListsTaxonomyAnonymously()
    {
        var body = await ReadAsync(await Server.Client().GetAsync("/api/v1/materials"), HttpStatusCode.OK);
        var beams = body["categories"]!.AsArray().Single(c => c!["id"]!.GetValue<string>() == "metals/steel/beams")!;
        Assert.Equal("metals/steel", beams["parentId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(beams["nameFi"]!.GetValue<string>()));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesEveryApiRoute_AndDocsPageIsServed()
    {
        using var client = Server.Client();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Contains("/api/v1/listings/{id}/holds", paths);
        Assert.Contains("/api/v1/traders/{id}/listings", paths);
        Assert.Contains("/api/v1/materials", paths);

        var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("openapi", await docs.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
