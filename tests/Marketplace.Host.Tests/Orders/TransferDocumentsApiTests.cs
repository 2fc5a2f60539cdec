using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Orders;

[Collection(ApiCollection.Name)]
public class TransferDocumentsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task WasteOrder_HandedOverAndSignedByBoth_DocumentMatchesTheOrderAndTheLotAndNeverChanges()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lotId = await WasteLotAsync(Server, seller);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lotId, 400)).Id();
        await StepAsync(sellerClient, id, "accept");
        await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/transfer-document"), HttpStatusCode.NotFound, "transfer-document-not-found");
        await StepAsync(buyerClient, id, "handover");

        var order = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK);
        var lot = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lotId}"), HttpStatusCode.OK);
        var sellerFirm = await ReadAsync(await sellerClient.GetAsync($"/api/v1/traders/{seller}"), HttpStatusCode.OK);
        var buyerFirm = await ReadAsync(await buyerClient.GetAsync($"/api/v1/traders/{buyer}"), HttpStatusCode.OK);
        var d = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/transfer-document"), HttpStatusCode.OK);

        Assert.Equal(($"SA-{id}", id, "awaiting-signatures"), (S(d["id"]), S(d["orderId"]), S(d["status"])));
        Assert.Equal((seller, S(sellerFirm["name"]), S(sellerFirm["businessId"])), (S(d["holder"]!["traderId"]), S(d["holder"]!["name"]), S(d["holder"]!["businessId"])));
        Assert.Equal(S(sellerFirm["contact"]!["email"]), S(d["holder"]!["email"]));
        Assert.Equal((S(lot["title"]), S(lot["category"]), S(lot["wasteCode"]), false),
            (S(d["waste"]!["description"]), S(d["waste"]!["category"]), S(d["waste"]!["wasteCode"]), d["waste"]!["hazardous"]!.GetValue<bool>()));
        Assert.Equal("17 01 02", S(d["waste"]!["wasteCode"]));
        Assert.Equal((order["quantity"]!.GetValue<decimal>(), S(order["lot"]!["unit"])), (d["waste"]!["quantity"]!.GetValue<decimal>(), S(d["waste"]!["unit"])));
        Assert.Equal(400m * 2.5m, d["waste"]!["massKg"]!.GetValue<decimal>());
        Assert.Equal((S(lot["location"]!["address"]), S(lot["location"]!["municipality"]), lot["location"]!["latitude"]!.GetValue<double>()),
            (S(d["origin"]!["address"]), S(d["origin"]!["municipality"]), d["origin"]!["latitude"]!.GetValue<double>()));
        // A pickup: the buyer carries the waste.
        Assert.Equal((buyer, S(buyerFirm["businessId"]), "buyer"), (S(d["transporter"]!["traderId"]), S(d["transporter"]!["businessId"]), S(d["transporter"]!["carriedBy"])));
        Assert.Equal((buyer, S(buyerFirm["name"]), S(buyerFirm["businessId"])), (S(d["receiver"]!["traderId"]), S(d["receiver"]!["name"]), S(d["receiver"]!["businessId"])));
        Assert.True(JsonNode.DeepEquals(order["address"], d["destination"]), $"{order["address"]} vs {d["destination"]}");
        Assert.Equal(DateTimeOffset.Parse(S(order["handedOverAt"]), System.Globalization.CultureInfo.InvariantCulture), d["handedOverAt"]!.GetValue<DateTimeOffset>());
        Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", S(d["handoverDate"]));
        Assert.Null(d["signatures"]!["holder"]);

        using (var pdf = await sellerClient.GetAsync($"/api/v1/orders/{id}/transfer-document?format=pdf"))
        {
            Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
            using var document = UglyToad.PdfPig.PdfDocument.Open(await pdf.Content.ReadAsByteArrayAsync());
            var text = string.Join("\n", document.GetPages().Select(p => p.Text));
            foreach (var expected in new[] { "17 01 02", S(sellerFirm["businessId"]), S(buyerFirm["businessId"]), $"SA-{id}", "Hämeentie 10", "Otaniementie 1" })
            {
                Assert.Contains(expected, text, StringComparison.Ordinal);
            }
        }

        var listed = await ReadAsync(await sellerClient.GetAsync($"/api/v1/traders/{seller}/transfer-documents"), HttpStatusCode.OK);
        Assert.Equal([$"SA-{id}"], listed["items"]!.AsArray().Select(i => S(i!["id"])));

        var bySeller = await ReadAsync(await sellerClient.PostAsync($"/api/v1/orders/{id}/transfer-document/signatures", null), HttpStatusCode.OK);
        Assert.Equal(("awaiting-signatures", seller), (S(bySeller["status"]), S(bySeller["signatures"]!["holder"]!["traderId"])));
        var signed = await ReadAsync(await buyerClient.PostAsync($"/api/v1/orders/{id}/transfer-document/signatures", null), HttpStatusCode.OK);
        Assert.Equal(("signed", buyer), (S(signed["status"]), S(signed["signatures"]!["receiver"]!["traderId"])));

        await ProblemAsync(await sellerClient.PatchAsJsonAsync($"/api/v1/orders/{id}/transfer-document", new { description = "Bricks with mortar" }),
            HttpStatusCode.Conflict, "transfer-document-signed");
        await ProblemAsync(await buyerClient.PostAsync($"/api/v1/orders/{id}/transfer-document/signatures", null), HttpStatusCode.Conflict, "transfer-document-signed");
        var after = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/transfer-document"), HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(signed, after), $"{signed} changed to {after}");

        using var csv = await buyerClient.GetAsync($"/api/v1/traders/{buyer}/exports/transfer-documents?format=csv");
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal(2, rows.Length);
        Assert.StartsWith($"SA-{id},{id},signed,", rows[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrderOfALotNotMarkedAsWaste_HandedOver_HasNoTransferDocument()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lotId = await ActiveLotAsync(Server, seller);
        using var buyerClient = Server.Client(buyer);
        var id = (await PlaceAsync(buyerClient, lotId, 10)).Id();
        await StepAsync(Server.Client(seller), id, "accept");
        await StepAsync(buyerClient, id, "handover");

        await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/transfer-document"), HttpStatusCode.NotFound, "transfer-document-not-found");
        Assert.Empty((await ReadAsync(await buyerClient.GetAsync($"/api/v1/traders/{buyer}/transfer-documents"), HttpStatusCode.OK))["items"]!.AsArray());

        // A platform admin may list any firm's documents; a firm that does not exist is 404, as on the firm's other routes.
        using var admin = Server.BearerClient(await Marketplace.Host.Tests.Api.People.PlatformAdminTokenAsync(Server));
        await ReadAsync(await admin.GetAsync($"/api/v1/traders/{buyer}/transfer-documents"), HttpStatusCode.OK);
        await ProblemAsync(await admin.GetAsync("/api/v1/traders/no-such-firm/transfer-documents"), HttpStatusCode.NotFound, "trader-not-found");
    }

    private static string S(JsonNode? node) => node!.GetValue<string>();
}
