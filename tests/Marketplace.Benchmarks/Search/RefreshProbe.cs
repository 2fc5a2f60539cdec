using System.Globalization;
using Marketplace.Domain.Materials;
using Marketplace.Search;
using Marketplace.Search.Lucene;

namespace Marketplace.Benchmarks.Search;

/// <summary>
/// What a live index allocates per refresh, per change and per search while small batches of changes stream in (the API
/// mix's shape): <c>search-refresh-probe [--lots 2000] [--batch 8] [--rounds 300] [--hits-mb 32]</c> indexes the lots,
/// merges them into one segment, then per round changes a batch of them (each batch refreshed at once, a new segment, as
/// the mix's batches are every 100 ms) and runs the same six queries. Counted bytes (every thread's: background merges count
/// with the batch), so the figures do not depend on the machine's load.
/// </summary>
public static class RefreshProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        var lots = SearchHarness.Option(args, "--lots", 2_000);
        var batchSize = SearchHarness.Option(args, "--batch", 8);
        var rounds = SearchHarness.Option(args, "--rounds", 300);
        var hitsMb = SearchHarness.Option(args, "--hits-mb", (int)(LuceneSearchEngine.HitCacheBytes >> 20));
        var folder = Path.Combine(Path.GetTempPath(), "marketplace-refresh-probe-" + Guid.NewGuid().ToString("N"));
        var taxonomy = MaterialTaxonomy.Default;
        var leaves = taxonomy.Categories.Where(c => !taxonomy.Categories.Any(o => o.ParentId == c.Id)).ToArray();
        var random = new Random(13);
        try
        {
            await using var engine = LuceneSearchEngine.Open(folder);
            engine.Hits = hitsMb <= 0 ? null : new HitDocumentCache((long)hitsMb << 20);
            var documents = Enumerable.Range(0, lots).Select(i => SearchHarness.Lot(random, i, leaves, taxonomy)).ToArray();
            await engine.IndexAsync(documents);
            engine.ForceMerge(1);
            var queries = Enumerable.Range(0, 6).Select(_ => SearchHarness.Query(random, leaves)).ToArray();
            for (var warm = 0; warm < 50; warm++)
            {
                foreach (var query in queries)
                {
                    engine.Search(query);
                }
            }

            long indexed = 0, firstSearch = 0, laterSearches = 0;
            var refreshesBefore = engine.Refreshes;
            for (var round = 0; round < rounds; round++)
            {
                var batch = new List<ListingDocument>();
                for (var k = 0; k < batchSize; k++)
                {
                    var i = random.Next(lots);
                    documents[i] = documents[i] with { Version = documents[i].Version + 1, PriceMinor = random.Next(10, 50_000), Title = documents[i].Title + " x" };
                    batch.Add(documents[i]);
                }

                var a = GC.GetTotalAllocatedBytes(precise: true);
                await engine.IndexAsync(batch);
                var b = GC.GetTotalAllocatedBytes(precise: true);
                engine.Search(queries[0]);
                var c = GC.GetTotalAllocatedBytes(precise: true);
                foreach (var query in queries.Skip(1))
                {
                    engine.Search(query);
                }

                var d = GC.GetTotalAllocatedBytes(precise: true);
                indexed += b - a;
                firstSearch += c - b;
                laterSearches += d - c;
            }

            static string KiB(double bytes) => (bytes / 1024).ToString("N1", CultureInfo.InvariantCulture);
            Console.WriteLine($"Refresh probe: {lots:N0} lots, {rounds} rounds of {batchSize} changes, hit cache {(hitsMb <= 0 ? "off" : hitsMb + " MiB")}");
            Console.WriteLine($"  batch indexed and refreshed: {KiB((double)indexed / rounds)} KiB ({KiB((double)indexed / rounds / batchSize)} KiB per change); refreshes {engine.Refreshes - refreshesBefore}; segments at the end {engine.Segments()}");
            Console.WriteLine($"  first search after the refresh: {KiB((double)firstSearch / rounds)} KiB; the next five: {KiB((double)laterSearches / rounds / 5)} KiB each");
            if (engine.Hits is { } hits)
            {
                Console.WriteLine($"  hit cache: {hits.Count:N0} documents, {KiB(hits.Bytes)} KiB, {hits.Cores} segment cores");
            }

            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
