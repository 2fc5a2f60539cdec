using System.Globalization;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Marketplace.Domain.Geo;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// Our own matcher of multi-word text queries gives exactly Lucene's answers: every match of the words with its score
/// to the bit (against Lucene's scorer tree over the same rewritten query, hand-built boosts included), and the engine's
/// pages, totals and facets with and without it, over a random index of several segments with deleted and replaced lots.
/// </summary>
public sealed class LuceneConjunctionMatcherTests : IAsyncLifetime
{
    private static readonly string[] Vocabulary =
    [
        "reclaimed", "reclaim", "red", "bricks", "brick", "clean", "cleaned", "roof", "tiles", "tile", "boards", "board", "oak",
        "doors", "door", "office", "window", "windows", "steel", "beams", "tiili", "tiilet", "lattialautoja", "ovet", "surplus",
    ];

    private static readonly string[] Texts =
    [
        "reclaimed bricks", "clean boards", "red brick tiles", "oak doors office", "steel beams", "bricks 50 pcs", "tiilet clean",
        "windows door", "roof tile reclaimed", "surplus boards oak", "bricks", "brickz clean",
    ];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-own-" + Guid.NewGuid().ToString("N"));
    private LuceneSearchEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _engine = LuceneSearchEngine.Open(_folder);
        var random = new Random(7);
        string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
        var lots = new List<ListingDocument>();
        for (var i = 0; i < 1500; i++)
        {
            // Titles and descriptions of different lengths (different norms); places around Helsinki and Tampere.
            var (lat, lon) = i % 4 == 0 ? (61.4978, 23.7610) : (Docs.Helsinki.Lat, Docs.Helsinki.Lon);
            lots.Add(Docs.Lot("lot-" + i.ToString("D5", CultureInfo.InvariantCulture), Words(1 + random.Next(4)), description: Words(random.Next(12)),
                category: i % 3 == 0 ? "masonry/bricks" : "masonry/blocks", condition: ((char)('A' + (i % 3))).ToString(),
                lat: lat + ((random.NextDouble() - 0.5) * 1.2), lon: lon + ((random.NextDouble() - 0.5) * 2.4), status: i % 13 == 0 ? "sold-out" : "active"));
        }

        // Several batches: several segments; then deletions and replacements (deleted documents in older segments).
        foreach (var batch in lots.Chunk(400))
        {
            await _engine.IndexAsync(batch);
        }

        await _engine.DeleteAsync(lots.Where((_, i) => i % 17 == 5).Select(l => l.Id).ToArray());
        await _engine.IndexAsync(lots.Where((_, i) => i % 19 == 3).Select(l => l with { Version = 2, Title = l.Title + " reclaimed bricks" }).ToArray());
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Run_EveryMatchOfTheWords_HasLucenesScoreToTheBit()
    {
        var searcher = _engine.AcquireSearcher();
        try
        {
            Assert.True(searcher.IndexReader.Leaves.Count >= 3, "several segments");
            Assert.True(searcher.IndexReader.HasDeletions, "deleted documents");
            Assert.True(ConjunctionMatcher.ReusesRewriteStates, "the prefix terms' contexts are found");
            var queries = Texts.Select(t => _engine.StrictQuery(t, searcher.IndexReader)!).Select(searcher.Rewrite).ToList();

            // Hand-built shapes: boosts on the conjunction, on a word's disjunction and on a nested disjunction, a word that
            // is a single term; and that boosted disjunction alone as a one-word query.
            var nested = new BooleanQuery { Boost = 0.7f };
            nested.Add(new TermQuery(new Term(TextAnalysis.Plain, "brick")) { Boost = 1.3f }, Occur.SHOULD);
            nested.Add(new TermQuery(new Term(TextAnalysis.Title, "bricks")), Occur.SHOULD);
            var word = new BooleanQuery { Boost = 2.2f };
            word.Add(nested, Occur.SHOULD);
            word.Add(new TermQuery(new Term(TextAnalysis.Parts, "tiili")) { Boost = 0.5f }, Occur.SHOULD);
            word.Add(new TermQuery(new Term(TextAnalysis.Plain, "red")) { Boost = 3f }, Occur.SHOULD);
            var top = new BooleanQuery { Boost = 1.7f };
            top.Add(word, Occur.MUST);
            top.Add(new TermQuery(new Term(TextAnalysis.Plain, "clean")) { Boost = 0.9f }, Occur.MUST);
            queries.Add(top);
            queries.Add(word);

            var own = 0;
            var cache = new PostingsCache(1L << 30, minDocFreq: 1);
            foreach (var query in queries)
            {
                // Lucene in document order (its conjunction and disjunction scorers) and out of order (a disjunction's
                // BooleanScorer, which the engine uses over large segments).
                var lucene = new Scores(outOfOrder: false);
                searcher.Search(query, lucene);
                var buckets = new Scores(outOfOrder: true);
                searcher.Search(query, buckets);
                if (ConjunctionMatcher.TryCreate(searcher, query) is not { } matcher)
                {
                    continue;
                }

                own++;
                var ours = new Scores(outOfOrder: false, matcher);
                matcher.Run(searcher.IndexReader, context => context.AtomicReader.LiveDocs, ours);
                Assert.True(lucene.Found.Count > 0, query.ToString());
                Assert.Equal(lucene.Bits(), ours.Bits());
                Assert.Equal(buckets.Bits(), ours.Bits());

                // Every term read from its decoded postings (deleted documents among them), then again from the cache.
                var decoded = ConjunctionMatcher.TryCreate(searcher, query, cache)!;
                for (var round = 0; round < 2; round++)
                {
                    var fromCache = new Scores(outOfOrder: false, decoded);
                    decoded.Run(searcher.IndexReader, context => context.AtomicReader.LiveDocs, fromCache);
                    Assert.Equal(lucene.Bits(), fromCache.Bits());
                }
            }

            // Every text but those with optional words (a number, a unit) or a typo (fuzzy clauses), which fall back to Lucene;
            // and the two hand-built queries.
            Assert.Equal(Texts.Length - 2 + 2, own);
            Assert.True(cache.Terms > 10, "terms decoded");
        }
        finally
        {
            _engine.ReleaseSearcher(searcher);
        }
    }

