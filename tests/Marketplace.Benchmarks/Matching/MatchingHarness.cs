using Marketplace.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Marketplace.Grains.Storage;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Benchmarks.Matching;

/// <summary>
/// Load harness for matching on grains: bulk-loads N open lots and M open demands (default 1,000,000 and 100,000) into
/// the partition grains of one in-process silo, then posts new lots and new demands through the listing and demand
/// grains at a fixed rate and prints, as percentiles, the latency to every partition the change reaches having stored
/// its proposals as matching sessions: from the change's acknowledgement (the publish or post call returning), and
/// from the start of that call. With <c>--rates 100,200,400</c> it sweeps: one run per rate, in order, ending with a
/// table of each rate's percentiles, allocation per change, share of the run the GC paused and CPU time per change
/// (which reads through load from other processes better than wall-clock figures); a rate the silo cannot keep up with
/// ends the sweep.
/// </summary>
public static class MatchingHarness
{
    private static readonly (double Lat, double Lon, int Weight)[] Places =
    [
        (60.1699, 24.9384, 30), (60.2055, 24.6559, 15), (60.2934, 25.0378, 15), (60.4034, 25.1050, 4), (60.4737, 25.0899, 4),
        (60.1238, 24.4385, 3), (60.3923, 25.6651, 4), (61.4978, 23.7610, 8), (60.4518, 22.2666, 7), (60.9827, 25.6612, 5),
    ];

    /// <summary>Runs the harness; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var lotCount = Option(args, "--lots", 1_000_000);
        var demandCount = Option(args, "--demands", 100_000);
        var rates = Rates(args) ?? [Option(args, "--rate", 200)];
        var seconds = Option(args, "--seconds", 30);
        // The bulk-loaded lots and demands have no grains behind them, so the partitions' periodic sweep (each member
        // once per Matching:ReconcileSweepPeriod, at most --reconcile-batch per partition every 30 s) activates an
        // empty grain per member read: --reconcile-batch 0 measures the changes without that background cost.
        var reconcileBatch = Option(args, "--reconcile-batch", new MatchingOptions().ReconcileBatchSize);
        // --count-calls prints each rate's grain calls by interface and method (a filter on every call: off by default).
        var countCalls = args.Contains("--count-calls");
        // --live-heap forces a full collection before and after each measured run (outside its timings and GC figures)
        // and prints what the run left live per change: what every collection of the run had to promote at least once.
        LiveHeap = args.Contains("--live-heap");
        // --allocation-types N lists the N types each measured run allocated most, per change (sampled by the runtime).
        AllocationTypes = Option(args, "--allocation-types", 0);
        // --collection-age S: Orleans collects an activation idle for S seconds (Orleans:GrainCollection:CollectionAge;
        // its default, 15 minutes, keeps every new lot and demand of a sustained run in memory for that long).
        var collectionAge = Option(args, "--collection-age", 0);

        // memory (default): Orleans' MemoryGrainStorage, whose every read and write is a call to a storage grain (about
        // 18 of the 30 grain calls per change) and a copy of the state's bytes. sqlite: the product's own grain storage,
        // a new file in a temporary folder (deleted at the end) with the host's options (synchronous=FULL, group
        // commit): 12 grain calls per change, but about 1.5-2 times the CPU per change and a p99 made of fsyncs
        // (docs/performance.md, branch match11), so memory stays the default for measuring the matching path.
        var storage = Text(args, "--storage", "memory");
        if (storage is not ("sqlite" or "memory"))
        {
            Console.Error.WriteLine($"--storage must be sqlite or memory, not '{storage}'.");
            return 2;
        }

