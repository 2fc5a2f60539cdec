using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Tests.Storage;
using Marketplace.Grains.Traders;

namespace Marketplace.Grains.Tests.Traders;

/// <summary>
/// A seller's lots are stored in pages apart from its own record: a change writes the pages it touched, not a record
/// that grows with every lot (about 5 MB at 50,000 lots, rewritten for every import batch); a record stored whole
/// before pages still reads.
/// </summary>
public sealed class TraderLotPagesTests() : CountingSqliteCluster("trader-pages")
{
    [Fact]
    public async Task AddListings_ToAFirmWithManyLots_WritesOnlyWhatChanged()
    {
        var seller = await TestClusters.RegisterFirmAsync(Cluster.Client, "seller");
        var trader = Cluster.Client.GetGrain<ITraderGrain>(seller);
        var lots = Enumerable.Range(0, 5_000).Select(i => $"lot-{i:D5}-" + Guid.NewGuid().ToString("N")).ToArray();
        await trader.AddListingsAsync(lots, lots.Select(l => new ListingStatusReport(l, "active", 1)).ToArray());
        var whole = JsonSerializer.SerializeToUtf8Bytes(await trader.GetAsync(), MarketplaceJson.Options).Length;

        Storage.Written.Clear();
        var added = Enumerable.Range(0, 10).Select(i => $"new-{i}-" + Guid.NewGuid().ToString("N")).ToArray();
        await trader.AddListingsAsync(added, added.Select(l => new ListingStatusReport(l, "active", 1)).ToArray());
        var batch = Storage.Written.ToArray();

        Storage.Written.Clear();
        await trader.ListingStatusChangedAsync(lots[7], "withdrawn", 2);
        var statusChange = Storage.Written.ToArray();

        Assert.True(batch.Sum(w => w.Bytes) < whole / 10, $"a batch of 10 new lots wrote {batch.Sum(w => w.Bytes):N0} bytes; the whole firm is {whole:N0}");
        Assert.True(statusChange.Sum(w => w.Bytes) < whole / 5, $"one lot's status wrote {statusChange.Sum(w => w.Bytes):N0} bytes; the whole firm is {whole:N0}");
        var firm = (await trader.GetAsync())!;
        Assert.Equal([.. lots, .. added], firm.ListingIds);
        Assert.Equal("withdrawn", firm.ListingStatus(lots[7]));

        var stored = await StoredAsync(seller);
        Assert.Equal(firm.ListingIds, stored.ListingIds);
        Assert.All(firm.ListingIds, l => Assert.Equal(firm.ListedLot(l), stored.ListedLot(l)));
    }

