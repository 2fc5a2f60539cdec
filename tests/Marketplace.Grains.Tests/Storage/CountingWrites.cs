using System.Collections.Concurrent;
using Marketplace.Grains.Storage;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>Grain storage that notes the size of every state it writes (the paged records' tests).</summary>
internal sealed class CountingWrites(IGrainStorage inner) : IGrainStorage
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
