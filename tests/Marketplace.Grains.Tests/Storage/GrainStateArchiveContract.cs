using Marketplace.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>What every enumerable grain storage must do for the rebuilds: read every state of one kind, in pages; run against SQLite and Azure Table on Azurite.</summary>
public abstract class GrainStateArchiveContract
{
    /// <summary>A state of the shape the archive reads a version from.</summary>
    public sealed record ProbeState
    {
        public long Version { get; init; }

        public string Name { get; init; } = "";
    }

    /// <summary>Settings for a cluster on this provider; the same store for every call within one test.</summary>
    protected abstract Dictionary<string, string?> Settings();

    [Fact]
    public async Task PagesAsync_ReadsEveryStateOfTheKind_InPagesOfTheAskedSize()
    {
        var serviceId = "archive-" + Guid.NewGuid().ToString("N")[..8];
        await using var cluster = await TestClusters.StartAsync(Settings(), serviceId);
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        var written = new Dictionary<string, long>();
        for (var i = 0; i < 23; i++)
        {
            var key = $"lot-{i:D2}-{Guid.NewGuid():N}";
            written[key] = 100 + i;
            await WriteAsync(storage, "listing", key, "listing", new ProbeState { Version = 100 + i, Name = key });
        }

        // Not of the kind: another state name of the same grain type, a grain type the first is a prefix of, and a cleared state.
        await WriteAsync(storage, "listing", "lot-other-state", "photos", new ProbeState { Version = 1, Name = "photos" });
        await WriteAsync(storage, "listingx", "lot-other-type", "listing", new ProbeState { Version = 1, Name = "listingx" });
        var cleared = await WriteAsync(storage, "listing", "lot-cleared", "listing", new ProbeState { Version = 1, Name = "cleared" });
        await storage.ClearStateAsync("listing", GrainId.Create("listing", "lot-cleared"), cleared);

        var archive = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainStateArchive>();
        Assert.True(archive.CanEnumerate);
        var pages = await archive.PagesAsync("listing", "listing", pageSize: 10).ToListAsync();

        Assert.Equal([10, 10, 3], pages.Select(p => p.Count));
        var read = pages.SelectMany(p => p).ToDictionary(s => s.Key, s => (s.Version(), s.As<ProbeState>()!.Name));
        Assert.Equal(written.OrderBy(kv => kv.Key), read.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Item1)).OrderBy(kv => kv.Key));
        Assert.All(read, kv => Assert.Equal(kv.Key, kv.Value.Name));
        Assert.Equal(23, await archive.CountAsync("listing", "listing"));
        Assert.Equal(23, await archive.StatesAsync("listing", "listing").CountAsync());
    }

    [Fact]
    public async Task PagesAsync_OfAnotherServiceOrAnEmptyKind_ReadsNothing()
    {
        var settings = Settings();
        await using var cluster = await TestClusters.StartAsync(settings, "archive-" + Guid.NewGuid().ToString("N")[..8]);
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        await WriteAsync(storage, "demand", "d-1", "demand", new ProbeState { Version = 1, Name = "d-1" });

        var options = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(StorageOptions.Section).Get<StorageOptions>()!;
        var otherService = GrainStateArchives.Open(options, "another-service");
        var archive = cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainStateArchive>();

        Assert.Empty(await otherService.PagesAsync("demand", "demand").ToListAsync());
        Assert.Equal(0, await otherService.CountAsync("demand", "demand"));
        Assert.Empty(await archive.PagesAsync("listing", "listing").ToListAsync());
        Assert.Single(await archive.StatesAsync("demand", "demand").ToListAsync());
    }

    private static async Task<GrainState<ProbeState>> WriteAsync(IGrainStorage storage, string grainType, string key, string stateName, ProbeState state)
    {
        var grainState = new GrainState<ProbeState>();
        var grainId = GrainId.Create(grainType, key);
        await storage.ReadStateAsync(stateName, grainId, grainState);
        grainState.State = state;
        await storage.WriteStateAsync(stateName, grainId, grainState);
        return grainState;
    }
}

/// <summary>The archive contract on the embedded SQLite provider, in a fresh file per test.</summary>
public sealed class SqliteGrainStateArchiveContract : GrainStateArchiveContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-archive-").FullName;

    protected override Dictionary<string, string?> Settings() => ContractStores.Sqlite(_folder);

    public void Dispose() => ContractStores.DeleteSqlite(_folder);
}

/// <summary>The archive contract on Azure Table storage (Orleans' layout), against the Azurite that <c>./test.sh</c> starts.</summary>
public sealed class AzureTableGrainStateArchiveContract : GrainStateArchiveContract
{
    private readonly string _table = "Archive" + Guid.NewGuid().ToString("N")[..12];

    protected override Dictionary<string, string?> Settings() => ContractStores.AzureTable(_table);
}
