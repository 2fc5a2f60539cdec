using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Host.Imports;
using Marketplace.Search;
using Marketplace.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace Marketplace.Benchmarks.Imports;

/// <summary>
/// End-to-end import throughput with SQLite storage (synchronous=FULL, the default) and the Lucene index: a file of N
/// rows (3 % bad) goes through the same host and importer as the <c>import</c> command; the clock runs from reading the
/// file until every good row is stored, found by the search index and (for the beams among them) proposed to a waiting
/// demand. Then the same file again (nothing changes) and a file with 100 rows edited. Prints rows/s and where the time went.
/// <para>
/// Before them, unless <c>--warmup 0</c>, another seller imports a file of its own far from the demand (as many rows as
/// the measured file by default), printed but not counted: a fresh process spends a fifth of its CPU compiling hot
/// methods again at higher tiers during its first seconds, which a long-running host (the API's imports) pays once.
/// A smaller warm-up leaves code unoptimised that only a file this size reaches (the index merging its segments, the
/// seller's large record): 10,000 rows left about 4,600 methods to compile during a 50,000-row first upload. The <c>import</c> command
/// starts its own host and so pays it: run with <c>--warmup 0</c> for that figure.
/// </para>
/// </summary>
public static class ImportHarness
{
    /// <summary>Runs the harness: <c>import-harness [--rows 10000,50000] [--warmup N (default: as many as --rows)] [--concurrency 128] [--keep]</c>, one fresh host and database per size.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = new[] { 10_000, 50_000 };
        string? concurrency = null;
        int? warmup = null;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--rows")
            {
                sizes = args[i + 1].Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
            }
            else if (args[i] == "--warmup")
            {
                warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--concurrency")
            {
                concurrency = args[i + 1];
            }
        }

        var failed = 0;
        foreach (var rows in sizes)
        {
            failed += await RunOnceAsync(rows, warmup ?? rows, concurrency, args.Contains("--keep"));
        }

        if (failed > 0)
        {
            Console.WriteLine($"{failed} pass(es) did not give the expected report, counts, search results or proposals (see \"checked\" above).");
        }