        var folder = storage == "sqlite" ? Directory.CreateTempSubdirectory("matching-harness-") : null;
        try
        {
            return await RunAsync(lotCount, demandCount, rates, seconds, reconcileBatch, countCalls, folder, collectionAge);
        }
        finally
        {
            folder?.Delete(recursive: true);
        }
    }

    private static async Task<int> RunAsync(int lotCount, int demandCount, int[] rates, int seconds, int reconcileBatch, bool countCalls, DirectoryInfo? sqliteFolder, int collectionAge)
    {
        Console.WriteLine($"Matching harness: {lotCount:N0} lots and {demandCount:N0} demands loaded, then new lots and demands at {string.Join(", ", rates)}/s for {seconds} s each");
        Console.WriteLine(sqliteFolder is null
            ? "Grain storage: memory (Orleans' MemoryGrainStorage: a storage grain call per read and write)"
            : $"Grain storage: SQLite, synchronous={new SqliteStorageOptions().Synchronous}, a new file in {sqliteFolder.FullName}");
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}; partitions re-read each member once per {new MatchingOptions().ReconcileSweepPeriod}, at most {reconcileBatch} per reconciliation");

        Console.WriteLine(GcPhases.Settings());
        var events = new Recorder();
        using var profile = new MatchingProfile();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = sqliteFolder is null ? "Memory" : "Sqlite",
            ["Storage:Sqlite:Path"] = sqliteFolder is null ? null : Path.Combine(sqliteFolder.FullName, "marketplace.db"),
            ["Listings:SweepPeriod"] = "00:01:00",
            ["Matching:ReconcileBatchSize"] = reconcileBatch.ToString(CultureInfo.InvariantCulture),
        };
        if (collectionAge > 0)
        {
            settings["Orleans:GrainCollection:CollectionAge"] = TimeSpan.FromSeconds(collectionAge).ToString("c", CultureInfo.InvariantCulture);
            settings["Orleans:GrainCollection:CollectionQuantum"] = TimeSpan.FromSeconds(Math.Clamp(collectionAge / 3, 1, 60)).ToString("c", CultureInfo.InvariantCulture);
        }

        await using var cluster = await TestClusters.StartAsync(
            settings,
            provide: silo =>
            {
                silo.Services.AddSingleton<IMatchEvents>(events);
                // As the host's appsettings.json does: Orleans' placement pipeline logs every activation at Information.
                silo.Services.AddLogging(logging => logging.AddFilter("Polly", LogLevel.Warning));
                if (countCalls)
                {
                    silo.AddIncomingGrainCallFilter(profile.CallCounter());
                }

                silo.Services.PostConfigure<MemoryGrainStorageOptions>(StorageOptions.StoreName, o => o.GrainStorageSerializer = profile.Counting(o.GrainStorageSerializer));
            },
            configure: silo =>
            {
                if (sqliteFolder is not null)
                {
                    // The host's SQLite storage as the marketplace registers it, its serializer wrapped to count each state's bytes.
                    silo.Services.AddKeyedSingleton<IGrainStorage>(StorageOptions.StoreName, (sp, _) =>
                        ActivatorUtilities.CreateInstance<SqliteGrainStorage>(sp, profile.Counting(MarketplaceStorageSerializer.Instance)));
                }
            });
        // The host co-hosts its silo, so API calls are silo-local: drive the grains the same way, not through a gateway client.
        var grains = cluster.Silos[0].SiloHost.Services.GetRequiredService<IGrainFactory>();
        var taxonomy = MaterialTaxonomy.Default;
        var leaves = taxonomy.Categories.Where(c => !taxonomy.Categories.Any(o => o.ParentId == c.Id)).ToArray();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        // Bulk load: summaries generated first (untimed), then loaded partition by partition in batches of 5,000.
        var random = new Random(20261128);
        var lots = Enumerable.Range(0, lotCount).Select(i => Lot(random, $"bulk-lot-{i}", $"bulk-seller-{i % 2000}", leaves, today)).ToArray();
        var demands = Enumerable.Range(0, demandCount).Select(i => Demand(random, $"bulk-demand-{i}", $"bulk-buyer-{i % 2000}", leaves, today)).ToArray();
        var byPartition = new Dictionary<string, (List<VersionedLot> Lots, List<VersionedDemand> Demands)>();
        (List<VersionedLot> Lots, List<VersionedDemand> Demands) Bucket(string key)
            => byPartition.TryGetValue(key, out var b) ? b : byPartition[key] = ([], []);
        foreach (var lot in lots)
        {
            Bucket(MatchPartitions.ForLot(lot)).Lots.Add(new VersionedLot(1, lot));
        }

        var registrations = 0;
        foreach (var demand in demands)
        {
            foreach (var key in MatchPartitions.ForDemand(demand))
            {
                Bucket(key).Demands.Add(new VersionedDemand(1, demand));
                registrations++;
            }
        }

        var load = Stopwatch.StartNew();
        await Parallel.ForEachAsync(byPartition, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (entry, _) =>
        {
            var grain = grains.GetGrain<IMatchPartitionGrain>(entry.Key);
            var (partLots, partDemands) = entry.Value;
            for (var i = 0; i < Math.Max(partLots.Count, partDemands.Count); i += 5_000)
            {
                await grain.LoadAsync(partLots.Skip(i).Take(5_000).ToArray(), partDemands.Skip(i).Take(5_000).ToArray());
            }
        });
        load.Stop();
        var biggest = byPartition.MaxBy(p => p.Value.Lots.Count + p.Value.Demands.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Bulk load: {lotCount:N0} lots + {demandCount:N0} demands ({registrations:N0} partition registrations) into {byPartition.Count} partitions in {load.Elapsed.TotalSeconds:N1} s = {(lotCount + registrations) / load.Elapsed.TotalSeconds:N0} entries/s"));
        Console.WriteLine($"Largest partition {biggest.Key}: {biggest.Value.Lots.Count:N0} lots, {biggest.Value.Demands.Count:N0} demands; managed heap {GC.GetTotalMemory(true) / 1024 / 1024:N0} MiB");
        lots = null;
        demands = null;
        byPartition.Clear();

        // Firms for the new lots and demands (the grains check roles).
        var sellers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => BenchmarkCluster.FirmAsync(grains, $"h-seller-{i}", BusinessId(i), "seller")));
        var buyers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => BenchmarkCluster.FirmAsync(grains, $"h-buyer-{i}", BusinessId(100 + i), "buyer")));

        // Warm-up (not recorded), then one measured run per rate: even changes are new lots, odd ones new demands.
        await RunAtRateAsync(grains, events, sellers, buyers, leaves, today, rates[0], Math.Min(rates[0] * 5, 1_000), "warm", null);
        var rows = new List<string>();
        int? highest = null;
        foreach (var rate in rates)
        {
            var (row, saturated, p99) = await MeasureAsync(grains, events, profile, sellers, buyers, leaves, today, rate, seconds, rates.Length > 1);
            rows.Add(row);
            if (!saturated && p99 <= 10)
            {
                highest = rate;
            }

            if (saturated)
            {
                Console.WriteLine($"Saturated at {rate}/s (the silo fell behind the schedule): the higher rates are not run.");
                break;
            }
        }

        Console.WriteLine();
        Console.WriteLine("| rate | achieved | from acknowledgement p50 / p95 / p99 | lots p99 | demands p99 | from the call's start p99 | allocated per change | GC paused | CPU per change | per change: grain calls / state writes / bytes written |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine($"Highest rate kept up with at p99 <= 10 ms from acknowledgement: {(highest is { } h ? $"{h}/s" : "none")}");
        return 0;
    }

    /// <summary>How many allocated types to list per run (<c>--allocation-types</c>; 0: none).</summary>
    private static int AllocationTypes { get; set; }

    /// <summary>The runtime's allocation samples, when <see cref="AllocationTypes"/> asks for them.</summary>
    private static Api.AllocationSampler? Sampler { get; set; }

    /// <summary>True with <c>--live-heap</c>.</summary>
    private static bool LiveHeap { get; set; }

    /// <summary>The GC's phases, listened to for the whole process.</summary>
    private static readonly GcPhases Phases = new();

    /// <summary>
    /// One rate: a short unrecorded warm-up at that rate (when sweeping), then <paramref name="seconds"/> of changes;
    /// prints the percentiles and returns a table row, and whether the silo fell behind (achieved under 90 % of the rate).
    /// </summary>
    private static async Task<(string Row, bool Saturated, double P99)> MeasureAsync(IGrainFactory grains, Recorder events, MatchingProfile profile, string[] sellers, string[] buyers,
        MaterialCategory[] leaves, DateOnly today, int rate, int seconds, bool sweeping)
    {
        if (sweeping)
        {
            await RunAtRateAsync(grains, events, sellers, buyers, leaves, today, rate, rate, $"warm{rate}", null);
        }

        var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
        var afterAck = new LongHistogram(TimeStamp.Minutes(1), 3);
        var byKind = new Dictionary<string, LongHistogram> { ["lot"] = new(TimeStamp.Minutes(1), 3), ["demand"] = new(TimeStamp.Minutes(1), 3) };
        var byKindAfterAck = new Dictionary<string, LongHistogram> { ["lot"] = new(TimeStamp.Minutes(1), 3), ["demand"] = new(TimeStamp.Minutes(1), 3) };
        var liveBefore = LiveHeap ? GC.GetTotalMemory(forceFullCollection: true) : 0;
        Phases.Take();
        if (AllocationTypes > 0)
        {
            Sampler ??= new Api.AllocationSampler();
            Sampler.Clear();
            Sampler.Recording = true;
        }

        var pausedBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        profile.Take();
        profile.DescribeCalls(1);
        var run = Stopwatch.StartNew();
        var proposals = await RunAtRateAsync(grains, events, sellers, buyers, leaves, today, rate, rate * seconds, $"run{rate}", (kind, ticks, ticksAfterAck) =>
        {
            lock (latency)
            {
                latency.RecordValue(ticks);
                byKind[kind].RecordValue(ticks);
                afterAck.RecordValue(ticksAfterAck);
                byKindAfterAck[kind].RecordValue(ticksAfterAck);
            }
        });
        run.Stop();
        var counted = profile.Take();
        var changes = latency.TotalCount;
        var achieved = changes / run.Elapsed.TotalSeconds;
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        var allocatedPerChange = (GC.GetTotalAllocatedBytes() - allocatedBefore) / (double)changes / 1024;
        var cpuPerChange = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / changes;
        var phases = Phases.Take();
        if (Sampler is not null)
        {
            Sampler.Recording = false;
        }

        var liveAfter = LiveHeap ? GC.GetTotalMemory(forceFullCollection: true) : 0;
        Console.WriteLine($"-- {rate}/s for {seconds} s");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Changes: {changes:N0} in {run.Elapsed.TotalSeconds:N1} s ({achieved:N0}/s), {proposals:N0} proposals stored ({(double)proposals / changes:N2} per change)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GC during the run: {GC.CollectionCount(0) - gen0} gen0, {GC.CollectionCount(1) - gen1} gen1, {GC.CollectionCount(2) - gen2} gen2, paused {paused.TotalMilliseconds:N0} ms in all ({paused / run.Elapsed:P1}); {allocatedPerChange:N0} KiB allocated per change; {cpuPerChange:N2} ms CPU per change"));
        Console.WriteLine(phases);
        if (Sampler is not null)
        {
            Console.WriteLine("Allocated most, sampled (KiB per change): " + string.Join(", ",
                Sampler.Top(AllocationTypes).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Type} {t.Bytes / 1024.0 / changes:N1}"))));
        }
        if (LiveHeap)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Live heap after a full collection: {liveBefore / 1048576.0:N0} MiB before the run, {liveAfter / 1048576.0:N0} MiB after: {(liveAfter - liveBefore) / 1024.0 / changes:N1} KiB kept per change"));
        }
        var ephemeral = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Last ephemeral GC (gen{ephemeral.Generation}): paused {ephemeral.PauseDurations[0].TotalMilliseconds:N1} ms, promoted {ephemeral.PromotedBytes / 1024:N0} KiB, pinned objects {ephemeral.PinnedObjectsCount:N0}, gen0..2 sizes after {string.Join(" / ", ephemeral.GenerationInfo.ToArray().Take(3).Select(g => $"{g.SizeAfterBytes / 1024 / 1024:N0} MiB"))}, heap {ephemeral.HeapSizeBytes / 1024 / 1024:N0} MiB"));
        Console.WriteLine(counted.Describe(changes));
        if (profile.DescribeCalls(changes) is { Length: > 0 } calls)
        {
            Console.WriteLine(calls);
        }
        Console.WriteLine("From the change's acknowledgement (the grain call returned) to its proposals stored (0 when they were stored first):");
        Print("  all", afterAck);
        Print("  new lot (publish)", byKindAfterAck["lot"]);
        Print("  new demand (post)", byKindAfterAck["demand"]);
        Console.WriteLine("From the start of the call that makes the change (its own writes included) to its proposals stored:");
        Print("  all", latency);
        Print("  new lot (publish)", byKind["lot"]);
        Print("  new demand (post)", byKind["demand"]);
        var row = string.Create(CultureInfo.InvariantCulture,
            $"| {rate}/s | {achieved:N0}/s | {Ms(afterAck.GetValueAtPercentile(50)):0.00} / {Ms(afterAck.GetValueAtPercentile(95)):0.00} / {Ms(afterAck.GetValueAtPercentile(99)):0.00} ms | {Ms(byKindAfterAck["lot"].GetValueAtPercentile(99)):0.00} ms | {Ms(byKindAfterAck["demand"].GetValueAtPercentile(99)):0.00} ms | {Ms(latency.GetValueAtPercentile(99)):0.00} ms | {allocatedPerChange:N1} KiB | {paused / run.Elapsed:P1} | {cpuPerChange:N2} ms | {counted.GrainCalls / (double)changes:N1} / {counted.StateWrites / (double)changes:N2} / {counted.Bytes / (double)changes / 1024:N1} KiB |");
        return (row, achieved < rate * 0.9, Ms(afterAck.GetValueAtPercentile(99)));
    }

    private static async Task<long> RunAtRateAsync(IGrainFactory grains, Recorder events, string[] sellers, string[] buyers, MaterialCategory[] leaves,
        DateOnly today, int rate, int count, string prefix, Action<string, long, long>? record)
    {
        var random = new Random(prefix.GetHashCode(StringComparison.Ordinal));
        // The changes still going, counted rather than kept in a list: a list would keep every change's task, closure,
        // lot and ids alive to the end of the run, and the silo's collections would promote them as if the silo kept them.
        // It starts at one for the schedule itself, released once every change has been started (so it cannot reach
        // zero while changes are still to come).
        long outstanding = 1, proposals = 0, lost = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
            // Sleep (not spin: a spinning driver would take one of the two cores from the silo) until the change is due;
            // the schedule is absolute, so a late wake-up is caught up by the next changes.
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var isLot = i % 2 == 0;
            var id = $"{prefix}-{(isLot ? "lot" : "demand")}-{i}";
            if (isLot)
            {
                var lot = Lot(random, id, sellers[random.Next(sellers.Length)], leaves, today);
                var grain = grains.GetGrain<IListingGrain>(id);
                Counted(async () =>
                {
                    await grain.CreateAsync(lot.SellerId, Details(lot));
                    var done = events.Expect(id, 1);
                    var begin = Stopwatch.GetTimestamp();
                    await grain.PublishAsync(lot.SellerId);
                    var accepted = Stopwatch.GetTimestamp();
                    var (stored, at) = await done;
                    Interlocked.Add(ref proposals, stored);
                    record?.Invoke("lot", at - begin, Math.Max(0, at - accepted));
                });
            }
            else
            {
                var demand = Demand(random, id, buyers[random.Next(buyers.Length)], leaves, today);
                var partitions = MatchPartitions.ForDemand(demand).Count;
                Counted(async () =>
                {
                    var done = events.Expect(id, partitions);
                    var begin = Stopwatch.GetTimestamp();
                    await grains.GetGrain<IDemandGrain>(id).CreateAsync(demand.BuyerId, Details(demand));
                    var accepted = Stopwatch.GetTimestamp();
                    var (stored, at) = await done;
                    Interlocked.Add(ref proposals, stored);
                    record?.Invoke("demand", at - begin, Math.Max(0, at - accepted));
                });
            }
        }

        // One deadline for the run (not a timer per change: thousands of them contended on the timer queue's lock).
        Done();
        if (await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(60))) != all.Task)
        {
            Interlocked.Add(ref lost, Interlocked.Read(ref outstanding));
        }

        if (lost > 0)
        {
            Console.WriteLine($"{lost:N0} of {count:N0} changes failed (a grain call timed out) or were not matched within 60 s of the last; they are left out of the figures");
        }

        return proposals;

        // A change whose grain call times out is counted, not allowed to end the harness.
        void Counted(Func<Task> change)
        {
            Interlocked.Increment(ref outstanding);
            _ = Task.Run(async () =>
            {
                try
                {
                    await change();
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref lost);
                }
                finally
                {
                    Done();
                }
            });
        }

        void Done()
        {
            if (Interlocked.Decrement(ref outstanding) == 0)
            {
                all.TrySetResult();
            }
        }
    }

    /// <summary>Completes a change's task, with the time, when every partition it reaches has reported it matched.</summary>
    private sealed class Recorder : IMatchEvents
    {
        private readonly ConcurrentDictionary<string, (int Left, int Proposals, TaskCompletionSource<(int, long)> Done)> _waiting = new();

        public Task<(int Proposals, long At)> Expect(string id, int partitions)
        {
            var done = new TaskCompletionSource<(int, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[id] = (partitions, 0, done);
            return done.Task;
        }

        public void Matched(string kind, string id, int proposals)
        {
            while (_waiting.TryGetValue(id, out var entry))
            {
                var next = (entry.Left - 1, entry.Proposals + proposals, entry.Done);
                if (_waiting.TryUpdate(id, next, entry))
                {
                    if (next.Item1 == 0 && _waiting.TryRemove(id, out _))
                    {
                        entry.Done.TrySetResult((next.Item2, Stopwatch.GetTimestamp()));
                    }

                    return;
                }
            }
        }
    }

    private static LotSummary Lot(Random r, string id, string seller, MaterialCategory[] leaves, DateOnly today)
    {
        var category = leaves[r.Next(leaves.Length)];
        var unit = category.Units[r.Next(category.Units.Count)];
        var from = today.AddDays(r.Next(-30, 30));
        return new LotSummary(id, seller, category.Id, unit, r.Next(1, 500), category.MassPerUnitKg.TryGetValue(unit, out var mass) ? mass : null,
            1 + r.Next(3), 100 + r.Next(5_000), Near(r, 0.3), new DateWindow(from, from.AddDays(r.Next(30, 180))));
    }

    private static DemandSummary Demand(Random r, string id, string buyer, MaterialCategory[] leaves, DateOnly today)
    {
        var leaf = leaves[r.Next(leaves.Length)];
        var category = r.Next(3) == 0 && leaf.ParentId is { } parent ? parent : leaf.Id;
        var unit = leaf.Units[r.Next(leaf.Units.Count)];
        var quantity = r.Next(10, 1_000);
        var from = today.AddDays(r.Next(0, 60));
        return new DemandSummary(id, buyer, category, unit, quantity, Math.Max(1, quantity / (1 + r.Next(10))), 1 + r.Next(3),
            r.Next(4) == 0 ? null : 500 + r.Next(6_000), Near(r, 0.2), 5 + r.Next(45), new DateWindow(from, from.AddDays(r.Next(14, 120))));
    }

    private static ListingDetails Details(LotSummary lot) => new()
    {
        Title = "Harness lot",
        Category = lot.Category,
        Quantity = lot.Available,
        Unit = lot.Unit.Code(),
        MassPerUnitKg = lot.MassPerUnitKg,
        Condition = lot.ConditionRank switch { 3 => "A", 2 => "B", _ => "C" },
        UnitPrice = Money.Eur(lot.UnitPriceMinor),
        Location = new ListingLocation(lot.Location.Latitude, lot.Location.Longitude, null, "Helsinki"),
        Availability = lot.Window,
    };

    private static DemandDetails Details(DemandSummary d) => new()
    {
        Category = d.Category,
        Quantity = d.Quantity,
        Unit = d.Unit.Code(),
        MinPart = d.MinPart,
        MinCondition = d.MinConditionRank switch { 3 => "A", 2 => "B", _ => "C" },
        MaxUnitPrice = d.MaxUnitPriceMinor is { } max ? Money.Eur(max) : null,
        Location = d.Location,
        RadiusKm = d.RadiusKm,
        Window = d.Window,
    };

    private static GeoPoint Near(Random r, double spread)
    {
        var pick = r.Next(Places.Sum(p => p.Weight));
        foreach (var (lat, lon, weight) in Places)
        {
            if ((pick -= weight) < 0)
            {
                return new GeoPoint(lat + ((r.NextDouble() - 0.5) * spread), lon + ((r.NextDouble() - 0.5) * spread * 2));
            }
        }

        return new GeoPoint(Places[0].Lat, Places[0].Lon);
    }

    private static string BusinessId(int n)
    {
        for (var digits = 1_000_000 + (n * 13); ; digits++)
        {
            var text = digits.ToString("D7", CultureInfo.InvariantCulture);
            if (Domain.Traders.BusinessId.CheckDigitFor(text) is { } check)
            {
                return $"{text}-{check}";
            }
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static void Print(string label, LongHistogram h)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: n={h.TotalCount} p50 {Ms(h.GetValueAtPercentile(50)):0.00} ms, p95 {Ms(h.GetValueAtPercentile(95)):0.00} ms, p99 {Ms(h.GetValueAtPercentile(99)):0.00} ms, max {Ms(h.GetMaxValue()):0.00} ms"));
    }

    /// <summary>The rates of a sweep (<c>--rates 100,200,400</c>), or null without one.</summary>
    private static int[]? Rates(string[] args)
    {
        var i = Array.IndexOf(args, "--rates");
        return i >= 0 && i + 1 < args.Length
            ? args[i + 1].Split(',').Select(r => int.Parse(r, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray()
            : null;
    }

    private static string Text(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }
}
