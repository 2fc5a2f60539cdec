using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
        Assert.Equal("Healthy", JsonNode.Parse(await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
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
        Assert.Contains("/api/v1/listings/search", paths);
        var searchParameters = document["paths"]!["/api/v1/listings/search"]!["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToArray();
        Assert.Contains("q", searchParameters);
        Assert.Contains("near", searchParameters);
        Assert.Contains("cursor", searchParameters);

        var holdResponses = document["paths"]!["/api/v1/listings/{id}/holds"]!["post"]!["responses"]!.AsObject().Select(r => r.Key).ToArray();
        Assert.Contains("201", holdResponses);
        Assert.Contains("401", holdResponses);
        Assert.Contains("409", holdResponses);
        Assert.Contains("422", holdResponses);

        var oauth = document["components"]!["securitySchemes"]!["oauth2"]!;
        Assert.Equal("/connect/token", oauth["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>());
        var holdSecurity = document["paths"]!["/api/v1/listings/{id}/holds"]!["post"]!["security"]!.AsArray();
        Assert.Equal("orders.write", holdSecurity[0]!["oauth2"]![0]!.GetValue<string>());
        // Anonymous: one empty requirement, so the document-wide default does not apply to it.
        var materialsSecurity = Assert.Single(document["paths"]!["/api/v1/materials"]!["get"]!["security"]!.AsArray());
        Assert.Empty(materialsSecurity!.AsObject());

        var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("openapi", await docs.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EveryApiEndpoint_DeclaresWhoMayCallIt()
    {
        var endpoints = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .ToArray();

        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e =>
        {
            var rule = e.Metadata.GetMetadata<Marketplace.Identity.AccessRule>();
            Assert.True(rule is not null, $"{e.DisplayName} declares no AccessRule");
            Assert.True(rule!.SignInRequired
                ? e.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0
                : e.Metadata.GetMetadata<IAllowAnonymous>() is not null, $"{e.DisplayName}: its AccessRule is not enforced");
        });
    }
}
