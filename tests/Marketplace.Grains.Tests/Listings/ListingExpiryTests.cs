using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Listings;
using Microsoft.Extensions.Time.Testing;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>A lot expires at the end of its availability window, and its holds lapse, with no request touching it.</summary>
public sealed class ListingExpiryTests
{
    [Fact]
    public async Task Lot_AtEndOfWindow_ExpiresAndReleasesHolds_WithoutAnyRequest()
    {
        var lastDay = new DateOnly(2027, 3, 31);
        var clock = new FakeTimeProvider(MarketClock.EndOf(lastDay) - TimeSpan.FromSeconds(3));
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"),
            configure: TestClusters.MarketClock(clock));
        var seller = await TestClusters.RegisterFirmAsync(cluster.Client, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(cluster.Client, "buyer");
        var lot = cluster.Client.GetGrain<IListingGrain>("expiring-lot");
        await lot.CreateAsync(seller, SampleLots.SteelBeams(new DateWindow(lastDay.AddDays(-30), lastDay)));
        await lot.PublishAsync(seller);
        await lot.PlaceHoldAsync(buyer, "h1", 5, clock.GetUtcNow().AddDays(7));

        // The reminder is due in 3 s of real time; by then the marketplace's clock is past the window's end.
        clock.Advance(TimeSpan.FromSeconds(10));
        var expired = await Eventually.TrueAsync(
            async () => (await lot.GetAsync())!.Status == ListingStatus.Expired,
            TimeSpan.FromSeconds(30));

        Assert.True(expired, "the lot did not expire within 30 s of the end of its window");
        var state = await lot.GetAsync();
        Assert.Equal(HoldStatus.Lapsed, state!.Holds.Single().Status);
        Assert.Equal(0m, state.Held);
    }
}
