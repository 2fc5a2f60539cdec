using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Imports;

/// <summary>
/// The bulk import path (SQLite storage): lots created in storage without their grains are read, held, re-imported and
/// edited like any other, expire through the day's deadline calendar, and a grain asked for the id before the import
/// does not keep answering "not found".
/// </summary>
public sealed class BulkImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-bulk-import-").FullName;

    [Fact]
    public async Task BulkImport_NewLots_LazilyReadableAndHoldable_NotStaleWhenAskedBefore_ReuploadIdempotent_ExpireViaCalendar_WriteAllOrNothing()
    {
        var lastDay = new DateOnly(2027, 3, 31);
        var clock = new FakeTimeProvider(MarketClock.EndOf(lastDay) - TimeSpan.FromSeconds(3));
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        await using var cluster = await TestClusters.StartAsync(settings, configure: TestClusters.MarketClock(clock));
        var grains = cluster.Client;
        var services = cluster.Silos[0].ServiceProvider;
        var importer = services.GetRequiredService<LotImporter>();
        var bulk = (IBulkGrainStorage)services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var window = new DateWindow(lastDay.AddDays(-30), lastDay);
        LotRow Row(int line, string title) => new(line, $"ext-{line}", LotRowReader.LotIdFor(seller, $"ext-{line}"), false,
            SampleLots.SteelBeams(window) with { Title = title }, []);
        var rows = new[] { Row(2, "Beams A"), Row(3, "Beams B"), Row(4, "Beams C") };
        var (a, b, c) = (rows[0].LotId!, rows[1].LotId!, rows[2].LotId!);

        // Someone asks for C before it exists: its grain activates with no state.
        Assert.Null(await grains.GetGrain<IListingGrain>(c).GetAsync());

        var storage = services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        async Task<long> SellerWrites()
        {
            var record = new GrainState<Trader>();
            await storage.ReadStateAsync("trader", GrainId.Create("trader", seller), record);
            return long.Parse(record.ETag!, System.Globalization.CultureInfo.InvariantCulture);
        }

        var writesBefore = await SellerWrites();
        var first = await importer.RunAsync(seller, rows, publish: true, null, CancellationToken.None);
        Assert.Equal((3, 3, 0, 0), (first.Counts.Processed, first.Counts.Created, first.Counts.Unchanged, first.Counts.Rejected));
        // The batch's new lots and their statuses cost the seller's record one write (it is rewritten whole).
        Assert.Equal(writesBefore + 1, await SellerWrites());
        var sellerRecord = await grains.GetGrain<ITraderGrain>(seller).GetAsync();
        Assert.All(rows, r => Assert.Equal("active", sellerRecord!.ListingStatus(r.LotId!)));
        Assert.Equal(3, (await bulk.ReadManyAsync<Listing>("listing", rows.Select(r => GrainId.Create("listing", r.LotId!)).ToArray())).Count);
        Assert.Equal(new[] { a, b, c }.Order(), (await grains.GetGrain<IDeadlineCalendarGrain>(DeadlineCalendarGrain.KeyOf(lastDay)).LotsAsync()).Order());

        // The grain asked before answers with the imported lot; another activates lazily from storage and takes a hold.
        Assert.Equal(ListingStatus.Active, (await grains.GetGrain<IListingGrain>(c).GetAsync())?.Status);
        var hold = await grains.GetGrain<IListingGrain>(b).PlaceHoldAsync(buyer, "h1", 2, clock.GetUtcNow().AddDays(7));
        Assert.Equal(2m, hold.Hold.Quantity);

        // The same rows again change nothing; one edited row updates exactly that lot.
        var again = await importer.RunAsync(seller, rows, publish: true, null, CancellationToken.None);
        Assert.Equal((0, 0, 3), (again.Counts.Created, again.Counts.Updated, again.Counts.Unchanged));
        var edited = await importer.RunAsync(seller, [rows[0], rows[1], Row(4, "Beams C (edited)")], publish: true, null, CancellationToken.None);
        Assert.Equal((0, 1, 2), (edited.Counts.Created, edited.Counts.Updated, edited.Counts.Unchanged));
        Assert.Equal("Beams C (edited)", (await grains.GetGrain<IListingGrain>(c).GetAsync())!.Details!.Title);

        // A was never activated: only the day's calendar can expire it. Its reminder is due in about 3 s of real time.
        clock.Advance(TimeSpan.FromSeconds(10));
        var expired = await Eventually.TrueAsync(async () =>
        {
            var stored = await bulk.ReadManyAsync<Listing>("listing", [GrainId.Create("listing", a)]);
            return stored.Values.Single().Status == ListingStatus.Expired;
        }, TimeSpan.FromSeconds(30));
        Assert.True(expired, "the bulk-imported lot was not expired in storage within 30 s of the end of its window");

        // A bulk write is all or nothing: one state that exists already refuses the whole write.
        GrainId Id(string key) => GrainId.Create("listing", key);
        NewGrainState State(string key) => bulk.Prepare("listing", Id(key), Listing.Create(key, seller, SampleLots.Bricks(), Domain.Materials.MaterialTaxonomy.Default, clock.GetUtcNow()));
        await Assert.ThrowsAsync<InconsistentStateException>(() => bulk.CreateAllAsync([State("new-1"), State(a), State("new-2")]));
        Assert.Empty(await bulk.ReadManyAsync<Listing>("listing", [Id("new-1"), Id("new-2")]));
        await bulk.CreateAllAsync([State("new-1"), State("new-2")]);
        Assert.Equal(2, (await bulk.ReadManyAsync<Listing>("listing", [Id("new-1"), Id("new-2")])).Count);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
