using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using Marketplace.Grains.Imports;
using Marketplace.Host;
using Marketplace.Host.Seed;
using Marketplace.Search;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Benchmarks.Web;

/// <summary>
/// Page timings: the real host (SQLite grain storage, the embedded Lucene index) seeded with N lots by the seeder through
/// the bulk import path (the lots' grains activate when a page first asks for them, as after a restart), then
/// the search page and lots' pages requested one at a time over loopback, in Finnish; prints p50/p95/p99 per page. The
/// time is taken at the client from the request to the last byte, so it includes the loopback hop: an upper bound of
/// the server's time. Target (issue 12): p95 ≤ 50 ms for both pages at 100,000 lots.
/// </summary>
public static class PageHarness
{
    /// <summary>Search pages as people use them: text, place and radius, category browse, sorts, price filters, facets on every one.</summary>
    private static readonly string[] Searches =
    [
        "/search?q=tiili", "/search?q=bricks&place=Vantaa&radiusKm=30", "/search?category=metals", "/search?q=ikkuna&sort=price",
        "/search?category=masonry%2Fbricks&condition=B&place=Espoo&sort=distance", "/search?sort=newest", "/search?q=timber&minPrice=1&maxPrice=50",
        "/search", "/search?category=timber&place=Helsinki&radiusKm=50&sort=distance", "/search?q=ovi&category=windows-doors",
    ];

    /// <summary>The machine's 1, 5 and 15 minute load averages (the CPU is shared: read figures against them).</summary>
    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Runs the harness: <c>--listings N</c> (default 100,000), <c>--requests N</c> per page (default 1,000).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var listings = Option(args, "--listings", 100_000);
        var requests = Option(args, "--requests", 1_000);
        var port = FreePort();
        var data = Path.Combine(Path.GetTempPath(), "marketplace-page-harness", Guid.NewGuid().ToString("N"));
        Console.WriteLine($"Page harness: {listings:N0} lots, {requests:N0} requests per page");
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        var app = MarketplaceApp.Create([
            $"--urls=http://127.0.0.1:{port}", $"--DataPath={data}", "--Storage:Provider=Sqlite", $"--Storage:Sqlite:Path={Path.Combine(data, "grains.db")}",
            $"--Cluster:SiloPort={FreePort()}", $"--Cluster:GatewayPort={FreePort()}", "--Logging:LogLevel:Default=Warning",
            "--Search:RateLimitPerMinute=1000000",
        ]);
        await app.StartAsync();
        try
        {
            var started = Stopwatch.StartNew();
            await SeedCommand.SeedAsync(app.Services.GetRequiredService<IGrainFactory>(), TimeProvider.System, listings, TextWriter.Null,
                app.Services.GetRequiredService<LotImporter>());
            var published = Enumerable.Range(0, listings).Count(SeedCommand.IsPublished);
            var engine = app.Services.GetRequiredService<ISearchEngine>();
            while ((await engine.SearchAsync(new SearchQuery { Limit = 1 }, CancellationToken.None)).Total < published)
            {
                await Task.Delay(500);
            }

            Console.WriteLine($"Seeded and indexed {listings:N0} lots ({published:N0} on the market) in {started.Elapsed.TotalSeconds:N0} s; load average {LoadAverage()}");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("fi");
            var random = new Random(7);
            var lots = Enumerable.Range(0, requests * 2).Select(_ => random.Next(0, listings)).Where(SeedCommand.IsPublished).Take(requests)
                .Select(i => $"/lots/seed-lot-{i:D7}").ToArray();
            var searches = Enumerable.Range(0, requests).Select(i => Searches[i % Searches.Length]).ToArray();
            await MeasureAsync(http, "warm-up", [.. searches.Take(100), .. lots.Take(100)], print: false);
            await MeasureAsync(http, "search page", searches, print: true);
            await MeasureAsync(http, "lot page", lots, print: true);
            return 0;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }

    private static async Task MeasureAsync(HttpClient http, string name, string[] paths, bool print)
    {
        var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
        foreach (var path in paths)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path);
            await response.Content.LoadIntoBufferAsync();
            var elapsed = Stopwatch.GetTimestamp() - started;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode}");
            }

            histogram.RecordValue(elapsed);
        }

        if (print)
        {
            double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-12} {paths.Length,6:N0} requests  p50 {Ms(50),7:F1} ms  p95 {Ms(95),7:F1} ms  p99 {Ms(99),7:F1} ms  max {Ms(100),7:F1} ms  (load average {LoadAverage()})"));
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