    [Fact]
    public async Task NewLots_OnALargeLastPage_WriteBoundedBytes_AndEveryLotReadsBack()
    {
        var seller = await TestClusters.RegisterFirmAsync(Cluster.Client, "seller");
        var trader = Cluster.Client.GetGrain<ITraderGrain>(seller);
        // Two full pages and a last page of 400 lots (500 after), which each new lot's three writes used to rewrite whole.
        var lots = Enumerable.Range(0, 1_400).Select(i => $"lot-{i:D5}-" + Guid.NewGuid().ToString("N")).ToArray();
        await trader.AddListingsAsync(lots, lots.Select(l => new ListingStatusReport(l, "active", 1)).ToArray());

        Storage.Written.Clear();
        var added = Enumerable.Range(0, 100).Select(i => $"new-{i:D3}-" + Guid.NewGuid().ToString("N")).ToArray();
        foreach (var (lot, i) in added.Select((l, i) => (l, i)))
        {
            // A lot created through the API: recorded, then its draft and its publication reported.
            await trader.AddListingAsync(lot);
            await trader.ListingStatusChangedAsync(lot, "draft", 1);
            await trader.ListingStatusChangedAsync(lot, "active", 2);
            if (i % 10 == 0)
            {
                await trader.ListingStatusChangedAsync(lots[i * 7], "withdrawn", 2);
            }
        }

        var written = Storage.Written.ToArray();
        var perLot = written.Sum(w => w.Bytes) / added.Length;
        Assert.True(perLot < 12_000, $"a new lot wrote {perLot:N0} bytes in {written.Length / (double)added.Length:N1} writes: "
            + string.Join(", ", written.GroupBy(w => w.StateName).Select(g => $"{g.Key} {g.Count()}× {g.Sum(w => w.Bytes):N0} B")));

        // A fresh activation reads every lot and entry, whether it sits in a page or in the changes.
        var firm = (await trader.GetAsync())!;
        var stored = await StoredAsync(seller);
        Assert.Equal([.. lots, .. added], stored.ListingIds);
        Assert.All(firm.ListingIds, l => Assert.Equal(firm.ListedLot(l), stored.ListedLot(l)));
        Assert.Equal(new ListedLot("active", 2), stored.ListedLot(added[^1]));
        Assert.Equal(new ListedLot("withdrawn", 2), stored.ListedLot(lots[70]));

        // Changes left behind by a write of pages whose emptying of them failed: a lot the pages hold already is read
        // once, and an older entry does not replace the page's newer one.
        var left = new GrainState<TraderLotChanges>();
        var changesId = GrainId.Create(TraderRecords.ChangesStateName, seller);
        await Storage.ReadStateAsync(TraderRecords.ChangesStateName, changesId, left);
        left.State ??= new TraderLotChanges();
        left.State.Added.AddRange([lots[5], "after-" + seller]);
        left.State.Statuses[lots[5]] = new ListedLot("draft", 0);
        left.State.Statuses[lots[70]] = new ListedLot("active", 1);
        left.State.Statuses[lots[6]] = new ListedLot("sold-out", 3);
        await Storage.WriteStateAsync(TraderRecords.ChangesStateName, changesId, left);
        var replayed = await StoredAsync(seller);
        Assert.Equal([.. lots, .. added, "after-" + seller], replayed.ListingIds);
        Assert.Equal(new ListedLot("active", 1), replayed.ListedLot(lots[5]));
        Assert.Equal(new ListedLot("withdrawn", 2), replayed.ListedLot(lots[70]));
        Assert.Equal(new ListedLot("sold-out", 3), replayed.ListedLot(lots[6]));
    }

    [Fact]
    public async Task RecordStoredWhole_BeforePages_StillReads_AndMovesIntoPagesOnTheNextWrite()
    {
        var id = "firm-" + Guid.NewGuid().ToString("N");
        var old = Trader.Register(id, new TraderProfile
        {
            Name = "Vanha Oy",
            BusinessId = TestClusters.NewBusinessId(),
            Contact = new TraderContact(null, "vanha@firm.example", null),
            Roles = ["seller"],
        }, "test", DateTimeOffset.UtcNow);
        var lots = Enumerable.Range(0, 1_200).Select(i => $"old-{i:D4}").ToArray();
        old.AddListings(lots);
        old.RecordListingStatus(lots[3], "sold-out", 4);
        old.RecordListingStatus(lots[1_100], "active", 2);
        // The record as stored before pages: the lots inline and no page count at all.
        var json = JsonSerializer.SerializeToNode(old, MarketplaceJson.Options)!.AsObject();
        Assert.True(json.Remove("lotPages"));
        await Storage.WriteStateAsync(TraderRecords.StateName, GrainId.Create("trader", id), new GrainState<JsonObject>(json));

        var trader = Cluster.Client.GetGrain<ITraderGrain>(id);
        var firm = (await trader.GetAsync())!;
        Assert.Equal(lots, firm.ListingIds);
        Assert.Equal("sold-out", firm.ListingStatus(lots[3]));
        Assert.Equal("active", firm.ListingStatus(lots[1_100]));

        await trader.AddListingAsync("new-lot");

        var record = new GrainState<Trader>();
        await Storage.ReadStateAsync(TraderRecords.StateName, GrainId.Create("trader", id), record);
        Assert.Empty(record.State!.ListingIds);
        Assert.Equal(3, record.State!.LotPages);
        var stored = await StoredAsync(id);
        Assert.Equal([.. lots, "new-lot"], stored.ListingIds);
        Assert.Equal(new ListedLot("sold-out", 4), stored.ListedLot(lots[3]));
        Assert.Equal(new ListedLot("active", 2), stored.ListedLot(lots[1_100]));
        Assert.Equal("Vanha Oy", stored.Profile!.Name);
    }

