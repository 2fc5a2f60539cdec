using Marketplace.Grains.Storage;
using Orleans.Concurrency;

namespace Marketplace.Grains.Health;

/// <summary>Proves the silo activates grains and reaches grain storage.</summary>
public interface IReadinessGrain : IGrainWithIntegerKey
{
    /// <summary>Reads this grain's state from storage.</summary>
    Task CheckStorageAsync();
}

/// <summary>Stateless worker so readiness probes never queue behind each other on one activation.</summary>
[StatelessWorker]
public sealed class ReadinessGrain(
    [PersistentState("readiness", StorageOptions.StoreName)] IPersistentState<ReadinessState> state) : Grain, IReadinessGrain
{
    /// <inheritdoc />
    public Task CheckStorageAsync() => state.ReadStateAsync();
}

/// <summary>Empty state: only the round trip to storage matters.</summary>
public sealed class ReadinessState
{
    /// <summary>Unused.</summary>
    public int Unused { get; set; }
}
