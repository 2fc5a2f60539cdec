using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;
using Marketplace.Search;
using Marketplace.Search.Lucene;

namespace Marketplace.Benchmarks.Search;

/// <summary>
/// Load harness for the embedded search engine: generates N synthetic lots (default 1,000,000) across the taxonomy and
/// Finland (mostly the Helsinki region), indexes them, then runs a fixed mix of queries single-threaded (text, filters,
/// distance, facets on every query, every sort) and prints indexing rate, index size, query latency percentiles and the
/// change-to-visible latency.
/// </summary>
public static class SearchHarness
{
    private static readonly string[] EnglishWords =
        ["reclaimed", "used", "surplus", "old", "clean", "cleaned", "salvaged", "unused", "demolition", "facade", "school", "warehouse", "office", "pallets", "tested", "dry", "sorted", "crane", "pickup", "renovation"];

    private static readonly string[] FinnishWords =
        ["purettu", "käytetty", "ylijäämä", "vanha", "puhdistettu", "lavoilla", "koulusta", "varastosta", "toimistosta", "testattu", "kuiva", "lajiteltu", "nouto", "remontti", "purkukohde"];

    private static readonly (string Name, double Lat, double Lon, int Weight)[] Places =
    [
        ("Helsinki", 60.1699, 24.9384, 30), ("Espoo", 60.2055, 24.6559, 15), ("Vantaa", 60.2934, 25.0378, 15), ("Kauniainen", 60.2104, 24.7289, 2),
        ("Kerava", 60.4034, 25.1050, 4), ("Järvenpää", 60.4737, 25.0899, 4), ("Tuusula", 60.4030, 25.0290, 3), ("Kirkkonummi", 60.1238, 24.4385, 3),
        ("Porvoo", 60.3923, 25.6651, 4), ("Tampere", 61.4978, 23.7610, 8), ("Turku", 60.4518, 22.2666, 7), ("Lahti", 60.9827, 25.6612, 5),
    ];

