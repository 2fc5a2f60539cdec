using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HdrHistogram;
using Marketplace.Host;
using Marketplace.Identity;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Benchmarks.Api;

/// <summary>
/// The API under load: the real host (Kestrel, the co-hosted silo, SQLite grain storage with <c>synchronous=FULL</c>,
/// the identity store, Lucene) on a loopback port, driven over HTTP by many firms, each with its own API client and a
/// client-credentials token from <c>/connect/token</c>. A realistic mix (searches and lot reads, holds and their
/// releases across many lots, lot creates and edits, demand posts, match inbox reads) runs at rising concurrency (closed
/// loop: N callers, each sending its next request when the last one is answered) until p99 passes the stop latency;
/// each step prints requests/s and p50/p95/p99 per kind. The load generator shares the machine with the host.
/// </summary>
public static class ApiLoadHarness
{
    /// <summary>The kinds of request in the default mix, with their weights (out of 100; a hold is followed by its release).</summary>
    private static readonly (string Kind, int Weight)[] DefaultMix =
    [
        ("search", 30), ("lot read", 25), ("hold", 15), ("lot create", 5), ("lot edit", 7), ("demand post", 6), ("match inbox", 12),
    ];

    private static readonly string[] Kinds = ["search", "lot read", "hold", "release", "lot create", "lot edit", "demand post", "demand cancel", "match inbox"];

