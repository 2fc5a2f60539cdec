using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Marketplace.Host.Tests.Orders;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Schemas;

/// <summary>The published schemas describe the documents the API really returns, checked by a JSON Schema validator (JsonSchema.Net).</summary>
[Collection(ApiCollection.Name)]
public class SchemasApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private async Task<JsonSchema> SchemaAsync(string name)
    {
        using var response = await Server.Client().GetAsync($"/api/v1/schemas/{name}.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)JsonNode.Parse(text)!["$schema"]);
        return JsonSchema.FromText(text);
    }

    private static void AssertValid(JsonSchema schema, JsonNode document)
    {
        var result = schema.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, string.Join(Environment.NewLine, errors) + Environment.NewLine + document.ToJsonString());
    }

    [Fact]
    public async Task Schemas_ValidateTheLotDemandAndOrderTheApiReturns()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var order = await OrderDriver.PlaceAsync(buyerClient, lot, 10);
        await OrderDriver.StepAsync(sellerClient, order.Id(), "accept");
        var demand = await DemandAsync(Server, buyer);

        var lotSchema = await SchemaAsync("lot");
        AssertValid(lotSchema, await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK));
        AssertValid(lotSchema, await ReadAsync(await Server.Client().GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK));
        AssertValid(await SchemaAsync("demand"), await ReadAsync(await buyerClient.GetAsync($"/api/v1/demands/{demand}"), HttpStatusCode.OK));
        var orderSchema = await SchemaAsync("order");
        AssertValid(orderSchema, await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{order.Id()}"), HttpStatusCode.OK));
        AssertValid(orderSchema, await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{order.Id()}"), HttpStatusCode.OK));
    }

    [Fact]
    public async Task Schemas_RefuseADocumentMissingARequiredPropertyOrOfTheWrongType()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var lot = await ReadAsync(await Server.Client().GetAsync($"/api/v1/listings/{await ActiveLotAsync(Server, seller)}"), HttpStatusCode.OK);
        var schema = await SchemaAsync("lot");

        var missing = lot.DeepClone().AsObject();
        missing.Remove("sellerId");
        var wrongType = lot.DeepClone().AsObject();
        wrongType["quantities"]!["available"] = "lots";

        Assert.False(schema.Evaluate(missing).IsValid, "a lot without sellerId passed");
        Assert.False(schema.Evaluate(wrongType).IsValid, "a lot with a text quantity passed");
        await ProblemAsync(await Server.Client().GetAsync("/api/v1/schemas/hold.json"), HttpStatusCode.NotFound, "unknown-schema");
    }
}