    /// <summary>Runs the harness; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var listings = Option(args, "--listings", 1_000_000);
        var queries = Option(args, "--queries", 1_000);
        // --index PATH keeps the index there: a later run with the same PATH skips indexing (and the change-to-visible
        // step, which edits lots), so query changes can be measured without re-indexing a million lots each time.
        var kept = Array.IndexOf(args, "--index") is var k and >= 0 && k + 1 < args.Length ? Path.GetFullPath(args[k + 1]) : null;
        var folder = kept ?? Path.Combine(Path.GetTempPath(), "marketplace-search-harness-" + Guid.NewGuid().ToString("N"));
        var reuse = kept is not null && Directory.Exists(folder) && Directory.EnumerateFiles(folder, "segments*").Any();
        Console.WriteLine($"Search harness: {listings:N0} lots, {queries:N0} queries, index in {folder}{(reuse ? " (reused)" : "")}");
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        try
        {
            var taxonomy = MaterialTaxonomy.Default;
            var leaves = taxonomy.Categories.Where(c => !taxonomy.Categories.Any(o => o.ParentId == c.Id)).ToArray();
            var opening = Stopwatch.StartNew();
            // --bulk-merge-min N: a load of at least N lots ends merged into one segment, as the host's reindex does
            // (Search:BulkMergeMinLots, default 10,000; 0 leaves the index as the writer flushed it).
            var bulkMergeMin = Option(args, "--bulk-merge-min", 10_000);
            var engine = LuceneSearchEngine.Open(folder, bulkMergeMinDocs: bulkMergeMin);
            Tune(engine, args);

            // --cell-share PERCENT: the largest share of the lots in a circle's cells at which text near a place is matched
            // among them only (0 turns the cells off, so one build compares both paths).
            engine.CellFilterMaxShare = Option(args, "--cell-share", (int)(engine.CellFilterMaxShare * 100)) / 100.0;
            // --own 0: text queries matched and scored by Lucene's scorer tree only (the path before search7).
            engine.OwnMatcher = Option(args, "--own", engine.OwnMatcher ? 1 : 0) != 0;
            // --postings-mb N (0: none) and --postings-min-df N: the bound and the least document frequency of the decoded postings cache.
            var postingsMb = Option(args, "--postings-mb", (int)(LuceneSearchEngine.PostingsCacheBytes >> 20));
            engine.Postings = postingsMb <= 0 ? null
                : new PostingsCache((long)postingsMb << 20, Option(args, "--postings-min-df", LuceneSearchEngine.PostingsCacheMinDocFreq));
            // --hits-mb N (0: none): the bound of the parsed hit documents kept per segment core.
            var hitsMb = Option(args, "--hits-mb", (int)(LuceneSearchEngine.HitCacheBytes >> 20));
            engine.Hits = hitsMb <= 0 ? null : new HitDocumentCache((long)hitsMb << 20);
            // --force-merge N: the kept index merged down to N segments first (it stays merged).
            if (reuse && Option(args, "--force-merge", 0) is var segments and > 0)
            {
                var merging = Stopwatch.StartNew();
                engine.ForceMerge(segments);
                Console.WriteLine($"Merged the kept index to at most {segments} segments in {merging.Elapsed.TotalSeconds:N1} s");
            }

            // --churn PERCENT: that share of the kept index's lots changed first (price and quantity, a new version) in
            // batches of --churn-batch N (default 20), each searchable before the next, as the host's feed indexes a
            // stream of changes; the index stays changed.
            if (reuse && Option(args, "--churn", 0) is var churn and > 0)
            {
                await ChurnAsync(engine, listings, churn, Option(args, "--churn-batch", 20), leaves, taxonomy);
            }

            if (reuse && Array.IndexOf(args, "--compare") >= 0)
            {
                return Compare(engine, queries, leaves, ours => engine.OwnMatcher = ours, "Lucene's scorer → own matcher");
            }

            // --compare-postings: our own matcher both ways, without and with the decoded postings cache.
            if (reuse && Array.IndexOf(args, "--compare-postings") >= 0)
            {
                var cache = engine.Postings;
                var result = Compare(engine, queries, leaves, ours => engine.Postings = ours ? cache : null, "own matcher without → with decoded postings");
                Console.WriteLine($"Decoded postings cache: {cache?.Terms ?? 0:N0} terms, {(cache?.Bytes ?? 0) / 1024.0 / 1024.0:N1} MiB");
                return result;
            }

            if (reuse)
            {
                Console.WriteLine($"Opened the kept index ({engine.Count:N0} docs) in {opening.Elapsed.TotalSeconds:N1} s");
                await MeasureQueriesAsync(engine, args, queries, leaves);
                // --visible N: the change-to-visible step on the kept index too (it changes N lots).
                if (Option(args, "--visible", 0) is var visibleChanges and > 0)
                {
                    await MeasureVisibleAsync(engine, visibleChanges, leaves, taxonomy);
                }

                await engine.DisposeAsync();
                return 0;
            }

            // Indexing: only the engine's work is timed (each batch is generated first, untimed), commit included.
            var watch = new Stopwatch();
            var random = new Random(20261128);
            const int batchSize = 2000;
            var batch = new List<ListingDocument>(batchSize);
            for (var i = 0; i < listings; i++)
            {
                batch.Add(Lot(random, i, leaves, taxonomy));
                if (batch.Count == batchSize || i == listings - 1)
                {
                    watch.Start();
                    await engine.IndexAsync(batch);
                    watch.Stop();
                    batch.Clear();
                    if ((i + 1) % 100_000 == 0)
                    {
                        Console.WriteLine($"  indexed {i + 1:N0} ({(i + 1) / watch.Elapsed.TotalSeconds:N0} docs/s)");
                    }
                }
            }

            watch.Start();
            await engine.CommitAsync();
            watch.Stop();
            var indexSeconds = watch.Elapsed.TotalSeconds;
            var settle = Stopwatch.StartNew();
            var flushed = engine.Segments();
            var merged = await engine.SettleAsync();
            engine.WaitForMerges();
            Console.WriteLine(merged
                ? $"Merged after the bulk load, as the host does: {flushed} segments into {engine.Segments()} in {settle.Elapsed.TotalSeconds:N1} s (not counted above)"
                : $"Background merges after the commit finished {settle.Elapsed.TotalSeconds:N1} s later (not counted above); {engine.Segments()} segments");
            var size = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            Console.WriteLine($"Indexing: {listings:N0} docs in {indexSeconds:N1} s = {listings / indexSeconds:N0} docs/s; index {size / 1024.0 / 1024.0:N0} MiB; managed heap {GC.GetTotalMemory(true) / 1024 / 1024:N0} MiB");

            // Queries run on the index reopened, as a host serves it after a start (the columns are laid out by category
            // when an index opens; lots indexed into a running engine take the next free slots).
            watch.Restart();
            await engine.DisposeAsync();
            watch.Restart();
            engine = LuceneSearchEngine.Open(folder, bulkMergeMinDocs: bulkMergeMin);
            Tune(engine, args);
            Console.WriteLine($"Reopen (load columns from the index on disk): {watch.Elapsed.TotalSeconds:N1} s for {engine.Count:N0} docs");
            await MeasureQueriesAsync(engine, args, queries, leaves);

            await MeasureVisibleAsync(engine, 200, leaves, taxonomy);
            await engine.DisposeAsync();
            return 0;
        }
        finally
        {
            if (kept is null)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Change to visible: update one lot, then search for its new word; <paramref name="changes"/> times.</summary>
    private static async Task MeasureVisibleAsync(LuceneSearchEngine engine, int changes, MaterialCategory[] leaves, MaterialTaxonomy taxonomy)
    {
            var versions = await engine.VersionsAsync();
            var visible = new LongHistogram(TimeStamp.Minutes(1), 3);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < changes; i++)
            {
                var word = "zx" + i.ToString("D5", CultureInfo.InvariantCulture) + "q" + versions.Count.ToString(CultureInfo.InvariantCulture);
                var id = "lot-" + i.ToString("D7", CultureInfo.InvariantCulture);
                var changed = Lot(new Random(i), i, leaves, taxonomy) with { Title = "Changed lot " + word, Version = versions.GetValueOrDefault(id) + 1 + i, Status = "active" };
                var started = Stopwatch.GetTimestamp();
                await engine.IndexAsync([changed]);
                while (engine.Search(new SearchQuery { Text = word, Limit = 1 }).Hits.Count == 0)
                {
                    if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
                    {
                        throw new InvalidOperationException($"change {word} not visible after 10 s");
                    }
                }

                visible.RecordValue(Stopwatch.GetTimestamp() - started);
            }

            Print("Change to visible (index one change, then find it)", visible);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  process CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / changes:0.00} ms per change; {engine.Segments()} segments; load average {LoadAverage()}"));
    }

    /// <summary>--segments-per-tier X and --floor-mb Y: the writer's merge policy (Lucene's defaults 10 and 2 MB).</summary>
    private static void Tune(LuceneSearchEngine engine, string[] args)
    {
        if (Option(args, "--segments-per-tier", 0) is var perTier and > 0)
        {
            engine.MergePolicy.SegmentsPerTier = perTier;
            engine.MergePolicy.MaxMergeAtOnce = Math.Max(perTier, 2);
        }

        if (Option(args, "--floor-mb", 0) is var floor and > 0)
        {
            engine.MergePolicy.FloorSegmentMB = floor;
        }

        // --max-small N: the small segments kept unmerged beside the index (the engine's default 4; -1 turns the cap off,
        // leaving Lucene's tiered policy alone).
        if (Array.IndexOf(args, "--max-small") is var m and >= 0 && m + 1 < args.Length && int.TryParse(args[m + 1], CultureInfo.InvariantCulture, out var most))
        {
            engine.MergePolicy.MaxSmallSegments = most < 0 ? int.MaxValue : most;
        }
    }

    /// <summary>
    /// Changes <paramref name="percent"/> % of the lots (chosen at random; the price and quantity, version one up) in
    /// batches of <paramref name="batchSize"/>, each refreshed before the next; prints the process CPU per change (the
    /// writer's background merges included), the segments after, and the merges' wait.
    /// </summary>
    private static async Task ChurnAsync(LuceneSearchEngine engine, int listings, int percent, int batchSize, MaterialCategory[] leaves, MaterialTaxonomy taxonomy)
    {
        var versions = await engine.VersionsAsync();
        var pick = new Random(20261130 + (int)(versions.Values.Max() % 1000));
        var chosen = new HashSet<int>();
        var count = (int)((long)listings * percent / 100);
        while (chosen.Count < count)
        {
            chosen.Add(pick.Next(listings));
        }

        // The lots as the load generated them (the same sequence of random numbers), changed.
        var random = new Random(20261128);
        var changes = new List<ListingDocument>(count);
        for (var i = 0; i < listings; i++)
        {
            var lot = Lot(random, i, leaves, taxonomy);
            if (chosen.Contains(i))
            {
                changes.Add(lot with { Version = versions.GetValueOrDefault(lot.Id) + 1, PriceMinor = pick.Next(10, 50_000), Available = pick.Next(1, 2000) });
            }
        }

        changes = [.. changes.OrderBy(_ => pick.Next())];
        var segments = engine.Segments();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < changes.Count; i += batchSize)
        {
            await engine.IndexAsync(changes.GetRange(i, Math.Min(batchSize, changes.Count - i)));
        }

        var writing = wall.Elapsed;
        var writingCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var during = engine.Segments();
        engine.WaitForMerges();
        var allCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Churn: {changes.Count:N0} lots changed ({percent} %) in batches of {batchSize} in {writing.TotalSeconds:N1} s; process CPU {writingCpu.TotalMilliseconds / changes.Count:0.00} ms per change, {allCpu.TotalMilliseconds / changes.Count:0.00} with the merges' tail; segments {segments} before, {during} at the end of the writes, {engine.Segments()} after the merges (policy: {engine.MergePolicy.SegmentsPerTier} per tier, floor {engine.MergePolicy.FloorSegmentMB} MB, at most {engine.MergePolicy.MaxSmallSegments} small); load average {LoadAverage()}"));
    }

    /// <summary>Warm-up, the single-threaded run per query kind, then the concurrent steps when asked.</summary>
    private static async Task MeasureQueriesAsync(LuceneSearchEngine engine, string[] args, int queries, MaterialCategory[] leaves)
    {
            // Queries: warm up on 2,000 queries of a different mix (a running host has its index in the page cache and its
            // code jitted), then measure.
            var mix = new Random(7);
            foreach (var q in Enumerable.Range(0, 2000).Select(_ => Query(mix, leaves)))
            {
                engine.Search(q);
            }

            var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
            var byKind = new Dictionary<string, LongHistogram>();
            var cpuByKind = new Dictionary<string, List<double>>();
            var totalHits = 0L;
            var costly = new List<(double Cpu, string Kind, SearchQuery Query, long Total)>();
            mix = new Random(1);
            for (var i = 0; i < queries; i++)
            {
                var q = Query(mix, leaves);
                var cpuStarted = ThreadCpu.Now();
                var started = Stopwatch.GetTimestamp();
                var result = engine.Search(q);
                var elapsed = Stopwatch.GetTimestamp() - started;
                var cpu = ThreadCpu.Now() - cpuStarted;
                histogram.RecordValue(elapsed);
                var kind = Kind(q);
                if (!byKind.TryGetValue(kind, out var h))
                {
                    byKind[kind] = h = new LongHistogram(TimeStamp.Minutes(1), 3);
                    cpuByKind[kind] = [];
                }

                h.RecordValue(elapsed);
                cpuByKind[kind].Add(cpu.TotalMilliseconds);
                costly.Add((cpu.TotalMilliseconds, kind, q, result.Total));
                totalHits += result.Total;
            }

            // Wall-clock latency counts the time other processes hold the cores; the thread's own CPU time per query
            // does not, so it compares builds on a loaded machine (it still counts cache misses others cause).
            Console.WriteLine($"Queries: {queries:N0} single-threaded, mean matches {totalHits / (double)queries:N0}; load average {LoadAverage()}");
            Print("  all", histogram);
            foreach (var (kind, h) in byKind.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                Print("  " + kind, h);
            }

            var allCpu = cpuByKind.Values.SelectMany(v => v).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Thread CPU time per query: all mean {allCpu.Average():0.00} ms, p50 {Percentile(allCpu, 50):0.00}, p95 {Percentile(allCpu, 95):0.00}"));
            foreach (var (kind, cpus) in cpuByKind.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {kind}: mean {cpus.Average():0.00} ms, p50 {Percentile(cpus, 50):0.00}, p95 {Percentile(cpus, 95):0.00}"));
            }

            // The costliest queries say where the tail comes from (--slowest N prints them).
            foreach (var (cpu, kind, q, total) in costly.OrderByDescending(c => c.Cpu).Take(Option(args, "--slowest", 0)))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  slow: {cpu:0.00} ms CPU, {kind}, text '{q.Text}', category {q.Category}, radius {q.RadiusKm}, near {q.Near?.Latitude:0.00}, {total:N0} matches"));
            }

            if (engine.Postings is { } postings)
            {
                Console.WriteLine($"Decoded postings cache: {postings.Terms:N0} terms, {postings.Bytes / 1024.0 / 1024.0:N1} MiB");
            }

            // Concurrent mode: N client threads share the engine, each running its share of the same number of queries.
            if (Array.IndexOf(args, "--threads") is var at and >= 0 && at + 1 < args.Length)
            {
                Console.WriteLine($"Concurrent: {queries:N0} queries per step over N client threads ({Environment.ProcessorCount} cores)");
                Console.WriteLine("| threads | queries/s | p50 / p95 / p99 ms |");
                Console.WriteLine("| --- | --- | --- |");
                foreach (var threads in args[at + 1].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)))
                {
                    var all = new LongHistogram(TimeStamp.Minutes(1), 3);
                    var wall = Stopwatch.StartNew();
                    var workers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
                    {
                        var own = new LongHistogram(TimeStamp.Minutes(1), 3);
                        var random = new Random(100 + t);
                        for (var i = t; i < queries; i += threads)
                        {
                            var q = Query(random, leaves);
                            var started = Stopwatch.GetTimestamp();
                            engine.Search(q);
                            own.RecordValue(Stopwatch.GetTimestamp() - started);
                        }

                        return own;
                    }, TaskCreationOptions.LongRunning)).ToArray();
                    foreach (var worker in workers)
                    {
                        all.Add(await worker);
                    }

                    wall.Stop();
                    static double Ms(LongHistogram h, double p) => h.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {threads} | {all.TotalCount / wall.Elapsed.TotalSeconds:N0} | {Ms(all, 50):0.0} / {Ms(all, 95):0.0} / {Ms(all, 99):0.0} |"));
                }
            }
    }

    /// <summary>
    /// --compare: every measured query both ways one after the other (the order alternating, so both see the same load),
    /// by our own conjunction matcher and by Lucene's scorer tree alone; the answers (hits in order with scores to the
    /// bit, distances and highlights, totals, facets, next cursor) must be the same. Prints thread CPU per query per kind
    /// both ways; returns 1 on any difference.
    /// </summary>
    private static int Compare(LuceneSearchEngine engine, int queries, MaterialCategory[] leaves, Action<bool> use, string ways)
    {
        static string Answer(SearchResult r)
            => string.Join('\n', r.Hits.Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Id} {BitConverter.SingleToInt32Bits((float)h.Score)} {h.DistanceKm:R} {string.Join('|', h.Highlights)}")))
                + $"\ntotal {r.Total}\nnext {r.NextCursor}\n"
                + string.Join('\n', r.Facets.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + ": " + string.Join(", ", f.Value.Select(v => $"{v.Value}={v.Count}"))));
        var mix = new Random(1);
        var differ = 0;
        var ownUsed = engine.OwnMatches;
        var cpu = new Dictionary<string, (List<double> Lucene, List<double> Own)>(StringComparer.Ordinal);
        Console.WriteLine($"Load average at start {LoadAverage()}");
        for (var i = 0; i < queries; i++)
        {
            var q = Query(mix, leaves);
            string lucene = "", own = "";
            var (cpuLucene, cpuOwn) = (0.0, 0.0);
            foreach (var ours in i % 2 == 0 ? new[] { false, true } : [true, false])
            {
                use(ours);
                var started = ThreadCpu.Now();
                var answer = Answer(engine.Search(q));
                var spent = (ThreadCpu.Now() - started).TotalMilliseconds;
                (lucene, cpuLucene) = ours ? (lucene, cpuLucene) : (answer, spent);
                (own, cpuOwn) = ours ? (answer, spent) : (own, cpuOwn);
            }

            if (!cpu.TryGetValue(Kind(q), out var lists))
            {
                cpu[Kind(q)] = lists = ([], []);
            }

            lists.Lucene.Add(cpuLucene);
            lists.Own.Add(cpuOwn);
            if (lucene != own)
            {
                differ++;
                Console.WriteLine($"DIFFERS: text '{q.Text}', category {q.Category}, near {q.Near}, radius {q.RadiusKm}");
            }
        }

        Console.WriteLine($"Compared {queries:N0} queries, {engine.OwnMatches - ownUsed:N0} matched by our own matcher: {differ} differ; load average {LoadAverage()}");
        Console.WriteLine($"Thread CPU per query (ms, includes the answer's formatting), {ways}: mean, p50, p95");
        foreach (var (kind, (b, a)) in cpu.OrderBy(c => c.Key, StringComparer.Ordinal).Append(new("all", (cpu.Values.SelectMany(v => v.Lucene).ToList(), cpu.Values.SelectMany(v => v.Own).ToList()))))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {kind}: mean {b.Average():0.00} → {a.Average():0.00}, p50 {Percentile(b, 50):0.00} → {Percentile(a, 50):0.00}, p95 {Percentile(b, 95):0.00} → {Percentile(a, 95):0.00}"));
        }

        return differ == 0 ? 0 : 1;
    }

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The calling thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>; zero elsewhere).</summary>
    internal static class ThreadCpu
    {
        private const int ThreadCpuClock = 3;

        public static TimeSpan Now()
        {
            if (!OperatingSystem.IsLinux() || ClockGetTime(ThreadCpuClock, out var t) != 0)
            {
                return TimeSpan.Zero;
            }

            return TimeSpan.FromTicks((t.Seconds * TimeSpan.TicksPerSecond) + (t.Nanoseconds / 100));
        }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code in this project; a plain blittable call is enough here.
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);
#pragma warning restore SYSLIB1054

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }

    private static void Print(string label, LongHistogram h)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: n={h.TotalCount} p50 {Ms(h.GetValueAtPercentile(50)):0.00} ms, p95 {Ms(h.GetValueAtPercentile(95)):0.00} ms, p99 {Ms(h.GetValueAtPercentile(99)):0.00} ms, max {Ms(h.GetMaxValue()):0.00} ms"));
    }

    private static string Kind(SearchQuery q)
        => (q.Text is null ? "browse" : "text") + (q.Near is null ? "" : "+geo") + (q.Category is null ? "" : "+category") + " sort=" + q.Sort.ToString().ToLowerInvariant();

    /// <summary>The query mix: text alone, text near a place, browse a category near a place by distance, browse by price with filters.</summary>
    internal static SearchQuery Query(Random r, MaterialCategory[] leaves)
    {
        var place = Place(r);
        var category = leaves[r.Next(leaves.Length)];
        var word = r.Next(2) == 0 ? category.NameEn.Split(' ')[^1].ToLowerInvariant() : category.NameFi.Split(' ')[^1].ToLowerInvariant();
        return (r.Next(10)) switch
        {
            < 3 => new SearchQuery { Text = word, Sort = SearchSort.Relevance },
            < 5 => new SearchQuery { Text = word + " " + EnglishWords[r.Next(EnglishWords.Length)], Near = new GeoPoint(place.Lat, place.Lon), RadiusKm = 30 + r.Next(70), MinCondition = r.Next(3) == 0 ? "B" : null },
            < 8 => new SearchQuery { Category = r.Next(3) == 0 ? category.TopLevelId : category.Id, Near = new GeoPoint(place.Lat, place.Lon), RadiusKm = 30 + r.Next(120), Sort = SearchSort.Distance, AvailableOn = new DateOnly(2027, 3, 1).AddDays(r.Next(60)) },
            _ => new SearchQuery { Category = category.TopLevelId, MaxPriceMinor = 500 + r.Next(10_000), MinQuantity = r.Next(20), Sort = r.Next(2) == 0 ? SearchSort.Price : SearchSort.Newest },
        };
    }

    private static (string Name, double Lat, double Lon) Place(Random r)
    {
        var pick = r.Next(Places.Sum(p => p.Weight));
        foreach (var p in Places)
        {
            if ((pick -= p.Weight) < 0)
            {
                return (p.Name, p.Lat, p.Lon);
            }
        }

        return (Places[0].Name, Places[0].Lat, Places[0].Lon);
    }

    internal static ListingDocument Lot(Random r, int i, MaterialCategory[] leaves, MaterialTaxonomy taxonomy)
    {
        var category = leaves[r.Next(leaves.Length)];
        var path = new List<string>();
        for (var c = category; c is not null; c = c.ParentId is null ? null : taxonomy.Find(c.ParentId))
        {
            path.Add(c.Id);
        }

        var place = Place(r);
        var english = string.Join(' ', Enumerable.Range(0, 6).Select(_ => EnglishWords[r.Next(EnglishWords.Length)]));
        var finnish = string.Join(' ', Enumerable.Range(0, 4).Select(_ => FinnishWords[r.Next(FinnishWords.Length)]));
        var from = new DateOnly(2027, 1, 1).AddDays(r.Next(120));
        return new ListingDocument
        {
            Id = "lot-" + i.ToString("D7", CultureInfo.InvariantCulture),
            SellerId = "firm-" + r.Next(5000).ToString(CultureInfo.InvariantCulture),
            Status = r.Next(10) == 0 ? "sold-out" : "active",
            Version = 1,
            Title = $"{EnglishWords[r.Next(EnglishWords.Length)]} {category.NameEn.ToLowerInvariant()} {r.Next(10, 500)} {category.Units[0].ToString().ToLowerInvariant()}",
            Description = $"{english}. {category.NameFi} {finnish}.",
            Category = category.Id,
            CategoryPath = path,
            CategoryNames = ListingDocument.CategoryNamesOf(taxonomy, category.Id),
            Condition = ((char)('A' + r.Next(3))).ToString(),
            Unit = Units.Code(category.Units[0]),
            Available = r.Next(1, 2000),
            PriceMinor = r.Next(10, 50_000),
            Latitude = place.Lat + ((r.NextDouble() - 0.5) * 0.3),
            Longitude = place.Lon + ((r.NextDouble() - 0.5) * 0.6),
            Municipality = place.Name,
            AvailableFrom = from,
            AvailableTo = from.AddDays(30 + r.Next(150)),
            ListedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i / 2.0),
        };
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