    /// <summary>
    /// Runs the harness: <c>--firms 40 --lots-per-firm 10 --seconds 10 --max-concurrency 256 --stop-p99-ms 100
    /// --warmup-seconds 20</c> (<c>--allocation-types 25</c> also lists the types allocated most per request, sampled), or <c>--levels 1,4,16</c> for exactly those concurrency steps (to compare two settings in
    /// the same conditions); <c>--mix "hold=1"</c> or <c>--mix "search=30,lot read=25"</c> runs other weights (kinds as in the
    /// default mix, a hold always followed by its release), the warm-up included, to measure what each kind costs alone. Each step also prints the process's CPU time, allocations and JIT work per request.
    /// <c>--open-demands 5</c> keeps at most that many of each firm's demands open: a demand post past it is followed by the
    /// cancel of the firm's oldest open demand (as a release follows its hold); by default (0) demands stay open all run,
    /// so every lot change meets more of them as the run goes on.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var firms = Option(args, "--firms", 40);
        var lotsPerFirm = Option(args, "--lots-per-firm", 10);
        var seconds = Option(args, "--seconds", 10);
        var maxConcurrency = Option(args, "--max-concurrency", 256);
        var stopP99Ms = Option(args, "--stop-p99-ms", 100);
        var warmupSeconds = Option(args, "--warmup-seconds", 20);
        var allocationTypes = Option(args, "--allocation-types", 0);
        var openDemands = Option(args, "--open-demands", 0);
        var mixAt = Array.IndexOf(args, "--mix");
        var mix = mixAt >= 0 && mixAt + 1 < args.Length ? ParseMix(args[mixAt + 1]) : DefaultMix;
        var levelsAt = Array.IndexOf(args, "--levels");
        int[]? levels = levelsAt >= 0 && levelsAt + 1 < args.Length
            ? args[levelsAt + 1].Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray()
            : null;
        var folder = Directory.CreateTempSubdirectory("marketplace-load-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["DataPath"] = folder,
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
            ["Storage:Sqlite:Synchronous"] = "FULL",
            ["Cluster:ServiceId"] = "load-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            // The harness measures the host, not its per-caller limits.
            ["Search:RateLimitPerMinute"] = "100000000",
            ["Identity:RateLimitPerMinute"] = "100000000",
            ["Identity:RegistrationsPerHour"] = "100000000",
            // One registrar person registers every firm these tests use.
            ["Identity:MaxFirmsPerPerson"] = "100000000",
            // The default mix never cancels a demand, so its firms pass the product's bound of open demands within a
            // minute; the bound is the product's answer to such a firm, not part of the mix being measured.
            ["Matching:MaxOpenDemandsPerBuyer"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Telemetry:Dashboard"] = "false",
        };
        foreach (var pair in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))
        {
            var (key, value) = (pair[2..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            settings[key] = value;
        }

        Console.WriteLine($"Mix: {string.Join(", ", mix.Select(m => $"{m.Kind} {m.Weight}"))}; open demands per firm: {(openDemands > 0 ? openDemands.ToString(CultureInfo.InvariantCulture) : "all (never cancelled)")}");
        Console.WriteLine($"Host settings: {string.Join(' ', settings.Where(s => s.Key.StartsWith("Storage", StringComparison.Ordinal) || s.Key.StartsWith("Identity", StringComparison.Ordinal)).Select(s => $"{s.Key}={s.Value}"))}");
        var app = MarketplaceApp.Create(settings.Select(kv => $"--{kv.Key}={kv.Value}").ToArray());
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = address,
                Timeout = TimeSpan.FromSeconds(60),
            };

            var setup = Stopwatch.StartNew();
            var grains = app.Services.GetRequiredService<IGrainFactory>();
            var callers = new List<Caller>();
            for (var i = 0; i < firms; i++)
            {
                var firm = await BenchmarkCluster.FirmAsync(grains, $"load-firm-{i:D3}-{Guid.NewGuid():N}"[..24], BusinessId(i), "seller", "buyer");
                await using var scope = app.Services.CreateAsyncScope();
                var created = await scope.ServiceProvider.GetRequiredService<ApiClientRegistry>()
                    .CreateAsync(firm, "load harness", string.Join(' ', ApiScopes.ForFirms), null, "load-harness");
                callers.Add(new Caller(firm, await ClientTokenAsync(http, created.Client.ClientId, created.ClientSecret)));
            }

            // Every firm's lots, published: the holds, reads and edits spread over all of them.
            var lots = new List<(string Id, Caller Seller)>();
            foreach (var caller in callers)
            {
                for (var j = 0; j < lotsPerFirm; j++)
                {
                    var id = (await SendAsync(http, caller, HttpMethod.Post, "/api/v1/listings", Lot(new Random(j), callers.IndexOf(caller))))!["id"]!.GetValue<string>();
                    await SendAsync(http, caller, HttpMethod.Post, $"/api/v1/listings/{id}/publish", null);
                    lots.Add((id, caller));
                    caller.OwnLots.Add(id);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Set up {firms} firms with API clients and tokens and {lots.Count} published lots in {setup.Elapsed.TotalSeconds:N1} s; {seconds} s per step (the first second not recorded)"));
            if (warmupSeconds > 0)
            {
                // The mix touches a wide stretch of code (EF, OpenIddict, Orleans, Lucene): tiered compilation is still
                // busy well after start, so the steps measure a host that has already run the mix for a while.
                var warmup = await RunStepAsync(http, callers, lots, mix, 2, TimeSpan.FromSeconds(warmupSeconds), openDemands);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Warm-up: the mix at 2 callers for {warmupSeconds} s ({warmup.Sent:N0} requests, {warmup.Costs.Per(warmup.Sent).CpuMs:0.00} ms of CPU per request, JIT {warmup.Costs.JitMethods:N0} methods in {warmup.Costs.JitMs:N0} ms), not recorded"));
            }
            Console.WriteLine();
            Console.WriteLine("| callers | requests/s | all p50 / p95 / p99 ms | " + string.Join(" | ", Kinds.Select(k => $"{k} per s: p50 / p95 / p99")) + " | identity-store reads per request | CPU ms per request | allocated KiB per request | JIT methods / ms | errors |");
            Console.WriteLine("| --- | --- | --- | " + string.Join(" | ", Kinds.Select(_ => "---")) + " | --- | --- | --- | --- | --- |");
            var tokenEntries = app.Services.GetRequiredService<TokenEntryCache>();
            using var sampler = allocationTypes > 0 ? new AllocationSampler() : null;
            var steps = levels ?? Enumerable.Range(0, 31).Select(i => 1 << i).TakeWhile(c => c <= maxConcurrency).ToArray();
            foreach (var concurrency in steps)
            {
                var readsBefore = tokenEntries.StoreReads;
                sampler?.Clear();
                sampler?.Recording = true;
                var step = await RunStepAsync(http, callers, lots, mix, concurrency, TimeSpan.FromSeconds(seconds), openDemands);
                sampler?.Recording = false;
                var reads = (double)(tokenEntries.StoreReads - readsBefore) / Math.Max(1, step.Sent);
                var perRequest = step.Costs.Per(step.Sent);
                var all = step.All;
                var kinds = string.Join(" | ", Kinds.Select(k => step.ByKind[k].TotalCount == 0
                    ? "-"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{step.ByKind[k].TotalCount / step.Seconds:N0}: {Ms(step.ByKind[k], 50):0.0} / {Ms(step.ByKind[k], 95):0.0} / {Ms(step.ByKind[k], 99):0.0}")));
                var errors = step.FirstError is null ? "0" : $"{step.Errors} (first: {step.FirstError})";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {concurrency} | {all.TotalCount / step.Seconds:N0} | {Ms(all, 50):0.0} / {Ms(all, 95):0.0} / {Ms(all, 99):0.0} | {kinds} | {reads:0.00} | {perRequest.CpuMs:0.00} | {perRequest.AllocatedKiB:N0} | {step.Costs.JitMethods:N0} / {step.Costs.JitMs:N0} | {errors} |"));
                if (sampler is not null)
                {
                    Console.WriteLine(string.Join(Environment.NewLine, sampler.Top(allocationTypes).Select(t => string.Create(CultureInfo.InvariantCulture,
                        $"  allocated (sampled): {t.Bytes / 1024.0 / Math.Max(1, step.Sent),8:N1} KiB per request  {t.Type}"))));
                }

                if (levels is null && Ms(all, 99) > stopP99Ms)
                {
                    break;
                }
            }

            return 0;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a finishing background task; the temp folder is cleaned by the OS.
            }
        }
    }

    private static async Task<Step> RunStepAsync(HttpClient http, List<Caller> callers, List<(string Id, Caller Seller)> lots,
        (string Kind, int Weight)[] mix, int concurrency, TimeSpan duration, int openDemands)
    {
        var total = mix.Sum(m => m.Weight);
        var step = new Step();
        var before = ProcessCosts.Now();
        var clock = Stopwatch.StartNew();
        var recordFrom = TimeSpan.FromSeconds(1);
        var end = recordFrom + duration;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random((concurrency * 1_000) + w);
            var caller = callers[w % callers.Count];
            while (clock.Elapsed < end)
            {
                var pick = random.Next(total);
                var kind = mix.First(m => (pick -= m.Weight) < 0).Kind;
                var lot = lots[random.Next(lots.Count)];
                switch (kind)
                {
                    case "search":
                        await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Get, (random.Next(3)) switch
                        {
                            0 => "/api/v1/listings/search?q=bricks",
                            1 => "/api/v1/listings/search?category=masonry&sort=price",
                            _ => "/api/v1/listings/search?q=tiili&near=60.19,24.95&radiusKm=30",
                        }, null);
                        break;
                    case "lot read":
                        await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Get, $"/api/v1/listings/{lot.Id}", null);
                        break;
                    case "hold":
                        while (lot.Seller == caller)
                        {
                            lot = lots[random.Next(lots.Count)];
                        }

                        var hold = await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Post, $"/api/v1/listings/{lot.Id}/holds",
                            new JsonObject { ["quantity"] = 1, ["until"] = DateTimeOffset.UtcNow.AddDays(2).ToString("O") });
                        if (hold?["hold"]?["id"]?.GetValue<string>() is { } holdId)
                        {
                            await TimedAsync(step, clock, recordFrom, "release", http, caller, HttpMethod.Delete, $"/api/v1/listings/{lot.Id}/holds/{holdId}", null);
                        }

                        break;
                    case "lot create":
                        await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Post, "/api/v1/listings", Lot(random, w));
                        break;
                    case "lot edit":
                        var own = caller.OwnLots[random.Next(caller.OwnLots.Count)];
                        await TimedAsync(step, clock, recordFrom, kind, http, caller, new HttpMethod("PATCH"), $"/api/v1/listings/{own}",
                            new JsonObject { ["description"] = $"Cleaned and on pallets, edit {random.Next(1_000_000)}." });
                        break;
                    case "demand post":
                        var demand = await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Post, "/api/v1/demands", Demand(random));
                        if (openDemands > 0 && demand?["id"]?.GetValue<string>() is { } demandId)
                        {
                            string? oldest = null;
                            lock (caller.OpenDemands)
                            {
                                caller.OpenDemands.Enqueue(demandId);
                                if (caller.OpenDemands.Count > openDemands)
                                {
                                    oldest = caller.OpenDemands.Dequeue();
                                }
                            }

                            if (oldest is not null)
                            {
                                await TimedAsync(step, clock, recordFrom, "demand cancel", http, caller, HttpMethod.Post, $"/api/v1/demands/{oldest}/cancel", null);
                            }
                        }

