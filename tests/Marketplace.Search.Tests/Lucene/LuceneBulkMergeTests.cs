using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// A bulk load ends by merging the index into one segment when it wrote at least the bulk threshold (and a tenth of the
/// index) since the last merge; a smaller load leaves the merging to the writer's policy and the idle merge, which keeps
/// at most a few small segments beside a merged index.
/// </summary>
public sealed class LuceneBulkMergeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-bulk-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Settle_AfterABulkLoadAboveTheThreshold_MergesIntoOneSegment_AndASmallLoadAfterDoesNot()
    {
        await using var engine = LuceneSearchEngine.Open(_folder, bulkMergeMinDocs: 200);
        await LoadAsync(engine, from: 0, lots: 240, batch: 40);
        await engine.CommitAsync();
        Assert.True(engine.Segments() > 1, "each batch was refreshed into a segment of its own");
        var before = await engine.SearchAsync(new SearchQuery { Text = "bricks", Limit = 5 });

        Assert.True(await engine.SettleAsync());

        Assert.Equal(1, engine.Segments());
        Assert.Equal(0, engine.ChangedSinceMerge);
        var after = await engine.SearchAsync(new SearchQuery { Text = "bricks", Limit = 5 });
        Assert.Equal(before.Total, after.Total);
        Assert.Equal(EnginePages.Facets(before.Facets), EnginePages.Facets(after.Facets));

        // 30 more lots: below the threshold of 200, so no merge starts.
        await LoadAsync(engine, from: 240, lots: 30, batch: 10);
        Assert.False(await engine.SettleAsync());
        Assert.True(engine.Segments() > 1);
    }

    [Fact]
    public async Task Settle_AfterALoadBelowTheThreshold_StartsNoMerge()
    {
        await using var engine = LuceneSearchEngine.Open(_folder, bulkMergeMinDocs: 200);
        await LoadAsync(engine, from: 0, lots: 150, batch: 30);
        await engine.CommitAsync();
        var segments = engine.Segments();
        Assert.True(segments > 1);

        Assert.False(await engine.SettleAsync());
        Assert.False(await engine.MergeIfIdleAsync());
        Assert.Equal(segments, engine.Segments());
        Assert.Equal(150, engine.ChangedSinceMerge);
    }

    [Fact]
    public async Task BulkLoad_AboveATenthOfTheIndexOnly_IsMerged_AndItsWritesPausing_StartsTheMerge()
    {
        await using var engine = LuceneSearchEngine.Open(_folder, bulkMergeMinDocs: 10);
        await LoadAsync(engine, from: 0, lots: 400, batch: 100);
        Assert.True(await engine.SettleAsync());

        // 30 lots replaced: above the threshold of 10 but under a tenth of the 400 lots.
        await LoadAsync(engine, from: 0, lots: 30, batch: 10, version: 2);
        Assert.False(await engine.SettleAsync());
        Assert.True(engine.Segments() > 1);

        // An import through the feed has no end the engine is told of: its writes pausing ends it. Right after the
        // writes the pause has not passed; with a pause of zero (the test's stand-in for ten quiet seconds) it has.
        await LoadAsync(engine, from: 400, lots: 40, batch: 10);
        Assert.False(await engine.MergeIfIdleAsync());
        engine.BulkPause = TimeSpan.Zero;
        Assert.True(await engine.MergeIfIdleAsync());
        Assert.Equal(1, engine.Segments());
        Assert.Equal(440, engine.Count);
    }

    [Fact]
    public async Task SmallChanges_BesideAMergedIndex_LeaveAtMostTheCapOfSmallSegments()
    {
        await using var engine = LuceneSearchEngine.Open(_folder);
        await LoadAsync(engine, from: 0, lots: 400, batch: 400);
        Assert.True(await engine.MergeIfIdleAsync(force: true) || engine.Segments() == 1);

        // Eight single-lot changes, each searchable at once: a segment each. Lucene's tiered policy alone merges none
        // before ten (it would leave nine segments); the cap merges the small ones once there are more than four.
        engine.MergePolicy.SmallShare = 0.5;
        await LoadAsync(engine, from: 0, lots: 8, batch: 1, version: 2);
        engine.WaitForMerges();

        Assert.InRange(engine.Segments(), 2, 1 + engine.MergePolicy.MaxSmallSegments);
        Assert.Equal(400, engine.Count);
    }

    private static async Task LoadAsync(LuceneSearchEngine engine, int from, int lots, int batch, long version = 1)
    {
        for (var i = from; i < from + lots; i += batch)
        {
            await engine.IndexAsync(Enumerable.Range(i, Math.Min(batch, from + lots - i))
                .Select(n => Docs.Lot($"lot-{n:D4}", $"Reclaimed clay bricks {n}") with { Version = version }).ToArray());
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
