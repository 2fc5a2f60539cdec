using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// The parsed hit documents kept per segment core (<see cref="HitDocumentCache"/>): a search answers what it answers with
/// every hit read and parsed again, after any changes, removals, quantity-only changes and merges, and the cache stays
/// within its bound and lets go of merged segments.
/// </summary>
public sealed class LuceneHitCacheTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-hits-" + Guid.NewGuid().ToString("N"));
    private LuceneSearchEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = LuceneSearchEngine.Open(_folder);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Search_AfterRandomChanges_AnswersAsWithEveryHitParsedAgain(int seed)
    {
        var random = new Random(seed);
        var cache = new HitDocumentCache(64 * 1024);
        _engine.Hits = cache;
        var lots = new Dictionary<string, ListingDocument>(StringComparer.Ordinal);
        string[] titles = ["Reclaimed granite", "Roof tiles", "Reclaimed clay bricks", "Granite kerb stones"];
        for (var step = 0; step < 60; step++)
        {
            var operation = random.Next(12);
            if (operation < 6)
            {
                // Adds and whole changes: a changed lot is deleted in its old segment and written to a new one, often at the
                // same document number there as another lot's in an older segment.
                var batch = new List<ListingDocument>();
                for (var i = random.Next(1, 5); i > 0; i--)
                {
                    var id = "lot-" + random.Next(40).ToString("D2", CultureInfo.InvariantCulture);
                    var version = (lots.TryGetValue(id, out var old) ? old.Version : 0) + 1;
                    var lot = Docs.Lot(id, titles[random.Next(titles.Length)] + " " + version.ToString(CultureInfo.InvariantCulture), version: version,
                        available: random.Next(1, 500), price: random.Next(10, 900), description: "batch " + step.ToString(CultureInfo.InvariantCulture));
                    lots[id] = lot;
                    batch.Add(lot);
                }

                await _engine.IndexAsync(batch);
            }
            else if (operation < 8 && lots.Count > 0)
            {
                // Quantity-only changes (a hold, its release): no document written, the hit shows the new quantity and status.
                var batch = lots.Values.Where(_ => random.Next(3) == 0)
                    .Select(l => l with { Version = l.Version + 1, Available = random.Next(0, 50), Status = random.Next(4) == 0 ? "sold-out" : "active", DetailsSince = l.Version })
                    .ToList();
                foreach (var lot in batch)
                {
                    lots[lot.Id] = lot with { DetailsSince = 0 };
                }

                await _engine.IndexAsync(batch);
            }
            else if (operation < 10)
            {
                var ids = lots.Keys.Order(StringComparer.Ordinal).Where(_ => random.Next(4) == 0).ToArray();
                foreach (var id in ids)
                {
                    lots.Remove(id);
                }

                await _engine.DeleteAsync(ids);
            }
            else
            {
                _engine.ForceMerge(random.Next(1, 4));
            }

            foreach (var query in Queries())
            {
                var cached = await _engine.SearchAsync(query);
                _engine.Hits = null;
                var parsed = await _engine.SearchAsync(query);
                _engine.Hits = cache;
                Assert.Equal(JsonSerializer.Serialize(parsed), JsonSerializer.Serialize(cached));

                // And what was last written, by the model.
                Assert.All(cached.Hits, h => Assert.Equal((lots[h.Id].Title, lots[h.Id].Available, lots[h.Id].PriceMinor), (h.Title, h.Available, h.PriceMinor)));
            }
        }

        Assert.True(cache.Count > 0, "the cache was never used");
        Assert.InRange(cache.Bytes, 1, cache.MaxBytes);
    }

    [Fact]
    public async Task Cache_StaysWithinItsBound_AndLetsGoOfMergedSegments()
    {
        var one = HitDocumentCache.EntryOverheadBytes + (2 * JsonSerializer.Serialize(Docs.Lot("lot-00", "Reclaimed granite 00"), new JsonSerializerOptions(JsonSerializerDefaults.Web)).Length);
        var cache = new HitDocumentCache(3 * one);
        _engine.Hits = cache;
        for (var batch = 0; batch < 4; batch++)
        {
            await _engine.IndexAsync([.. Enumerable.Range(0, 10).Select(i => Docs.Lot($"lot-{batch}{i}", $"Reclaimed granite {batch}{i}"))]);
        }

        var query = new SearchQuery { Text = "granite", Limit = 4 };
        var pages = 0;
        do
        {
            var page = await _engine.SearchAsync(query);
            Assert.InRange(cache.Bytes, 1, cache.MaxBytes);
            Assert.InRange(cache.Count, 1, 3);
            query = query with { Cursor = page.NextCursor };
            pages++;
        }
        while (query.Cursor is not null);

        Assert.Equal(10, pages);
        Assert.True(cache.Cores >= 1);

        // Merged into one segment: the old segments' entries go with their cores (once no search holds their reader).
        _engine.ForceMerge(1);
        var deadline = Stopwatch.StartNew();
        while (cache.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        Assert.Equal((0, 0, 0L), (cache.Count, cache.Cores, cache.Bytes));
        await _engine.SearchAsync(new SearchQuery { Text = "granite", Limit = 2 });
        Assert.Equal((2, 1), (cache.Count, cache.Cores));
    }

    private static IEnumerable<SearchQuery> Queries()
    {
        yield return new SearchQuery { Text = "granite", Limit = 7 };
        yield return new SearchQuery { Text = "reclaimed", Sort = SearchSort.Price, Limit = 5 };
        yield return new SearchQuery { Limit = 50 };
        yield return new SearchQuery { Sort = SearchSort.Newest, Limit = 3 };
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