    [Fact]
    public void Search_WithAndWithoutTheMatcher_GivesTheSamePagesTotalsAndFacets()
    {
        GeoPoint[] centres = [new(Docs.Helsinki.Lat, Docs.Helsinki.Lon), new(61.4978, 23.7610)];
        var used = _engine.OwnMatches;
        var cache = new PostingsCache(1L << 30, minDocFreq: 1);
        for (var t = 0; t < Texts.Length; t++)
        {
            var text = Texts[t];
            // Anywhere, and within 25 km of one of the centres, matched everywhere or among the circle's cells (in turn).
            foreach (var centre in new GeoPoint?[] { null, centres[t % 2] })
            {
                foreach (var cells in new[] { (t / 2) % 2 })
                {
                    var query = new SearchQuery { Text = text, Near = centre, RadiusKm = centre is null ? null : 25, MinCondition = text.Length % 2 == 0 ? "B" : null, Limit = 7 };
                    _engine.CellFilterMaxShare = cells;
                    _engine.OwnMatcher = false;
                    var lucene = Pages(query);
                    _engine.OwnMatcher = true;
                    var what = $"'{text}' near {centre} with cells {cells}";
                    Assert.True(lucene.Total > 0, what);

                    // Our matcher reading Lucene's postings, then every term's decoded postings (cached per segment core).
                    foreach (var postings in new[] { null, cache })
                    {
                        _engine.Postings = postings;
                        var ours = Pages(query);
                        Assert.Equal(lucene.Total, ours.Total);
                        Assert.Equal(lucene.Hits.Select(h => (h.Id, BitConverter.SingleToInt32Bits((float)h.Score), h.DistanceKm)),
                            ours.Hits.Select(h => (h.Id, BitConverter.SingleToInt32Bits((float)h.Score), h.DistanceKm)));
                        Assert.Equal(Facets(lucene.Facets), Facets(ours.Facets));
                    }
                }
            }
        }

        Assert.True(_engine.OwnMatches > used, "the matcher was used");
        Assert.True(cache.Terms > 10, "terms decoded");
    }

    [Fact]
    public async Task PostingsCache_KeepsASegmentCoresTermsAcrossRefreshes_AndDropsThemWhenTheCoreGoes()
    {
        var cache = new PostingsCache(1L << 30, minDocFreq: 1);
        _engine.Postings = cache;
        var query = new SearchQuery { Text = "reclaimed bricks", Limit = 5 };
        var first = _engine.Search(query);
        var before = TermsPerCore(cache);
        Assert.True(before.Values.Sum() > 0, "decoded");

        // A change adds a segment and deletes in an old one: the old cores' terms stay (deletions are the reader's), the
        // new segment's are added, and the answers follow the change.
        await _engine.IndexAsync([Docs.Lot("lot-new", "reclaimed bricks reclaimed bricks", category: "masonry/bricks")]);
        var second = _engine.Search(query with { Limit = SearchQuery.MaxLimit });
        Assert.Contains(second.Hits, h => h.Id == "lot-new");
        Assert.Equal(first.Total + 1, second.Total);
        var after = TermsPerCore(cache);
        Assert.Contains(after, core => !before.ContainsKey(core.Key) && core.Value > 0);
        Assert.All(after.Where(core => before.ContainsKey(core.Key)), core => Assert.Equal(before[core.Key], core.Value));

        // Merged into one segment: the old cores are disposed of, and their terms with them.
        Assert.True(await _engine.MergeIfIdleAsync(force: true));
        var merged = _engine.Search(query);
        Assert.Equal(second.Total, merged.Total);
        Assert.Equal(1, cache.Cores);
        _engine.OwnMatcher = false;
        var lucene = _engine.Search(query);
        Assert.Equal(lucene.Hits.Select(h => (h.Id, h.Score)), merged.Hits.Select(h => (h.Id, h.Score)));

        // A bound smaller than a term's postings keeps nothing, and still answers.
        var small = new PostingsCache(16, minDocFreq: 1);
        _engine.Postings = small;
        _engine.OwnMatcher = true;
        Assert.Equal(lucene.Hits.Select(h => (h.Id, h.Score)), _engine.Search(query).Hits.Select(h => (h.Id, h.Score)));
        Assert.Equal(0, small.Bytes);
    }

