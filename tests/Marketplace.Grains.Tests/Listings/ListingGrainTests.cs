using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Listings;

namespace Marketplace.Grains.Tests.Listings;

public class ListingGrainTests(MemoryClusterFixture fixture) : IClassFixture<MemoryClusterFixture>
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task HoldThenConfirm_MovesQuantityToSold()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 1000);

        await lot.PlaceHoldAsync(buyer, "h1", 400, DateTimeOffset.UtcNow.AddDays(7));
        var receipt = await lot.ConfirmHoldAsync(seller, "h1");
        var after = await lot.GetAsync();

        Assert.Equal((600m, 0m, 400m), (receipt.Available, receipt.Held, receipt.Sold));
        Assert.Equal(HoldStatus.Confirmed, receipt.Hold.Status);
        Assert.Equal((600m, 0m, 400m), (after!.Available, after.Held, after.Sold));
    }

    [Fact]
    public async Task PlaceHold_RetriedWithTheSameHoldId_HoldsOnce_AndAnswersTheFirstHold()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 10);

        var first = await lot.PlaceHoldAsync(buyer, "derived-from-key", 10, DateTimeOffset.UtcNow.AddDays(7));
        var retry = await lot.PlaceHoldAsync(buyer, "derived-from-key", 10, DateTimeOffset.UtcNow.AddDays(8));

        Assert.Equal(first.Hold.ExpiresAt, retry.Hold.ExpiresAt);
        Assert.Equal((0m, 10m), (retry.Available, retry.Held));
        Assert.Single((await lot.GetAsync())!.Holds);
    }

    [Fact]
    public async Task PlaceHold_MoreThanAvailable_RefusalCrossesTheWireWithAvailableQuantity()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 10);
        await lot.PlaceHoldAsync(buyer, "h1", 7, DateTimeOffset.UtcNow.AddDays(1));

        var e = await Assert.ThrowsAsync<DomainException>(() => lot.PlaceHoldAsync(buyer, "h2", 4, DateTimeOffset.UtcNow.AddDays(1)));

        Assert.Equal("hold-exceeds-available", e.Code);
        Assert.Equal(DomainErrorKind.Conflict, e.Kind);
        Assert.Equal("3", e.Details["available"]?.ToString());
    }

    [Fact]
    public async Task Create_ByFirmWithoutSellerRole_IsForbidden_ByUnknownFirm_IsNotFound()
    {
        var buyerOnly = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var e = await Assert.ThrowsAsync<DomainException>(() => TestClusters.ActiveLotAsync(Grains, buyerOnly, 5));
        Assert.Equal(DomainErrorKind.Forbidden, e.Kind);

        var missing = await Assert.ThrowsAsync<DomainException>(() => TestClusters.ActiveLotAsync(Grains, "no-such-firm", 5));
        Assert.Equal(DomainErrorKind.NotFound, missing.Kind);
    }

    [Fact]
    public async Task Create_AddsLotToSellersListings()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 5);
        var trader = await Grains.GetGrain<Marketplace.Grains.Traders.ITraderGrain>(seller).GetAsync();
        Assert.Contains(lot.GetPrimaryKeyString(), trader!.ListingIds);
    }

    [Fact]
    public async Task FiftyConcurrentHolds_OnLotOfTen_HoldExactlyTen()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => TestClusters.RegisterFirmAsync(Grains, "buyer")));
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 10);

        var attempts = Enumerable.Range(0, 50).Select(async i =>
        {
            try
            {
                await lot.PlaceHoldAsync(buyers[i % buyers.Length], $"h{i}", 1, DateTimeOffset.UtcNow.AddDays(1));
                return true;
            }
            catch (DomainException e) when (e.Code == "hold-exceeds-available")
            {
                return false;
            }
        });
        var results = await Task.WhenAll(attempts);
        var state = await lot.GetAsync();

        Assert.Equal(10, results.Count(ok => ok));
        Assert.Equal(10m, state!.Held);
        Assert.Equal(0m, state.Available);
    }

    [Fact]
    public async Task Hold_LapsesAtExpiry_WithoutAnyRequestTouchingTheLot()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 100);
        await lot.PlaceHoldAsync(buyer, "short", 40, DateTimeOffset.UtcNow.AddSeconds(2));

        // GetAsync only reads state; it never settles expiries, so a lapse seen here was done by the reminder.
        var lapsed = await Eventually.TrueAsync(
            async () => (await lot.GetAsync())!.Holds.Single().Status == HoldStatus.Lapsed,
            TimeSpan.FromSeconds(20));

        Assert.True(lapsed, "the hold did not lapse within 20 s of its expiry");
        Assert.Equal(100m, (await lot.GetAsync())!.Available);
    }

    [Fact]
    public async Task Update_ByAnotherFirm_IsForbiddenOnPublicLot()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var other = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 5);

        var e = await Assert.ThrowsAsync<DomainException>(() => lot.UpdateAsync(other, new ListingChanges { Title = "Mine now" }));

        Assert.Equal(DomainErrorKind.Forbidden, e.Kind);
        Assert.Equal(SampleLots.Bricks().Title, (await lot.GetAsync())!.Details!.Title);
    }
}
