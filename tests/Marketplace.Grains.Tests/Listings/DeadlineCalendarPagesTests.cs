using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Tests.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>
/// A day's deadline calendar stores its lots in pages apart from its record: an import batch writes the page its lots
/// go to, not a record that grows with every lot (about 3.4 MB at 100,000 lots, rewritten for every batch); a record
/// stored whole before pages still reads and its lots still expire.
/// </summary>
public sealed class DeadlineCalendarPagesTests() : CountingSqliteCluster("calendar-pages")
{
    private static readonly DateOnly LastDay = new(2027, 5, 31);
    private readonly FakeTimeProvider _clock = new(MarketClock.EndOf(LastDay) - TimeSpan.FromSeconds(2));

    protected override void Configure(ISiloBuilder silo) => TestClusters.MarketClock(_clock)(silo);

    [Fact]
    public async Task AddAsync_ToADayWithManyLots_WritesOnlyWhatItAdds()
    {
        var calendar = Cluster.Client.GetGrain<IDeadlineCalendarGrain>(DeadlineCalendarGrain.KeyOf(LastDay.AddDays(30)));
        var lots = Enumerable.Range(0, 20_000).Select(i => $"lot-{i:D5}-" + Guid.NewGuid().ToString("N")).ToArray();
        foreach (var batch in lots.Chunk(5_000))
        {
            await calendar.AddAsync(batch);
        }

        var whole = JsonSerializer.SerializeToUtf8Bytes(new DeadlineCalendar { Lots = [.. lots] }, MarketplaceJson.Options).Length;
        Storage.Written.Clear();
        var added = Enumerable.Range(0, 10).Select(i => $"new-{i}-" + Guid.NewGuid().ToString("N")).ToArray();
        await calendar.AddAsync([.. added, lots[3]]);
        var batchBytes = Storage.Written.Sum(w => w.Bytes);

        Assert.True(batchBytes < whole / 10, $"adding 10 lots wrote {batchBytes:N0} bytes; the whole day is {whole:N0}");
        Assert.Equal([.. lots, .. added], (await calendar.LotsAsync()).Order(StringComparer.Ordinal));
        // As a fresh activation reads it.
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal([.. lots, .. added], (await calendar.LotsAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RecordStoredWhole_BeforePages_StillReads_AndItsLotsExpireWithTheNewOnes()
    {
        var seller = await TestClusters.RegisterFirmAsync(Cluster.Client, "seller");
        var window = new DateWindow(LastDay.AddDays(-30), LastDay);
        var bulk = (IBulkGrainStorage)Storage.Inner;
        var (old, added) = ("old-" + Guid.NewGuid().ToString("N"), "new-" + Guid.NewGuid().ToString("N"));
        NewGrainState Lot(string id)
        {
            var lot = Listing.Create(id, seller, SampleLots.SteelBeams(window), Domain.Materials.MaterialTaxonomy.Default, _clock.GetUtcNow());
            lot.Publish(_clock.GetUtcNow());
            return bulk.Prepare("listing", GrainId.Create("listing", id), lot);
        }

        await bulk.CreateAllAsync([Lot(old), Lot(added)]);
        // The day's record as stored before pages: its lots inline and no page count at all.
        var key = DeadlineCalendarGrain.KeyOf(LastDay);
        var json = JsonSerializer.SerializeToNode(new DeadlineCalendar { Lots = [old] }, MarketplaceJson.Options)!.AsObject();
        Assert.True(json.Remove("pages"));
        await Storage.WriteStateAsync("calendar", GrainId.Create("deadlinecalendar", key), new GrainState<JsonObject>(json));

        var calendar = Cluster.Client.GetGrain<IDeadlineCalendarGrain>(key);
        Assert.Equal([old], await calendar.LotsAsync());
        await calendar.AddAsync([added]);
        Assert.Equal(new[] { old, added }.Order(), (await calendar.LotsAsync()).Order());

        // Neither lot's grain ever activated: only the calendar's reminder, due in about 2 s of real time, expires them.
        _clock.Advance(TimeSpan.FromSeconds(10));
        var expired = await Eventually.TrueAsync(async () =>
        {
            var stored = await bulk.ReadManyAsync<Listing>("listing", [GrainId.Create("listing", old), GrainId.Create("listing", added)]);
            return stored.Values.All(l => l.Status == ListingStatus.Expired);
        }, TimeSpan.FromSeconds(30));
        Assert.True(expired, "the lots of a calendar stored before pages were not expired within 30 s of the end of their window");
        Assert.True(await Eventually.TrueAsync(async () => (await calendar.LotsAsync()).Count == 0, TimeSpan.FromSeconds(10)));
    }
}