    [Fact]
    public async Task Open_PostingsCacheBound_IsTheSettingsAndZeroTurnsItOff()
    {
        var folder = Path.Combine(Path.GetTempPath(), "postings-bound-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var byDefault = LuceneSearchEngine.Open(folder))
            {
                Assert.Equal(LuceneSearchEngine.PostingsCacheBytes, byDefault.Postings?.MaxBytes);
            }

            await using (var bounded = LuceneSearchEngine.Open(folder, postingsCacheBytes: 5L << 20))
            {
                Assert.Equal(5L << 20, bounded.Postings?.MaxBytes);
            }

            await using (var off = LuceneSearchEngine.Open(folder, postingsCacheBytes: 0))
            {
                Assert.Null(off.Postings);
                Assert.Equal(0, off.Search(new SearchQuery { Text = "bricks" }).Total);
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => LuceneSearchEngine.Open(folder, postingsCacheBytes: -1));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task MergeIfIdle_ASettledIndexOfSeveralSegments_IsMergedIntoOneWithTheSameMatches()
    {
        // The fixture's engine has no idle time set: it never merges by itself.
        Assert.False(await _engine.MergeIfIdleAsync());
        var before = _engine.Segments();
        Assert.True(before >= 3, "several segments");
        var query = new SearchQuery { Text = "reclaimed bricks", Limit = SearchQuery.MaxLimit };
        var expected = _engine.Search(query);

        Assert.True(await _engine.MergeIfIdleAsync(force: true));

        // One segment, the same totals and facets (scores and so the best page move a little: the merge drops deleted
        // documents from the terms' statistics), and the matcher still scores as Lucene does.
        Assert.Equal(1, _engine.Segments());
        var merged = _engine.Search(query);
        Assert.Equal(expected.Total, merged.Total);
        Assert.Equal(Facets(expected.Facets), Facets(merged.Facets));
        _engine.OwnMatcher = false;
        var lucene = _engine.Search(query);
        _engine.OwnMatcher = true;
        Assert.Equal(lucene.Hits.Select(h => (h.Id, h.Score)), merged.Hits.Select(h => (h.Id, h.Score)));
        Assert.False(await _engine.MergeIfIdleAsync(force: true), "nothing left to merge");
    }

    /// <summary>The cache's terms per segment core of the engine's current reader (the cores the last search read).</summary>
    private Dictionary<object, int> TermsPerCore(PostingsCache cache)
    {
        var searcher = _engine.AcquireSearcher();
        try
        {
            return searcher.IndexReader.Leaves.ToDictionary(l => l.AtomicReader.CoreCacheKey, l => cache.TermsIn(l.AtomicReader.CoreCacheKey), ReferenceEqualityComparer.Instance);
        }
        finally
        {
            _engine.ReleaseSearcher(searcher);
        }
    }

    /// <summary>The first three pages of a query (cursor after cursor): the hits in order, the first page's total and facets.</summary>
    private (List<SearchHit> Hits, long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets) Pages(SearchQuery query)
        => EnginePages.Read(_engine, query, maxPages: 3);

    private static string Facets(IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> facets) => EnginePages.Facets(facets);

    /// <summary>Every match's score, by global document number (Lucene's scorer, or the matcher's).</summary>
    private sealed class Scores(bool outOfOrder, IMatchScore? own = null) : ICollector
    {
        private Scorer? _scorer;
        private int _docBase;

        public Dictionary<int, float> Found { get; } = [];

        public bool AcceptsDocsOutOfOrder => outOfOrder;

        /// <summary>The matches in document order with their scores' bits.</summary>
        public IEnumerable<(int Doc, int Bits)> Bits() => Found.OrderBy(f => f.Key).Select(f => (f.Key, BitConverter.SingleToInt32Bits(f.Value)));

        public void SetScorer(Scorer scorer) => _scorer = scorer;

        public void SetNextReader(AtomicReaderContext context) => _docBase = context.DocBase;

        public void Collect(int doc) => Found.Add(_docBase + doc, own?.GetScore() ?? _scorer!.GetScore());
    }
}
