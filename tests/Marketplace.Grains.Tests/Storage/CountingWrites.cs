using System.Collections.Concurrent;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>Grain storage that notes the size of every state it writes (the paged records' tests).</summary>
public sealed class CountingWrites(IGrainStorage inner) : IGrainStorage
{
    public IGrainStorage Inner => inner;

    public ConcurrentQueue<(string StateName, int Bytes)> Written { get; } = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Written.Enqueue((stateName, MarketplaceStorageSerializer.Instance.Serialize(grainState.State).ToMemory().Length));
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

/// <summary>
/// A one-silo test cluster on SQLite, in a folder of its own, whose grain storage is <see cref="CountingWrites"/>: the
/// base of the paged records' tests, which check what a change writes.
/// </summary>
public abstract class CountingSqliteCluster(string name) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory($"marketplace-{name}-").FullName;

    /// <summary>The running cluster.</summary>
    protected InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The silo's grain storage, noting each state it writes.</summary>
    protected CountingWrites Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        Cluster = await TestClusters.StartAsync(settings, configure: silo =>
        {
            Configure(silo);
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageOptions.StoreName, (sp, _) =>
                new CountingWrites(ActivatorUtilities.CreateInstance<SqliteGrainStorage>(sp, MarketplaceStorageSerializer.Instance)));
        });
        Storage = (CountingWrites)Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>More of the silo's set-up (a test clock, say), before the counting storage is added.</summary>
    protected virtual void Configure(ISiloBuilder silo)
    {
    }
}
