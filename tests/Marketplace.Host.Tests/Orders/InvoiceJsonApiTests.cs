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
        await ProblemAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=html"), HttpStatusCode.UnprocessableEntity, "invalid-format", "format");
    }
}
