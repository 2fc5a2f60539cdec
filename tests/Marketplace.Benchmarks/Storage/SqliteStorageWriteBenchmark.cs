using BenchmarkDotNet.Attributes;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Marketplace.Benchmarks.Storage;

/// <summary>One write, and one read, of a listing's state (a lot with a few holds, ~2 KB of JSON) through the SQLite grain storage.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class SqliteStorageWriteBenchmark
{
    private SqliteGrainStorage _storage = null!;
    private GrainState<Listing> _state = null!;
    private readonly GrainId _grainId = GrainId.Create("listing", "bench-lot");
    private string _folder = "";

    /// <summary>SQLite durability: FULL (default, survives power loss) or NORMAL (survives a process crash).</summary>
    [Params("FULL", "NORMAL")]
    public string Synchronous { get; set; } = "FULL";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Directory.CreateTempSubdirectory("marketplace-bench-sqlite-").FullName;
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_folder, "bench.db"), Synchronous = Synchronous });
        _storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "bench" }), MarketplaceStorageSerializer.Instance);
        var now = DateTimeOffset.UtcNow;
        var lot = Listing.Create("bench-lot", "seller", Marketplace.Benchmarks.BenchmarkCluster.Bricks(1000), MaterialTaxonomy.Default, now);
        lot.Publish(now);
        for (var i = 0; i < 5; i++)
        {
            lot.PlaceHold($"h{i}", "buyer", 10, now.AddDays(3), now);
        }

        _state = new GrainState<Listing>(lot);
        await _storage.WriteStateAsync("listing", _grainId, _state);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "SQLite grain storage write")]
    public Task WriteAsync() => _storage.WriteStateAsync("listing", _grainId, _state);

    [Benchmark(Description = "SQLite grain storage read")]
    public Task ReadAsync() => _storage.ReadStateAsync("listing", _grainId, new GrainState<Listing>());
}
