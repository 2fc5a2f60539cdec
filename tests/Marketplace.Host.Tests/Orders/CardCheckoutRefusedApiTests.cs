using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;
using static Marketplace.Host.Tests.Payments.CardDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>Checkout by card when the seller cannot take cards: a clear 422, and nothing stored (the hold stays as it was).</summary>
[Collection(ApiCollection.Name)]
public class CardCheckoutRefusedApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task CheckoutByCard_SellerWithoutStripeAccount_Is422AndTheHoldIsUntouched()
    {
        var seller = await RegisterFirmAsync(Server, "seller");

        await AssertRefusedAsync(seller, "no Stripe account");
    }

    [Fact]
    public async Task CheckoutByCard_SellerWhoseChargesAreDisabled_Is422AndTheHoldIsUntouched()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        await OnboardAsync(Server, seller, chargesEnabled: false);

        await AssertRefusedAsync(seller, "not finished");
    }

    private async Task AssertRefusedAsync(string seller, string why)
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 100);
        using var client = Server.Client(buyer);
        var hold = await HoldAsync(client, lot, 10);
        var before = await HoldOfAsync(client, lot, hold);
        var intentsBefore = fixture.Stripe.Requests.Count(r => r.Path == "/v1/payment_intents");

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/v1/orders", CardCheckout(lot, hold)),
            HttpStatusCode.UnprocessableEntity, "payment-method-unavailable", "paymentMethod");

        Assert.Contains(why, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await ReadAsync(await client.GetAsync("/api/v1/orders"), HttpStatusCode.OK))["items"]!.AsArray());
        Assert.Empty((await ReadAsync(await Server.Client(seller).GetAsync("/api/v1/orders?role=seller"), HttpStatusCode.OK))["items"]!.AsArray());
        Assert.Equal(before.ToJsonString(), (await HoldOfAsync(client, lot, hold)).ToJsonString());
        Assert.Equal(intentsBefore, fixture.Stripe.Requests.Count(r => r.Path == "/v1/payment_intents"));
        // The hold is free for a checkout the seller does take.
        var placed = await ReadAsync(await client.PostAsJsonAsync("/api/v1/orders", Checkout(lot, hold)), HttpStatusCode.Created);
        Assert.Equal("invoice", placed["payment"]!["method"]!.GetValue<string>());
    }

    /// <summary>The buyer's hold as the lot shows it to the buyer.</summary>
    private static async Task<JsonNode> HoldOfAsync(HttpClient buyer, string lot, string hold)
        => (await ReadAsync(await buyer.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["holds"]!.AsArray().Single(h => h!["id"]!.GetValue<string>() == hold)!;
}
