using Marketplace.Domain.Listings;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Tests.Storage;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>
/// A buyer's index of holds hears of a hold before its lot stores it, so no stored hold is missing from the buyer's
/// list after a failure between the two writes; and it hears of the later end an order gives a hold.
/// </summary>
public sealed class BuyerHoldsIndexTests
{
    [Fact]
    public async Task PlaceHold_WhoseLotWriteFails_IsInTheIndexAlready_AndItsRetryListsItOnce()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"), configure: FlakyGrainStorage.Use);
        var storage = FlakyGrainStorage.Of(cluster);
        var grains = cluster.Client;
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(grains, seller, 100);
        var index = grains.GetGrain<IBuyerHoldsGrain>(buyer);
        var key = lot.GetPrimaryKeyString() + "/h1";

        // The lot's write fails as a host dying after the index's write would leave it.
        storage.FailWrites = (name, _, s) => name == "listing" && s is Listing { Held: > 0 };
        await Assert.ThrowsAnyAsync<Exception>(() => lot.PlaceHoldAsync(buyer, "h1", 30, DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal(1, storage.Failures);
        Assert.Equal(0m, (await lot.GetAsync())!.Held);
        Assert.Equal([key], await index.ListAsync());

        // The retry with the same hold id stores it; the index lists it once.
        storage.FailWrites = null;
        await lot.PlaceHoldAsync(buyer, "h1", 30, DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal(30m, (await lot.GetAsync())!.Held);
        Assert.Equal([key], await index.ListAsync());
    }

    /// <summary>
    /// Room is reserved per hold (probe 16): a retried hold the index has already is allowed at the bound, and a refused
    /// hold gives back its own room, never another's.
    /// </summary>
    [Fact]
    public async Task OpenCheck_AllowsARecordedHoldsRetry_AndReleasesOnlyItsOwnRoom()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var index = cluster.Client.GetGrain<IBuyerHoldsGrain>("buyer-" + Guid.NewGuid().ToString("N"));
        var now = DateTimeOffset.UtcNow;
        await index.RecordAsync(new BuyerHoldEntry("lot-1", "h1", now, now.AddDays(1)));

        // At a bound of 1 the firm is full, but the recorded hold's retry passes (its lot answers it with the hold it has).
        Assert.True((await index.CheckOpenAsync(1, now, "lot-1/h1")).Allowed);
        Assert.False((await index.CheckOpenAsync(1, now, "lot-2/h2")).Allowed);

        // At a bound of 3: two checks reserve two places; the first hold is refused and gives back its own room only.
        Assert.True((await index.CheckOpenAsync(3, now, "lot-2/h2")).Allowed);
        Assert.True((await index.CheckOpenAsync(3, now, "lot-3/h3")).Allowed);
        Assert.False((await index.CheckOpenAsync(3, now, "lot-4/h4")).Allowed);
        await index.ReleaseReservationAsync("lot-2/h2");
        await index.ReleaseReservationAsync("lot-2/h2");
        Assert.True((await index.CheckOpenAsync(3, now, "lot-4/h4")).Allowed);
        Assert.False((await index.CheckOpenAsync(3, now, "lot-5/h5")).Allowed);

        // A reservation is taken by its hold's record, once; a check asked again for the same hold reserves nothing more.
        await index.RecordAsync(new BuyerHoldEntry("lot-3", "h3", now, now.AddDays(1)));
        Assert.True((await index.CheckOpenAsync(3, now, "lot-4/h4")).Allowed);
        Assert.False((await index.CheckOpenAsync(3, now, "lot-5/h5")).Allowed);
    }

    [Fact]
    public async Task Checkout_ExtendingAHold_KeepsItOpenInTheBuyersCount_PastItsFirstEnd()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var grains = cluster.Client;
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyerId = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(grains, seller, 100);
        var placed = DateTimeOffset.UtcNow;
        await lot.PlaceHoldAsync(buyerId, "h1", 40, placed.AddMinutes(10));
        var index = grains.GetGrain<IBuyerHoldsGrain>(buyerId);
        var afterFirstEnd = placed.AddMinutes(20);
        Assert.Equal(0, (await index.CheckOpenAsync(1, afterFirstEnd, "other-lot/h9")).Open);
        await index.ReleaseReservationAsync("other-lot/h9");

        var buyer = new OrderActor("person-b", buyerId, "web");
        var order = grains.GetGrain<IOrderGrain>("order-" + Guid.NewGuid().ToString("N"));
        var placedOrder = await order.CheckoutAsync(buyer, new Checkout(lot.GetPrimaryKeyString(), "h1", "pickup",
            new OrderAddress("Otaniementie 1", "02150", "Espoo", 60.1841, 24.8301), "invoice", null));
        var hold = (await lot.GetAsync())!.Holds.Single();
        Assert.True(hold.ExpiresAt > afterFirstEnd, $"the order kept the hold until {hold.ExpiresAt:O} only");

        var check = await index.CheckOpenAsync(1, afterFirstEnd, "other-lot/h9");
        Assert.Equal((false, 1), (check.Allowed, check.Open));
        Assert.Equal([lot.GetPrimaryKeyString() + "/h1"], check.Verify);
        Assert.Equal(OrderStatus.Placed, placedOrder.Status);
    }
}
