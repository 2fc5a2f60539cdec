using System.Globalization;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// How the embedded engine lays out what a query reads: a category's lots in adjacent slots after opening an index, and
/// no per-segment scoring tables over the small segments live changes leave behind.
/// </summary>
public sealed class LuceneLayoutTests : IAsyncLifetime
{
    private static readonly string[] Categories = ["masonry/bricks", "concrete/hollow-core-slabs", "masonry/blocks", "metals/steel/beams"];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-layout-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Open_AnIndexWrittenWithCategoriesInterleaved_PutsEachCategorysLotsInAdjacentSlots()
    {
        var engine = LuceneSearchEngine.Open(_folder);
        await engine.IndexAsync(Enumerable.Range(0, 40).Select(i => Docs.Lot(Id(i), "Lot " + i, category: Categories[i % Categories.Length])).ToArray());
        await engine.CommitAsync();
        var before = await engine.SearchAsync(new SearchQuery { Category = "masonry", Sort = SearchSort.Price, Limit = 50 });
        await engine.DisposeAsync();

        await using var reopened = LuceneSearchEngine.Open(_folder);
        var columns = reopened.Columns;
        for (var ordinal = 0; ordinal < columns.CategoryCount; ordinal++)
        {
            var slots = columns.SlotsIn(ordinal);
            if (slots.Count > 0)
            {
                Assert.Equal(Enumerable.Range(slots.Min(), slots.Count), slots.Order());
            }
        }

        var after = await reopened.SearchAsync(new SearchQuery { Category = "masonry", Sort = SearchSort.Price, Limit = 50 });
        Assert.Equal(20, after.Total);
        Assert.Equal(before.Hits.Select(h => h.Id), after.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Search_TextOverManySmallSegments_AllocatesNoScoringTablePerSegment()
    {
        await using var engine = LuceneSearchEngine.Open(_folder);
        const int segments = 8;
        for (var batch = 0; batch < segments; batch++)
        {
            // Each batch becomes visible on its own: one small segment each, as live changes leave them.
            await engine.IndexAsync(Enumerable.Range(batch * 10, 10)
                .Select(i => Docs.Lot(Id(i), i % 2 == 0 ? "Reclaimed red bricks" : "Used clay bricks", description: "Tiilet ja harkot")).ToArray());
        }

        var query = new SearchQuery { Text = "bricks" };
        Assert.Equal(80, engine.Search(query).Total);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var result = engine.Search(query);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        // Out of order, Lucene's BooleanScorer allocated a table of 2,048 buckets per segment and query: 1.24 MB for this
        // query (155 KB per segment); in order 0.32 MB, most of it the query, the page and its highlights.
        Assert.Equal(80, result.Total);
        Assert.True(allocated < segments * 80 * 1024, $"one text query over {segments} segments allocated {allocated:N0} bytes");
    }

    [Fact]
    public async Task Open_StoredDocuments_AreReadThroughABufferAndPostingsMemoryMapped()
    {
        await using var engine = LuceneSearchEngine.Open(_folder);
        await engine.IndexAsync(Enumerable.Range(0, 10).Select(i => Docs.Lot(Id(i), "Reclaimed red bricks " + i)).ToArray());
        await engine.CommitAsync();

        // A page's documents are decompressed a byte at a time: through the memory map each byte took a SafeHandle add-ref
        // and release (a fifth of all query CPU at 1M lots); through a buffer it is an array read.
        var files = engine.IndexDirectory.ListAll();
        var stored = files.Single(f => f.EndsWith(".fdt", StringComparison.Ordinal));
        var postings = files.First(f => f.EndsWith(".doc", StringComparison.Ordinal));
        using (var input = engine.IndexDirectory.OpenInput(stored, global::Lucene.Net.Store.IOContext.READ))
        {
            Assert.Equal(16 * 1024, Assert.IsAssignableFrom<global::Lucene.Net.Store.BufferedIndexInput>(input).BufferSize);
        }

        using (var input = engine.IndexDirectory.OpenInput(postings, global::Lucene.Net.Store.IOContext.READ))
        {
            Assert.IsAssignableFrom<global::Lucene.Net.Store.ByteBufferIndexInput>(input);
        }

        var result = engine.Search(new SearchQuery { Text = "bricks", Limit = 20 });
        Assert.Equal(10, result.Total);
        Assert.All(result.Hits, h => Assert.StartsWith("Reclaimed red bricks", h.Title, StringComparison.Ordinal));
    }

    private static string Id(int i) => "lot-" + i.ToString("D3", CultureInfo.InvariantCulture);
}
