using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Time.Testing;

namespace Marketplace.Grains.Tests.Traders;

/// <summary>A firm's index of its lots by status follows every way a lot's status changes.</summary>
public sealed class TraderListingIndexTests
{
    [Fact]
    public async Task Index_FollowsPublishWithdrawSoldOutAndExpiry()
    {
        var lastDay = new DateOnly(2027, 3, 31);
        var clock = new FakeTimeProvider(MarketClock.EndOf(lastDay) - TimeSpan.FromSeconds(3));
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"),
            configure: TestClusters.MarketClock(clock));
        var grains = cluster.Client;
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(grains, "buyer");

        async Task<IListingGrain> LotAsync(DateOnly to, bool publish)
        {
            var lot = grains.GetGrain<IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
            await lot.CreateAsync(seller, SampleLots.SteelBeams(new DateWindow(lastDay.AddDays(-30), to)));
            if (publish)
            {
                await lot.PublishAsync(seller);
            }

            return lot;
        }

        var draft = await LotAsync(lastDay.AddDays(60), publish: false);
        var active = await LotAsync(lastDay.AddDays(60), publish: true);
        var withdrawn = await LotAsync(lastDay.AddDays(60), publish: true);
        await withdrawn.WithdrawAsync(seller);
        var soldOut = await LotAsync(lastDay.AddDays(60), publish: true);
        await soldOut.PlaceHoldAsync(buyer, "all", 12, clock.GetUtcNow().AddDays(7));
        await soldOut.ConfirmHoldAsync(seller, "all");
        var expiring = await LotAsync(lastDay, publish: true);
        await expiring.PlaceHoldAsync(buyer, "some", 2, clock.GetUtcNow().AddDays(7));

        // The reminder is due in 3 s of real time; by then the marketplace's clock is past the window's end.
        clock.Advance(TimeSpan.FromSeconds(10));
        IListingGrain[] lots = [draft, active, withdrawn, soldOut, expiring];
        var expected = new[] { "draft", "active", "withdrawn", "sold-out", "expired" };
        var trader = grains.GetGrain<ITraderGrain>(seller);
        async Task<string?[]> IndexedAsync()
        {
            var firm = await trader.GetAsync();
            return lots.Select(l => firm!.ListingStatus(l.GetPrimaryKeyString())).ToArray();
        }

        var agreed = await Eventually.TrueAsync(async () => (await IndexedAsync()).SequenceEqual(expected), TimeSpan.FromSeconds(30));

        Assert.True(agreed, $"index says {string.Join(", ", await IndexedAsync())}");
        var truth = await Task.WhenAll(lots.Select(async l => Listing.StatusCode((await l.GetAsync())!.Status)));
        Assert.Equal(expected, truth);

        await soldOut.WithdrawAsync(seller);
        Assert.True(await Eventually.TrueAsync(async () => (await trader.GetAsync())!.ListingStatus(soldOut.GetPrimaryKeyString()) == "withdrawn", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void RecordListingStatus_OlderReport_DoesNotUndoANewerOne()
    {
        var firm = Domain.Traders.Trader.Register("firm", new Domain.Traders.TraderProfile
        {
            Name = "Test Firm Oy",
            BusinessId = TestClusters.NewBusinessId(),
            Contact = new Domain.Traders.TraderContact(null, "test@firm.example", null),
            Roles = ["seller"],
        }, "test", DateTimeOffset.UtcNow);
        firm.AddListing("lot");

        Assert.True(firm.RecordListingStatus("lot", "withdrawn", 5));
        Assert.False(firm.RecordListingStatus("lot", "active", 4));
        Assert.False(firm.RecordListingStatus("unknown-lot", "active", 9));

        Assert.Equal("withdrawn", firm.ListingStatus("lot"));
        Assert.Null(firm.ListingStatus("unknown-lot"));
    }
}
