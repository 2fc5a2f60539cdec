using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Imports;

/// <summary>
/// The bulk import path (SQLite storage): lots created in storage without their grains are read, held, re-imported and
/// edited like any other, expire through the day's deadline calendar, and a grain asked for the id before the import
/// does not keep answering "not found". Batches of three rows: the importer prepares the next batch while one is stored,
/// yet a failed store reports exactly its batch's rows and a run stopped between batches stores nothing of the next.
/// </summary>
public sealed class BulkImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-bulk-import-").FullName;

    [Fact]
    public async Task BulkImport_NewLots_LazilyReadableAndHoldable_NotStaleWhenAskedBefore_ReuploadIdempotent_ExpireViaCalendar_WriteAllOrNothing_BatchesInOrder()
    {
        var lastDay = new DateOnly(2027, 3, 31);
        var clock = new FakeTimeProvider(MarketClock.EndOf(lastDay) - TimeSpan.FromSeconds(3));
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        settings["Imports:BatchSize"] = "3";
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
        // The seller's record and its lots' changes record (a few new lots go there, not to a page or the record).
        async Task<long> SellerWrites()
        {
            var record = new GrainState<Trader>();
            await storage.ReadStateAsync("trader", GrainId.Create("trader", seller), record);
            var changes = new GrainState<TraderLotChanges>();
            await storage.ReadStateAsync("trader-lot-changes", GrainId.Create("trader-lot-changes", seller), changes);
            return long.Parse(record.ETag!, System.Globalization.CultureInfo.InvariantCulture)
                + (changes.ETag is null ? 0 : long.Parse(changes.ETag, System.Globalization.CultureInfo.InvariantCulture));
        }

        var writesBefore = await SellerWrites();
        var first = await importer.RunAsync(seller, rows, publish: true, null, CancellationToken.None);
        Assert.Equal((3, 3, 0, 0), (first.Counts.Processed, first.Counts.Created, first.Counts.Unchanged, first.Counts.Rejected));
        // The batch's new lots and their statuses cost the seller one write.
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

        // Three batches; the middle one's store fails (a trigger of the real file refuses one of its lots) and it has a
        // row naming no lot. The batches around it are stored; exactly the middle batch's rows are reported.
        var later = new DateWindow(lastDay.AddDays(1), lastDay.AddDays(30));
        LotRow Later(int line) => line % 10 == 5
            ? new(line, null, $"no-such-lot-{line}", true, SampleLots.SteelBeams(later), [])
            : new(line, $"ext-{line}", LotRowReader.LotIdFor(seller, $"ext-{line}"), false, SampleLots.SteelBeams(later) with { Title = $"Beams {line}" }, []);
        async Task<int[]> StoredLines(IEnumerable<LotRow> of)
        {
            var found = await bulk.ReadManyAsync<Listing>("listing", of.Select(r => Id(r.LotId!)).ToArray());
            return of.Where(r => found.ContainsKey(Id(r.LotId!))).Select(r => r.Line).Order().ToArray();
        }

        var three = Enumerable.Range(10, 9).Select(Later).ToArray();
        await using (var file = new SqliteConnection($"Data Source={settings["Storage:Sqlite:Path"]}"))
        {
            await file.OpenAsync();
            await using var trigger = file.CreateCommand();
            trigger.CommandText = $"CREATE TRIGGER refuse_lot BEFORE INSERT ON grain_state WHEN NEW.grain_id = '{Id(three[4].LotId!)}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
            await trigger.ExecuteNonQueryAsync();
        }

        var storeFailed = await importer.RunAsync(seller, three, publish: true, null, CancellationToken.None);
        Assert.Equal((ImportStatus.Completed, 9, 6, 3), (storeFailed.Status, storeFailed.Counts.Processed, storeFailed.Counts.Created, storeFailed.Counts.Rejected));
        Assert.Equal(new[] { 13, 14, 15 }, storeFailed.Errors.Select(e => e.Line).Order());
        Assert.Equal(new[] { "id", "row", "row" }, storeFailed.Errors.Select(e => e.Field).Order());
        Assert.Equal(new[] { 10, 11, 12, 16, 17, 18 }, await StoredLines(three));

        // Stopped once the first batch is stored (the index has heard of it) while the second is prepared: the first is
        // stored and counted, nothing of the second or third (not even its refused row).
        using var stop = new CancellationTokenSource();
        var stopping = new LotImporter(services.GetRequiredService<IGrainFactory>(), services.GetRequiredService<IOptions<ImportOptions>>(), storage,
            services.GetRequiredService<MaterialTaxonomy>(), services.GetRequiredKeyedService<TimeProvider>(MarketTime.Key),
            services.GetRequiredService<IOptions<ServiceAreaOptions>>(), new StopOnFirstBatch(services.GetRequiredService<IListingChangeSink>(), stop),
            services.GetRequiredService<ILogger<LotImporter>>());
        var another = Enumerable.Range(20, 9).Select(Later).ToArray();
        var cancelled = await stopping.RunAsync(seller, another, publish: true, null, stop.Token);
        Assert.Equal((ImportStatus.Cancelled, 3, 3, 0), (cancelled.Status, cancelled.Counts.Processed, cancelled.Counts.Created, cancelled.Counts.Rejected));
        Assert.Empty(cancelled.Errors);
        Assert.Equal(new[] { 20, 21, 22 }, await StoredLines(another));
    }

    /// <summary>The real change sink, which stops the run once the first batch's lots are heard of.</summary>
    private sealed class StopOnFirstBatch(IListingChangeSink sink, CancellationTokenSource stop) : IListingChangeSink
    {
        public void Stored(Listing listing) => sink.Stored(listing);

        public async ValueTask StoredManyAsync(IReadOnlyList<Listing> listings, CancellationToken cancellationToken)
        {
            await sink.StoredManyAsync(listings, cancellationToken);
            await stop.CancelAsync();
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