    [Fact]
    public async Task ANewLot_CreatedThenPublished_WritesTheFirmsRecordsOncePerStatus()
    {
        var seller = await TestClusters.RegisterFirmAsync(Cluster.Client, "seller");
        var trader = Cluster.Client.GetGrain<ITraderGrain>(seller);
        await TestClusters.ActiveLotAsync(Cluster.Client, seller, 10);
        Storage.Written.Clear();

        var lot = Cluster.Client.GetGrain<Marketplace.Grains.Listings.IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
        await lot.CreateAsync(seller, SampleLots.Bricks(100));
        // Recorded with the lot, before its creation answers: no report to wait for.
        Assert.Equal("draft", (await trader.GetAsync())!.ListingStatus(lot.GetPrimaryKeyString()));
        await lot.PublishAsync(seller);
        Assert.True(await Eventually.TrueAsync(async () => (await trader.GetAsync())!.ListingStatus(lot.GetPrimaryKeyString()) == "active", TimeSpan.FromSeconds(10)));

        // The lot's id with its draft status in one write, then the published status: two, not three.
        string[] records = [TraderRecords.StateName, TraderRecords.PagesStateName, TraderRecords.ChangesStateName];
        Assert.Equal(2, Storage.Written.Count(w => records.Contains(w.StateName)));
        Assert.Equal(new ListedLot("active", 2), (await StoredAsync(seller)).ListedLot(lot.GetPrimaryKeyString()));
    }

    /// <summary>
    /// A firm's demand ids are pages too: its 1,201st demand writes one small page, not a record that holds every wanted
    /// notice the firm ever posted (2,000 posted and cancelled once added 8 MB of writes); a record stored with its ids
    /// inline still reads, and its next write moves them into pages.
    /// </summary>
    [Fact]
    public async Task Demands_AreStoredInPages_ANewOneWritesItsPage_AndARecordWithInlineIdsMovesThem()
    {
        var id = "firm-" + Guid.NewGuid().ToString("N");
        var old = Trader.Register(id, new TraderProfile
        {
            Name = "Ostaja Oy",
            BusinessId = TestClusters.NewBusinessId(),
            Contact = new TraderContact(null, "ostaja@firm.example", null),
            Roles = ["buyer"],
        }, "test", DateTimeOffset.UtcNow);
        var demands = Enumerable.Range(0, 1_200).Select(i => $"demand-{i:D4}-" + Guid.NewGuid().ToString("N")).ToArray();
        foreach (var d in demands)
        {
            old.AddDemand(d);
        }

        // The record as stored before demand pages: the ids inline and no page count.
        var json = JsonSerializer.SerializeToNode(old, MarketplaceJson.Options)!.AsObject();
        Assert.True(json.Remove("demandPages"));
        var inline = JsonSerializer.SerializeToUtf8Bytes(json).Length;
        await Storage.WriteStateAsync(TraderRecords.StateName, GrainId.Create("trader", id), new GrainState<JsonObject>(json));

        var trader = Cluster.Client.GetGrain<ITraderGrain>(id);
        Assert.Equal(demands, (await trader.GetAsync())!.DemandIds);
        Storage.Written.Clear();
        await trader.AddDemandAsync("moved");
        var record = new GrainState<Trader>();
        await Storage.ReadStateAsync(TraderRecords.StateName, GrainId.Create("trader", id), record);
        Assert.Empty(record.State!.DemandIds);
        Assert.Equal(3, record.State!.DemandPages);
        Assert.Equal([.. demands, "moved"], (await StoredAsync(id)).DemandIds);

        // A record from before the open-demand set counts every demand open until the bound reads them (these were never
        // made, so all are found closed); then a new demand writes its page and the small record with its open ones.
        Assert.Equal(1_201, (await trader.CheckOpenDemandsAsync(500, DateTimeOffset.UtcNow, "next")).Open);
        Assert.False(await trader.DemandsClosedAsync(demands, 1, DateTimeOffset.UtcNow, TimeSpan.Zero, "next"));
        Storage.Written.Clear();
        await trader.AddDemandAsync("next");
        await trader.AddDemandAsync("next");
        var written = Storage.Written.ToArray();
        Assert.Equal([TraderRecords.StateName], written.Select(w => w.StateName).ToArray());
        Assert.True(written.Sum(w => w.Bytes) < inline / 10, $"a new demand wrote {written.Sum(w => w.Bytes):N0} bytes; the record with its ids inline is {inline:N0}");
        Assert.Equal([.. demands, "moved", "next"], (await StoredAsync(id)).DemandIds);

        // The newest ids ride in the record until more than ChangesLimit have come; then their page is written.
        var later = Enumerable.Range(0, TraderRecords.ChangesLimit).Select(i => $"later-{i:D2}").ToArray();
        Storage.Written.Clear();
        foreach (var d in later)
        {
            await trader.AddDemandAsync(d);
        }

        Assert.Equal(1, Storage.Written.Count(w => w.StateName == TraderRecords.DemandPagesStateName));
        Assert.Equal(later.Length, Storage.Written.Count(w => w.StateName == TraderRecords.StateName));

        // A fresh activation reads every id, from the pages and the record, each once and in order.
        Assert.Equal([.. demands, "moved", "next", .. later], (await StoredAsync(id)).DemandIds);
        Assert.Equal("Ostaja Oy", (await StoredAsync(id)).Profile!.Name);
    }

