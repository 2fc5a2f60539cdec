using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Orders;

[Collection(ApiCollection.Name)]
public class InvoiceJsonApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Invoice_FormatJson_HasTheSameNumberTotalsAndPartiesAsThePdf()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lot, 400)).Id();
        await ProblemAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.Conflict, "no-invoice");
        var accepted = await StepAsync(sellerClient, id, "accept");

        var invoice = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.OK);

        Assert.Equal(accepted["invoice"]!["number"]!.GetValue<string>(), invoice["number"]!.GetValue<string>());
        Assert.Equal(accepted["invoice"]!["referenceNumber"]!.GetValue<string>(), invoice["referenceNumber"]!.GetValue<string>());
        Assert.Equal(22590L, invoice["grossTotalMinor"]!.GetValue<long>());
        Assert.False(string.IsNullOrEmpty(invoice["seller"]!["name"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(invoice["buyer"]!["businessId"]!.GetValue<string>()));
        // A buyer without a billing address is invoiced at the order's site: its street with its own town, not the firm's.
        Assert.Equal("Otaniementie 1", invoice["buyer"]!["address"]!.GetValue<string>());
        Assert.EndsWith("Espoo", invoice["buyer"]!["municipality"]!.GetValue<string>(), StringComparison.Ordinal);
        await ProblemAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=html"), HttpStatusCode.UnprocessableEntity, "invalid-format", "format");
    }

    /// <summary>
    /// A seller without an IBAN cannot issue an invoice that says where to pay: accepting is refused and changes nothing.
    /// An issued invoice names the parties and the account as they were at its issue, whatever the firms edit later.
    /// </summary>
    [Fact]
    public async Task Accept_WithoutAnIban_Is409_AndTheIssuedInvoiceKeepsItsAccountAndParties()
    {
        var firm = Firm("seller");
        firm.Remove("billing");
        var seller = await Server.RegisterFirmAsync(firm);
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lot, 400)).Id();

        // Refused under an Idempotency-Key, which is not spent: the same key accepts once the IBAN is there.
        HttpRequestMessage Accept()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{id}/accept") { Content = JsonContent.Create(new { }) };
            request.Headers.Add("Idempotency-Key", "accept-" + id);
            return request;
        }

        var refused = await ProblemAsync(await sellerClient.SendAsync(Accept()), HttpStatusCode.Conflict, "seller-iban-missing");
        Assert.Contains("billing.iban", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("placed", (await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK)).Status());
        var held = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal((400m, 0m), (held["quantities"]!["held"]!.GetValue<decimal>(), held["quantities"]!["sold"]!.GetValue<decimal>()));

        await ReadAsync(await sellerClient.PatchAsJsonAsync($"/api/v1/traders/{seller}",
            new JsonObject { ["billing"] = new JsonObject { ["iban"] = "FI21 1234 5600 0007 85", ["address"] = "Purkutie 1" } }), HttpStatusCode.OK);
        var accepted = await ReadAsync(await sellerClient.SendAsync(Accept()), HttpStatusCode.OK);
        Assert.Equal("accepted", accepted.Status());
        await ReadAsync(await sellerClient.PatchAsJsonAsync($"/api/v1/traders/{seller}",
            new JsonObject { ["name"] = "Uusi Nimi Oy", ["billing"] = new JsonObject { ["iban"] = "FI14 1009 3000 1234 58", ["address"] = "Muutettu katu 9" } }), HttpStatusCode.OK);
        await ReadAsync(await buyerClient.PatchAsJsonAsync($"/api/v1/traders/{buyer}", new JsonObject { ["name"] = "Toinen Ostaja Oy" }), HttpStatusCode.OK);

        var invoice = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal("FI2112345600000785", invoice["sellerIban"]!.GetValue<string>());
        Assert.Equal(("Purkutyö Testi Oy", "Purkutie 1"), (invoice["seller"]!["name"]!.GetValue<string>(), invoice["seller"]!["address"]!.GetValue<string>()));
        Assert.Equal("Purkutyö Testi Oy", invoice["buyer"]!["name"]!.GetValue<string>());
        using var finvoice = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{id}/invoice?format=finvoice");
        var xml = await (await buyerClient.SendAsync(finvoice)).Content.ReadAsStringAsync();
        Assert.Contains("FI2112345600000785", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("FI1410093000123458", xml, StringComparison.Ordinal);
    }

    /// <summary>Without <c>format</c>, the Accept header picks the document by preference; a type none of them is, 406.</summary>
    [Fact]
    public async Task Invoice_AcceptHeader_PicksTheFormat_OrIs406()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lot, 400)).Id();
        await StepAsync(sellerClient, id, "accept");

        async Task<HttpResponseMessage> AskAsync(string? accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{id}/invoice");
            if (accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", accept);
            }

            return await buyerClient.SendAsync(request);
        }

        foreach (var (accept, type) in new (string?, string)[]
                 {
                     (null, "application/pdf"), ("*/*", "application/pdf"), ("application/json", "application/json"), ("text/xml", "application/xml"),
                     ("application/pdf;q=0, application/json;q=0.5, application/xml;q=0.4", "application/json"),
                     ("text/html, application/xml;q=0.9, */*;q=0.8", "application/xml"),
                 })
        {
            using var answer = await AskAsync(accept);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{accept}: {answer.StatusCode}");
            Assert.Equal((accept, type), (accept, answer.Content.Headers.ContentType!.MediaType));
        }

        foreach (var accept in new[] { "image/png", "text/csv, text/plain", "application/pdf;q=0" })
        {
            await ProblemAsync(await AskAsync(accept), HttpStatusCode.NotAcceptable, "not-acceptable");
        }
    }
}
