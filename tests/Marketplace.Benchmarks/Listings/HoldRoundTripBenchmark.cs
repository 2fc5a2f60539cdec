using Marketplace.Testing;
using BenchmarkDotNet.Attributes;
using Marketplace.Grains.Listings;
using Orleans.TestingHost;

namespace Marketplace.Benchmarks.Listings;

/// <summary>
/// A buyer holds part of a lot and releases it again, through the cluster client into the listing grain: two grain
/// calls and two durable state writes per operation.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class HoldRoundTripBenchmark
{
    private InProcessTestCluster _cluster = null!;
    private IListingGrain _lot = null!;
    private string _buyer = "";
    private int _next;

    /// <summary>Grain storage: Memory (grain and messaging cost only) or Sqlite (the embedded default, synchronous=FULL).</summary>
    [Params("Memory", "Sqlite")]
    public string Storage { get; set; } = "Memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-bench-").FullName;
        _cluster = await TestClusters.StartAsync(new()
        {
            ["Storage:Provider"] = Storage,
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "bench.db"),
        });
        var grains = _cluster.Client;
        var seller = await BenchmarkCluster.FirmAsync(grains, "bench-seller", "1572860-0", "seller");
        _buyer = await BenchmarkCluster.FirmAsync(grains, "bench-buyer", "0112038-9", "buyer");
        _lot = grains.GetGrain<IListingGrain>("bench-lot");
        await _lot.CreateAsync(seller, BenchmarkCluster.Bricks(1_000_000));
        await _lot.PublishAsync(seller);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _cluster.DisposeAsync();

    [Benchmark(Description = "hold + release through ListingGrain")]
    public async Task HoldAndReleaseAsync()
    {
        var holdId = "h" + Interlocked.Increment(ref _next);
        await _lot.PlaceHoldAsync(_buyer, holdId, 400, DateTimeOffset.UtcNow.AddDays(7));
        await _lot.ReleaseHoldAsync(_buyer, holdId);
    }
}