    /// <summary>
    /// The open-demand bound counts the demands the firm's record holds open: each demand tells of its closing (and of
    /// opening again), so a firm with a long history is not read demand by demand at its bound, and the count survives
    /// a new activation.
    /// </summary>
    [Fact]
    public async Task OpenDemands_AreCountedFromTheRecord_ClosedOnesDropOut_AndTheCountIsStored()
    {
        var buyer = await TestClusters.RegisterFirmAsync(Cluster.Client, "buyer");
        var trader = Cluster.Client.GetGrain<ITraderGrain>(buyer);
        var at = new Marketplace.Domain.Geo.GeoPoint(60.2, 24.9);
        var ids = Enumerable.Range(0, 12).Select(i => $"demand-{i:D2}-" + Guid.NewGuid().ToString("N")).ToArray();
        foreach (var id in ids)
        {
            await Cluster.Client.GetGrain<Marketplace.Grains.Demands.IDemandGrain>(id).CreateAsync(buyer, SampleDemands.Concrete(at, 10));
        }

        foreach (var id in ids[..9])
        {
            await Cluster.Client.GetGrain<Marketplace.Grains.Demands.IDemandGrain>(id).CancelAsync(buyer);
        }

        // The closings are told one way after each demand's write.
        Assert.True(await Eventually.TrueAsync(async () => (await trader.CheckOpenDemandsAsync(4, DateTimeOffset.UtcNow, "first")).Allowed, TimeSpan.FromSeconds(10)),
            "the firm's 3 open demands of 12 did not fit a bound of 4");
        var atBound = await trader.CheckOpenDemandsAsync(4, DateTimeOffset.UtcNow, "second");
        Assert.False(atBound.Allowed);
        Assert.Equal(ids[9..].Order(StringComparer.Ordinal), atBound.Verify.Order(StringComparer.Ordinal));

        // Posts checked at once cannot pass the bound together: the first check reserved the last place until its demand
        // is recorded or the reservation is given back; a retry of a recorded demand passes.
        Assert.True((await trader.CheckOpenDemandsAsync(4, DateTimeOffset.UtcNow, "first")).Allowed);
        await trader.ReleaseDemandReservationAsync("first");
        Assert.True((await trader.CheckOpenDemandsAsync(4, DateTimeOffset.UtcNow, "second")).Allowed);
        Assert.True((await trader.CheckOpenDemandsAsync(4, DateTimeOffset.UtcNow, ids[10])).Allowed);

        var stored = await StoredAsync(buyer);
        Assert.Equal(ids[9..].Order(StringComparer.Ordinal), stored.OpenDemandIds.Order(StringComparer.Ordinal));
        Assert.Equal(ids, stored.DemandIds);
    }

    /// <summary>The firm as a fresh activation would read it from storage.</summary>
    private async Task<Trader> StoredAsync(string id)
    {
        var records = new TraderRecords(Storage, id);
        await records.ReadAsync();
        return records.State;
    }
}
