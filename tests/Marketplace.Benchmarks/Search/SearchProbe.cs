using System.Diagnostics;
using System.Globalization;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;
using Marketplace.Domain.Geo;
using Marketplace.Search;
using Marketplace.Search.Lucene;

namespace Marketplace.Benchmarks.Search;

/// <summary>
/// Where one text query's time goes, on a kept index: <c>search-probe --index PATH [--repeat N] "text|lat|lon|radius" ...</c>
/// prints the rewritten query and times its building and rewriting, Lucene's matching alone (a collector that only counts:
/// no filters, facets or ranking), the words matched as bitsets of their terms' postings AND-ed (no scores), and the
/// whole search.
/// </summary>
public static class SearchProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--index");
        var folder = Path.GetFullPath(args[at + 1]);
        var repeat = Array.IndexOf(args, "--repeat") is var r and >= 0 ? int.Parse(args[r + 1], CultureInfo.InvariantCulture) : 50;
        var specs = args.Where((a, i) => a.Contains('|') && (i == 0 || (args[i - 1] != "--index" && args[i - 1] != "--repeat"))).ToArray();
        var engine = LuceneSearchEngine.Open(folder);
        foreach (var spec in specs)
        {
            var parts = spec.Split('|');
            var query = new SearchQuery
            {
                Text = parts[0],
                Near = parts.Length > 2 ? new GeoPoint(double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture)) : null,
                RadiusKm = parts.Length > 3 ? double.Parse(parts[3], CultureInfo.InvariantCulture) : null,
            };
            var searcher = engine.AcquireSearcher();
            try
            {
                var built = engine.StrictQuery(query.Text!, searcher.IndexReader)!;
                var rewritten = searcher.Rewrite(built);
                var line = $"'{spec}': {Leaves(rewritten)} term clauses; {rewritten}";
                Console.WriteLine(line[..Math.Min(3000, line.Length)]);
                for (var w = 0; w < 5; w++)
                {
                    engine.Search(query);
                }

                if (Array.IndexOf(args, "--search-only") >= 0)
                {
                    // The whole search alone, repeated (for a profiler), with the thread's CPU per search.
                    var cpu = SearchHarness.ThreadCpu.Now();
                    long matches = 0;
                    for (var i = 0; i < repeat; i++)
                    {
                        matches = engine.Search(query).Total;
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  whole search {(SearchHarness.ThreadCpu.Now() - cpu).TotalMilliseconds / repeat:0.00} ms thread CPU ({matches:N0} matches)"));
                    continue;
                }

                var counter = new Counter();
                var ownCounter = new Counter();
                var (build, match, whole) = (new Stopwatch(), new Stopwatch(), new Stopwatch());
                var (ownMatch, lucene) = (new Stopwatch(), new Stopwatch());
                long total = 0;
                for (var i = 0; i < repeat; i++)
                {
                    build.Start();
                    var q = engine.StrictQuery(query.Text!, searcher.IndexReader)!;
                    var rq = searcher.Rewrite(q);
                    build.Stop();
                    match.Start();
                    counter.Count = 0;
                    searcher.Search(q, counter);
                    match.Stop();
                    // Our own matcher, counting only (its weights built, no filters, facets or scores).
                    ownMatch.Start();
                    ownCounter.Count = 0;
                    ConjunctionMatcher.TryCreate(searcher, rq)?.Run(searcher.IndexReader, c => c.AtomicReader.LiveDocs, ownCounter);
                    ownMatch.Stop();
                    engine.OwnMatcher = false;
                    lucene.Start();
                    engine.Search(query);
                    lucene.Stop();
                    engine.OwnMatcher = true;
                    whole.Start();
                    total = engine.Search(query).Total;
                    whole.Stop();
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  own matcher (count only) {ownMatch.Elapsed.TotalMilliseconds / repeat:0.00} ms ({ownCounter.Count:N0} docs); whole search by Lucene's scorer {lucene.Elapsed.TotalMilliseconds / repeat:0.00} ms"));

                // Matching without Lucene's scorers: each word's terms' postings (no frequencies) OR-ed into a bitset, the words AND-ed.
                var words = ((BooleanQuery)rewritten).Clauses.Where(c => c.Occur == Occur.MUST).Select(c => Terms(c.Query)).ToList();
                var bitsets = new Stopwatch();
                long anded = 0;
                for (var i = 0; i < repeat; i++)
                {
                    bitsets.Start();
                    FixedBitSet? all = null;
                    foreach (var word in words)
                    {
                        var union = new FixedBitSet(searcher.IndexReader.MaxDoc);
                        foreach (var term in word)
                        {
                            if (MultiFields.GetTermDocsEnum(searcher.IndexReader, MultiFields.GetLiveDocs(searcher.IndexReader), term.Field, term.Bytes, DocsFlags.NONE) is { } docs)
                            {
                                union.Or(docs);
                            }
                        }

                        if (all is null)
                        {
                            all = union;
                        }
                        else
                        {
                            all.And(union);
                        }
                    }

                    anded = all?.Cardinality ?? 0;
                    bitsets.Stop();
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  words as bitsets of their postings, AND-ed: {bitsets.Elapsed.TotalMilliseconds / repeat:0.00} ms ({anded:N0} docs)"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  build+rewrite {build.Elapsed.TotalMilliseconds / repeat:0.00} ms, Lucene match (count only) {match.Elapsed.TotalMilliseconds / repeat:0.00} ms ({counter.Count:N0} docs), whole search {whole.Elapsed.TotalMilliseconds / repeat:0.00} ms ({total:N0} matches)"));
            }
            finally
            {
                engine.ReleaseSearcher(searcher);
            }
        }

        await engine.DisposeAsync();
        return 0;
    }

    private static List<Term> Terms(Query q) => q is BooleanQuery b ? b.Clauses.SelectMany(c => Terms(c.Query)).ToList() : q is TermQuery t ? [t.Term] : throw new NotSupportedException(q.GetType().Name);

    private static int Leaves(Query q) => q is BooleanQuery b ? b.Clauses.Sum(c => Leaves(c.Query)) : 1;

    private sealed class Counter : ICollector
    {
        public long Count;

        public bool AcceptsDocsOutOfOrder => false;

        public void SetScorer(Scorer scorer)
        {
        }

        public void SetNextReader(AtomicReaderContext context)
        {
        }

        public void Collect(int doc) => Count++;
    }
}