                        break;
                    default:
                        await TimedAsync(step, clock, recordFrom, kind, http, caller, HttpMethod.Get, "/api/v1/matches?limit=20", null);
                        break;
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        step.Seconds = (clock.Elapsed - recordFrom).TotalSeconds;
        step.Costs = ProcessCosts.Now() - before;
        return step;
    }

    /// <summary>Sends one request; records its latency when the step is past its first second; returns the JSON answer of a success.</summary>
    private static async Task<JsonObject?> TimedAsync(Step step, Stopwatch clock, TimeSpan recordFrom, string kind, HttpClient http, Caller caller,
        HttpMethod method, string path, JsonObject? body)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref step.Sent);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = caller.Authorization;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var elapsed = Stopwatch.GetTimestamp() - started;
        if (clock.Elapsed >= recordFrom)
        {
            lock (step)
            {
                step.All.RecordValue(elapsed);
                step.ByKind[kind].RecordValue(elapsed);
                if (!response.IsSuccessStatusCode)
                {
                    step.Errors++;
                    step.FirstError ??= $"{kind} {(int)response.StatusCode}";
                }
            }
        }

        return response.IsSuccessStatusCode && text.StartsWith('{') ? JsonNode.Parse(text) as JsonObject : null;
    }

    private static async Task<JsonObject?> SendAsync(HttpClient http, Caller caller, HttpMethod method, string path, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = caller.Authorization;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return text.StartsWith('{') ? JsonNode.Parse(text) as JsonObject : null;
    }

    private static async Task<string> ClientTokenAsync(HttpClient http, string clientId, string secret)
    {
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = string.Join(' ', ApiScopes.ForFirms),
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body?["access_token"]?.GetValue<string>() ?? throw new InvalidOperationException($"no token for {clientId}: {(int)response.StatusCode} {body}");
    }

    /// <summary>A lot of bricks around Helsinki (the places spread so that searches near a place find some, not all).</summary>
    private static JsonObject Lot(Random random, int firm) => new()
    {
        ["title"] = "Reclaimed red clay bricks",
        ["description"] = "From a 1950s facade, cleaned, on pallets of 500.",
        ["category"] = random.Next(2) == 0 ? "masonry/bricks" : "masonry/bricks/clay",
        ["quantity"] = 1_000_000,
        ["unit"] = "pcs",
        ["condition"] = "A",
        ["unitPrice"] = new JsonObject { ["minorUnits"] = 40 + random.Next(20), ["currency"] = "EUR" },
        ["location"] = new JsonObject
        {
            ["latitude"] = Math.Round(60.1 + (random.NextDouble() * 0.5), 5), ["longitude"] = Math.Round(24.5 + (random.NextDouble() * 1.0), 5),
            ["address"] = $"Hämeentie {1 + (firm % 100)}", ["municipality"] = "Helsinki",
        },
        ["pickup"] = true,
        ["delivery"] = false,
        ["availability"] = new JsonObject
        {
            ["from"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(120)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        },
    };

    private static JsonObject Demand(Random random) => new()
    {
        ["category"] = "masonry",
        ["quantity"] = 100 + random.Next(500),
        ["unit"] = "pcs",
        ["minPart"] = 1,
        ["minCondition"] = "B",
        ["maxUnitPrice"] = new JsonObject { ["minorUnits"] = 50, ["currency"] = "EUR" },
        ["location"] = new JsonObject { ["latitude"] = Math.Round(60.1 + (random.NextDouble() * 0.5), 5), ["longitude"] = Math.Round(24.5 + random.NextDouble(), 5) },
        ["radiusKm"] = 20,
        ["window"] = new JsonObject
        {
            ["from"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(5)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(30)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        },
    };

    /// <summary>Reads <c>kind=weight,...</c> (kinds of the default mix; a release comes with its hold and has no weight of its own).</summary>
    private static (string Kind, int Weight)[] ParseMix(string text)
    {
        var mix = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var at = part.IndexOf('=', StringComparison.Ordinal);
            var kind = at < 0 ? part : part[..at].Trim();
            var weight = at < 0 ? 1 : int.Parse(part[(at + 1)..], CultureInfo.InvariantCulture);
            if (!DefaultMix.Any(m => m.Kind == kind) || weight < 0)
            {
                throw new ArgumentException($"--mix: '{part}' is not kind=weight with a kind of {string.Join(", ", DefaultMix.Select(m => m.Kind))}");
            }

            return (kind, weight);
        }).Where(m => m.weight > 0).ToArray();
        return mix.Length > 0 ? mix : throw new ArgumentException("--mix: no kind has a weight above 0");
    }

    private static double Ms(LongHistogram histogram, double percentile)
        => histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string BusinessId(int n)
    {
        for (var serial = 7_100_000 + (n * 10); ; serial++)
        {
            var digits = serial.ToString("D7", CultureInfo.InvariantCulture);
            if (Domain.Traders.BusinessId.CheckDigitFor(digits) is { } check)
            {
                return $"{digits}-{check}";
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A firm calling the API with its client's token.</summary>
    private sealed class Caller(string firm, string token)
    {
        public string Firm { get; } = firm;

        public AuthenticationHeaderValue Authorization { get; } = new("Bearer", token);

        public List<string> OwnLots { get; } = [];

        /// <summary>The firm's demands posted and not yet cancelled, oldest first (kept only with <c>--open-demands</c>).</summary>
        public Queue<string> OpenDemands { get; } = new();
    }

    /// <summary>What one concurrency step recorded.</summary>
    private sealed class Step
    {
        public LongHistogram All { get; } = new(TimeStamp.Minutes(1), 3);

        public Dictionary<string, LongHistogram> ByKind { get; } = Kinds.ToDictionary(k => k, _ => new LongHistogram(TimeStamp.Minutes(1), 3));

        /// <summary>Requests sent during the step, the unrecorded first second included (identity-store reads, CPU and allocations are counted over the same span).</summary>
        public long Sent;

        public long Errors { get; set; }

        public string? FirstError { get; set; }

        public double Seconds { get; set; }

        /// <summary>What the whole process (host and load generator together) spent during the step, its first second included.</summary>
        public ProcessCosts Costs { get; set; }
    }

    /// <summary>
    /// The process's CPU time, allocations and JIT work: the host and the load generator share the process, so a
    /// request's CPU is an upper bound of the host's share.
    /// </summary>
    private readonly record struct ProcessCosts(TimeSpan Cpu, long Allocated, long JitMethods, double JitMs)
    {
        public double CpuMs => Cpu.TotalMilliseconds;

        public double AllocatedKiB => Allocated / 1024.0;

        public static ProcessCosts Now() => new(
            Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), System.Runtime.JitInfo.GetCompiledMethodCount(),
            System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds);

        public static ProcessCosts operator -(ProcessCosts a, ProcessCosts b)
            => new(a.Cpu - b.Cpu, a.Allocated - b.Allocated, a.JitMethods - b.JitMethods, a.JitMs - b.JitMs);

        public ProcessCosts Per(long requests) => requests == 0
            ? this
            : new(Cpu / requests, Allocated / requests, JitMethods, JitMs);
    }
}
