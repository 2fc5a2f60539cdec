using System.Net;
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