        return failed == 0 ? 0 : 1;
    }

    /// <summary>One size in a fresh host and database; answers the number of passes whose outcome was not the expected one.</summary>
    private static async Task<int> RunOnceAsync(int rows, int warmup, string? concurrency, bool keep)
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-import-harness-").FullName;
        Console.WriteLine();
        Console.WriteLine($"Import harness: {rows:N0} rows, load average {LoadAverage()}, SQLite (synchronous=FULL) and Lucene under {folder}, {Environment.ProcessorCount} cores");
        var host = ImportCommand.BuildHost(
        [
            $"--DataPath={folder}", "--Storage:Provider=Sqlite", $"--Storage:Sqlite:Path={Path.Combine(folder, "grains.db")}",
            $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}", "--Cluster:ServiceId=import-harness",
            "--Logging:LogLevel:Default=Error", .. concurrency is null ? Array.Empty<string>() : [$"--Imports:Concurrency={concurrency}"],
        ]);
        await host.StartAsync();
        var failed = 0;
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var jobs = host.Services.GetRequiredService<ImportJobs>();
            var search = host.Services.GetRequiredService<ISearchEngine>();
            var storage = (SqliteGrainStorage)host.Services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
            var seller = await BenchmarkCluster.FirmAsync(grains, "harness-seller", TestClusters.NewBusinessId(), "seller");
            var buyer = await BenchmarkCluster.FirmAsync(grains, "harness-buyer", TestClusters.NewBusinessId(), "buyer");
            var place = (60.45, 22.27);
            await grains.GetGrain<IDemandGrain>("harness-demand").CreateAsync(buyer, new DemandDetails
            {
                Category = "metals/steel/beams", Quantity = 5, Unit = "pcs", MinPart = 1, MinCondition = "C", MaxUnitPrice = Money.Eur(100_000),
                Location = new GeoPoint(place.Item1, place.Item2), RadiusKm = 30,
                Window = new DateWindow(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(2)), DateOnly.FromDateTime(DateTime.UtcNow.AddDays(40))),
            });

            if (warmup > 0)
            {
                // Oulu, far beyond the demand's radius: nothing of it is proposed to the harness's buyer.
                var other = await BenchmarkCluster.FirmAsync(grains, "harness-warmup-seller", TestClusters.NewBusinessId(), "seller");
                var far = SurplusFile.Create(warmup, (65.01, 25.47));
                failed += await PassAsync("warm-up (another seller, not counted)", grains, jobs, search, storage, other, buyer, far, far, (far.Good.Count, 0, 0), expectProposals: false);
                await JitSettledAsync();
            }

            var file = SurplusFile.Create(rows, place);
            failed += await PassAsync("first upload", grains, jobs, search, storage, seller, buyer, file, file, (file.Good.Count, 0, 0));
            failed += await PassAsync("same file again", grains, jobs, search, storage, seller, buyer, file, file, (0, 0, file.Good.Count));
            var edited = file.Good.Where((_, i) => i % (file.Good.Count / 100) == 0).Take(100).Select(g => g.ExternalId).ToHashSet();
            failed += await PassAsync("100 rows edited", grains, jobs, search, storage, seller, buyer, SurplusFile.Create(rows, place, edited), file, (0, edited.Count, file.Good.Count - edited.Count));
        }
        finally
        {
            await host.StopAsync();
            // Disposed before the folder goes: the index commits its last changes on disposal.
            host.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (!keep)
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        return failed;
    }

    private static async Task<int> PassAsync(string name, IGrainFactory grains, ImportJobs jobs, ISearchEngine search, SqliteGrainStorage storage,
        string seller, string buyer, SurplusFile file, SurplusFile original, (int Created, int Updated, int Unchanged) expect, bool expectProposals = true)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (jitMethods, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
        var started = Stopwatch.GetTimestamp();
        var (groups, writes) = (storage.CommittedGroups, storage.CommittedWrites);
        var total = Stopwatch.StartNew();
        var firstProposal = new FirstProposal(total);
        var observer = grains.CreateObjectReference<IMatchObserver>(firstProposal);
        await grains.GetGrain<IMatchInboxGrain>(buyer).SubscribeAsync(observer);
        var rows = jobs.Read(seller, file.Csv, ImportFormat.Csv, ImportMapping.Default);
        var read = total.Elapsed;
        var id = Guid.CreateVersion7().ToString("N");
        await grains.GetGrain<IImportJobGrain>(id).StartAsync(seller, "surplus.csv", ImportFormat.Csv, rows.Count, rows.SelectMany(r => r.Errors).ToArray());
        var result = await jobs.RunAsync(id, seller, rows, publish: true, null, CancellationToken.None);
        var applied = total.Elapsed;

        while ((await search.SearchAsync(new SearchQuery { SellerId = seller, Limit = 1 })).Total < original.Good.Count)
        {
            await Task.Delay(10);
        }

        var indexed = total.Elapsed;
        var beams = expectProposals ? original.Good.Count(g => g.Category == "beams") : 0;
        while ((await grains.GetGrain<IMatchInboxGrain>(buyer).ListAsync()).Count < beams)
        {
            await Task.Delay(10);
        }

        var matched = total.Elapsed;
        await grains.GetGrain<IMatchInboxGrain>(buyer).UnsubscribeAsync(observer);
        grains.DeleteObjectReference<IMatchObserver>(observer);
        var c = result.Counts;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var (jitted, jitSpent) = (System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods, System.Runtime.JitInfo.GetCompilationTime() - jitTime);
        var (g, w) = (storage.CommittedGroups - groups, storage.CommittedWrites - writes);
        Console.WriteLine();
        Console.WriteLine($"{name} (load average {LoadAverage()}): {c.Processed:N0} rows in {matched.TotalSeconds:N2} s = {c.Processed / matched.TotalSeconds:N0} rows/s end to end "
            + $"({c.Created:N0} created, {c.Updated:N0} updated, {c.Unchanged:N0} unchanged, {c.Rejected:N0} rejected; {ImportJob.StatusCode(result.Status)})");
        Console.WriteLine($"  first proposal after                       {(firstProposal.At is { } first ? $"{first.TotalSeconds,7:N2} s" : "    (none: the pairs were proposed before)")}");
        Console.WriteLine($"  read and check the file (parse)            {read.TotalSeconds,7:N2} s");
        var tm = result.Timings;
        Console.WriteLine($"  record ids (seller, partitions, calendar) {tm.RecordIds.TotalSeconds,7:N2} s");
        Console.WriteLine($"  read stored lots (one query a batch)      {tm.ReadStored.TotalSeconds,7:N2} s");
        Console.WriteLine($"  validate, build lots and events            {tm.Build.TotalSeconds,7:N2} s");
        Console.WriteLine($"  store new lots (one transaction a batch)  {tm.Store.TotalSeconds,7:N2} s  ({w:N0} storage writes in {g:N0} commits)");
        Console.WriteLine($"  queue for the search index                 {tm.Index.TotalSeconds,7:N2} s");
        Console.WriteLine($"  tell the matching partitions               {tm.Match.TotalSeconds,7:N2} s");
        Console.WriteLine($"  hand webhook events over                   {tm.Events.TotalSeconds,7:N2} s");
        Console.WriteLine($"  changed rows through their lots' grains    {tm.ApplyRows.TotalSeconds,7:N2} s");
        Console.WriteLine($"  report statuses to the seller              {tm.ReportStatuses.TotalSeconds,7:N2} s");
        Console.WriteLine($"  index visible after applying               {(indexed - applied).TotalSeconds,7:N2} s");
        Console.WriteLine($"  matches stored after indexing              {(matched - indexed).TotalSeconds,7:N2} s  ({beams:N0} beams proposed)");
        Console.WriteLine($"  CPU used {used.TotalSeconds:N1} s of {matched.TotalSeconds * Environment.ProcessorCount:N1} s available = {used.TotalMilliseconds * 1000 / c.Processed:N0} µs per row "
            + $"(on an idle {Environment.ProcessorCount}-core machine: {Environment.ProcessorCount * c.Processed / used.TotalSeconds:N0} rows/s if the CPU were the only limit); "
            + $"GC gen2 collections so far {GC.CollectionCount(2)}");
        // The JIT compiling methods again at higher tiers (a fresh process; a long-running host is done with it). The
        // runtime reports the time its compilations took, summed over threads: wall time, so inflated when the CPU is shared.
        Console.WriteLine($"  JIT compilations (wall, summed)            {jitSpent.TotalSeconds,7:N2} s  ({jitted:N0} methods compiled; {jitSpent.TotalMilliseconds * 1000 / c.Processed:N0} µs per row)");
        // The monotonic clock's readings (what perf stamps its samples with), to profile one pass of a whole run.
        Console.WriteLine($"  pass ran from {started / (double)Stopwatch.Frequency:F3} to {Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency:F3} s on the monotonic clock");

        // What the issue asks of such a file, checked after the clock stopped: the job's report names exactly the bad rows
        // (line, external id, field), the counts are exact, the search finds exactly the good rows, and every beam among
        // them is proposed to the waiting demand.
        static string Key(int line, string? externalId, string field) => $"{line}:{externalId}:{field}";
        var job = await grains.GetGrain<IImportJobGrain>(id).GetAsync();
        var reportExact = job is not null && job.Errors.Select(e => Key(e.Line, e.ExternalId, e.Field)).Order(StringComparer.Ordinal)
            .SequenceEqual(file.Bad.Select(b => Key(b.Line, b.ExternalId, b.Field)).Order(StringComparer.Ordinal));
        var countsExact = (c.Created, c.Updated, c.Unchanged, c.Rejected) == (expect.Created, expect.Updated, expect.Unchanged, file.Bad.Count);
        var found = (await search.SearchAsync(new SearchQuery { SellerId = seller, Limit = 1 })).Total;
        var proposed = expectProposals
            ? (await grains.GetGrain<IMatchInboxGrain>(buyer).ListAsync()).Select(m => m.Proposal!.LotId).ToHashSet(StringComparer.Ordinal)
            : [];
        var beamsProposed = !expectProposals || original.Good.Where(g => g.Category == "beams").All(g => proposed.Contains(LotRowReader.LotIdFor(seller, g.ExternalId)));
        var ok = reportExact && countsExact && found == original.Good.Count && beamsProposed;
        Console.WriteLine($"  checked: {(ok ? "as expected" : "NOT AS EXPECTED")}: the report {(reportExact ? "names exactly" : "does not name exactly")} the file's {file.Bad.Count:N0} bad rows; "
            + $"counts {(countsExact ? "exact" : $"expected {expect.Created:N0} created, {expect.Updated:N0} updated, {expect.Unchanged:N0} unchanged, {file.Bad.Count:N0} rejected")}; "
            + $"the search finds {found:N0} of {original.Good.Count:N0} good rows; {(expectProposals ? (beamsProposed ? "every beam proposed" : "NOT every beam proposed") : "no proposals expected")}");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// Waits (at most 30 s) until the runtime compiles fewer than 25 methods in two seconds: the methods the warm-up made
    /// hot are queued for their optimised tier, and that queue takes a while to drain on two busy cores (it never
    /// falls quite silent: timers and the silo's housekeeping keep finding new methods).
    /// </summary>
    private static async Task JitSettledAsync()
    {
        var clock = Stopwatch.StartNew();
        var count = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(2000);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            (var settled, count) = (now - count < 25, now);
            if (settled)
            {
                break;
            }
        }

        Console.WriteLine($"  methods compiled so far {count:N0}; the compiler settled after {clock.Elapsed.TotalSeconds:N1} s");
    }

    /// <summary>The machine's 1, 5 and 15 minute load averages (the CPU is shared: read figures against them).</summary>
    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Notes when the buyer's first new proposal arrives.</summary>
    private sealed class FirstProposal(Stopwatch clock) : IMatchObserver
    {
        private long _ticks = -1;

        public TimeSpan? At => Interlocked.Read(ref _ticks) is var t and >= 0 ? TimeSpan.FromTicks(t) : null;

        public Task ChangedAsync(MatchingSession session)
        {
            Interlocked.CompareExchange(ref _ticks, clock.Elapsed.Ticks, -1);
            return Task.CompletedTask;
        }

        public Task ImportChangedAsync(ImportProgress progress) => Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
