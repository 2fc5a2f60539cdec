using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Grains.Listings;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>
/// An order step writes the lot and then the order; a host that dies between the two writes (probe 10 killed one
/// mid-storm) leaves the lot ahead of the order. Each test makes that state by writing the lot's side alone, as the
/// dead host did, then checks that the parties' next steps repair it instead of losing or locking the quantity.
/// </summary>
[Collection(ApiCollection.Name)]
public class HalfStoredOrderTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private IGrainFactory Grains => Server.Services.GetRequiredService<IGrainFactory>();

    /// <summary>A checkout tied the hold to its order and died before storing the order: the hold is the buyer's again.</summary>
    [Fact]
    public async Task HoldTiedToAnOrderNeverStored_IsReleasedOrderedAndWithdrawnAgain()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);

        foreach (var next in new[] { "release", "order", "withdraw" })
        {
            var lot = await ActiveLotAsync(Server, seller, 1000);
            var hold = await HoldAsync(buyerClient, lot, 300);
            var ghost = "ghost-" + Guid.NewGuid().ToString("N");
            await Grains.GetGrain<IListingGrain>(lot).AttachOrderAsync(buyer, hold, ghost, DateTimeOffset.UtcNow.AddDays(7));
            await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{ghost}"), HttpStatusCode.NotFound, "order-not-found");

            switch (next)
            {
                case "release":
                    var released = await ReadAsync(await buyerClient.DeleteAsync($"/api/v1/listings/{lot}/holds/{hold}"), HttpStatusCode.OK);
                    Assert.Equal(("released", 1000m), (released["hold"]!["status"]!.GetValue<string>(), released["quantities"]!["available"]!.GetValue<decimal>()));
                    break;
                case "order":
                    var order = await ReadAsync(await buyerClient.PostAsJsonAsync("/api/v1/orders", Checkout(lot, hold)), HttpStatusCode.Created);
                    Assert.Equal("placed", order.Status());
                    var tied = await ProblemAsync(await buyerClient.DeleteAsync($"/api/v1/listings/{lot}/holds/{hold}"), HttpStatusCode.Conflict, "hold-belongs-to-order");
                    Assert.Equal(order.Id(), tied["orderId"]!.GetValue<string>());
                    break;
                default:
                    var withdrawn = await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{lot}/withdraw", null), HttpStatusCode.OK);
                    Assert.Equal("withdrawn", withdrawn["status"]!.GetValue<string>());
                    break;
            }
        }
    }

    /// <summary>A hold tied to an order that exists stays the order's: the repair never unties a live order.</summary>
    [Fact]
    public async Task HoldOfAStoredOrder_StaysTiedToIt()
    {
        using var deal = await PlacedAsync();
        var (seller, buyer, buyerClient, sellerClient, lot, order) = deal;
        var hold = order["holdId"]!.GetValue<string>();

        await ProblemAsync(await buyerClient.DeleteAsync($"/api/v1/listings/{lot}/holds/{hold}"), HttpStatusCode.Conflict, "hold-belongs-to-order");
        await ProblemAsync(await buyerClient.PostAsJsonAsync("/api/v1/orders", Checkout(lot, hold)), HttpStatusCode.Conflict, "hold-ordered");
        Assert.Equal("placed", (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{order.Id()}"), HttpStatusCode.OK)).Status());
    }

    /// <summary>An accept confirmed the hold (sold) and died before storing the order: a cancel gives the quantity back.</summary>
    [Fact]
    public async Task CancelAfterAHalfStoredAccept_ReturnsTheSoldQuantity()
    {
        using var deal = await PlacedAsync();
        var (seller, buyer, buyerClient, sellerClient, lot, order) = deal;
        await Grains.GetGrain<IListingGrain>(lot).ConfirmHoldAsync(seller, order["holdId"]!.GetValue<string>(), orderId: order.Id());
        Assert.Equal(300m, (await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["sold"]!.GetValue<decimal>());

        var cancelled = await StepAsync(buyerClient, order.Id(), "cancel", new { reason = "Changed plans" });

        Assert.Equal("cancelled", cancelled.Status());
        var after = await deal.QuantitiesAsync();
        Assert.Equal((1000m, 0m, 0m), (after["available"]!.GetValue<decimal>(), after["held"]!.GetValue<decimal>(), after["sold"]!.GetValue<decimal>()));
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/orders/{order.Id()}/cancel", new { reason = "again" }), HttpStatusCode.Conflict, "invalid-transition");
        Assert.Equal(0m, (await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["sold"]!.GetValue<decimal>());
    }

    /// <summary>A cancel released the hold and died before storing the order: the seller's accept finishes the cancel.</summary>
    [Fact]
    public async Task AcceptAfterAHalfStoredCancel_CancelsTheOrder()
    {
        using var deal = await PlacedAsync();
        var (seller, buyer, buyerClient, sellerClient, lot, order) = deal;
        await Grains.GetGrain<IListingGrain>(lot).ReleaseHoldAsync(buyer, order["holdId"]!.GetValue<string>(), orderId: order.Id());

        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{order.Id()}/accept", new JsonObject()), HttpStatusCode.Conflict, "order-cancelled");

        Assert.Equal("cancelled", (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{order.Id()}"), HttpStatusCode.OK)).Status());
        var after = await deal.QuantitiesAsync();
        Assert.Equal((1000m, 0m), (after["available"]!.GetValue<decimal>(), after["sold"]!.GetValue<decimal>()));
    }

    /// <summary>
    /// A placed order's hold was confirmed by an accept that died, then its quantity returned by a cancel that died too
    /// (probe 13): accepting it now must not sell that quantity a second time; the accept finishes the cancel instead.
    /// </summary>
    [Fact]
    public async Task AcceptAfterAHalfStoredAcceptAndAHalfStoredCancel_SellsNothingTwice()
    {
        using var deal = await PlacedAsync();
        var (seller, buyer, buyerClient, sellerClient, lot, order) = deal;
        var hold = order["holdId"]!.GetValue<string>();
        await Grains.GetGrain<IListingGrain>(lot).ConfirmHoldAsync(seller, hold, orderId: order.Id());
        await Grains.GetGrain<IListingGrain>(lot).ReleaseHoldAsync(buyer, hold, orderId: order.Id());

        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{order.Id()}/accept", new JsonObject()), HttpStatusCode.Conflict, "order-cancelled");

        Assert.Equal("cancelled", (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{order.Id()}"), HttpStatusCode.OK)).Status());
        var after = await deal.QuantitiesAsync();
        Assert.Equal((1000m, 0m, 0m), (after["available"]!.GetValue<decimal>(), after["held"]!.GetValue<decimal>(), after["sold"]!.GetValue<decimal>()));
    }

    /// <summary>An accepted order's cancel gives its quantity back once, after the cancel is stored, and says so.</summary>
    [Fact]
    public async Task CancelOfAnAcceptedOrder_GivesTheQuantityBackOnce()
    {
        using var deal = await PlacedAsync();
        var (seller, buyer, buyerClient, sellerClient, lot, order) = deal;
        await StepAsync(sellerClient, order.Id(), "accept");

        var cancelled = await StepAsync(sellerClient, order.Id(), "cancel", new { reason = "Damaged in storage" });

        Assert.Equal("cancelled", cancelled.Status());
        var after = await deal.QuantitiesAsync();
        Assert.Equal((1000m, 0m), (after["available"]!.GetValue<decimal>(), after["sold"]!.GetValue<decimal>()));
        var audit = await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{order.Id()}/audit"), HttpStatusCode.OK);
        Assert.Contains("the quantity went back to the lot", audit["entries"]!.AsArray().Select(e => e!["change"]!.GetValue<string>()).First(c => c.StartsWith("cancelled", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    /// <summary>A seller's lot of 1,000 with a buyer's order for 300 of it, placed; the clients are disposed with it.</summary>
    private async Task<Deal> PlacedAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var buyerClient = Server.Client(buyer);
        var sellerClient = Server.Client(seller);
        var lot = await ActiveLotAsync(Server, seller, 1000);
        return new Deal(seller, buyer, buyerClient, sellerClient, lot, await PlaceAsync(buyerClient, lot, 300));
    }

    private sealed record Deal(string Seller, string Buyer, HttpClient BuyerClient, HttpClient SellerClient, string Lot, JsonObject Order) : IDisposable
    {
        /// <summary>The lot's quantities as its seller reads them.</summary>
        public async Task<JsonNode> QuantitiesAsync()
            => (await ReadAsync(await SellerClient.GetAsync($"/api/v1/listings/{Lot}"), HttpStatusCode.OK))["quantities"]!;

        public void Dispose()
        {
            BuyerClient.Dispose();
            SellerClient.Dispose();
        }
    }
}
