using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Tests.Storage;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>
/// A buyer's index of holds keeps its older holds in sealed pages: a hold placed writes at most a page's worth of
/// entries, not every hold the firm ever placed; a record stored whole before pages still reads.
/// </summary>
public sealed class BuyerHoldsPagesTests() : CountingSqliteCluster("buyer-holds")
{
    [Fact]
    public async Task RecordAsync_AfterManyHolds_WritesAtMostAPage_AndListsThemAll()
    {
        var start = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        BuyerHoldEntry Hold(int i) => new("lot-" + (i % 7), $"hold-{i:D4}", start.AddSeconds(i));

        // A record stored whole before pages: 300 holds in it.
        var buyer = "buyer-" + Guid.NewGuid().ToString("N");
        var before = Enumerable.Range(0, 300).Select(Hold).ToDictionary(h => h.Key, StringComparer.Ordinal);
        await Storage.WriteStateAsync("buyer-holds", GrainId.Create("buyerholds", buyer), new GrainState<Dictionary<string, BuyerHoldEntry>>(before));
        var holds = Cluster.Client.GetGrain<IBuyerHoldsGrain>(buyer);
        for (var i = 300; i < 370; i++)
        {
            await holds.RecordAsync(Hold(i));
        }

        Storage.Written.Clear();
        await holds.RecordAsync(Hold(370));
        await holds.RecordAsync(Hold(3));
        var written = Storage.Written.ToArray();
        var whole = MarketplaceStorageSerializer.Instance.Serialize(Enumerable.Range(0, 371).Select(Hold).ToDictionary(h => h.Key)).ToMemory().Length;
        Assert.Single(written);
        Assert.True(written[0].Bytes < whole / 5, $"one hold placed wrote {written[0].Bytes:N0} bytes; every hold is {whole:N0}");

        var expected = Enumerable.Range(0, 371).Reverse().Select(i => Hold(i).Key).ToArray();
        Assert.Equal(expected, await holds.ListAsync());
        // As a fresh activation reads it: the pages and the record.
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(expected, await holds.ListAsync());
        Storage.Written.Clear();
        await holds.RecordAsync(Hold(42));
        Assert.Empty(Storage.Written);
    }
}
