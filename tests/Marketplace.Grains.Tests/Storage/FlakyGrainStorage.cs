using System.Collections.Concurrent;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>
/// In-memory grain storage whose writes fail on demand: a test names which writes fail (by state name, grain and
/// state) and counts the failures. States are stored serialized, so a failed write leaves the stored state untouched.
/// </summary>
public sealed class FlakyGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string, GrainId), (long ETag, BinaryData Payload)> _rows = new();
    private int _failures;

    /// <summary>Which writes fail: given the state name, the grain and the state about to be written.</summary>
    public Func<string, GrainId, object?, bool>? FailWrites { get; set; }

    /// <summary>How many writes have failed so far.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Uses this storage as the marketplace store of a test silo.</summary>
    public static void Use(ISiloBuilder silo)
        => silo.Services.AddKeyedSingleton<IGrainStorage>(StorageOptions.StoreName, (_, _) => new FlakyGrainStorage());

    /// <summary>The storage of a cluster's first silo.</summary>
    public static FlakyGrainStorage Of(InProcessTestCluster cluster)
        => (FlakyGrainStorage)cluster.Silos[0].SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);

    /// <summary>The stored state of a grain, or null when none is stored.</summary>
    public T? Stored<T>(string stateName, GrainId grainId)
        => _rows.TryGetValue((stateName, grainId), out var row) ? MarketplaceStorageSerializer.Instance.Deserialize<T>(row.Payload) : default;

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_rows.TryGetValue((stateName, grainId), out var row))
        {
            grainState.ETag = row.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture);
            grainState.State = MarketplaceStorageSerializer.Instance.Deserialize<T>(row.Payload);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (FailWrites?.Invoke(stateName, grainId, grainState.State) == true)
        {
            Interlocked.Increment(ref _failures);
            throw new IOException($"Simulated storage failure writing {stateName} of {grainId}.");
        }

        var payload = MarketplaceStorageSerializer.Instance.Serialize(grainState.State);
        var key = (stateName, grainId);
        var expected = grainState.ETag is null ? 0 : long.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture);
        lock (_rows)
        {
            var current = _rows.TryGetValue(key, out var row) ? row.ETag : 0;
            if (current != expected)
            {
                throw new InconsistentStateException($"ETag {grainState.ETag} is stale; storage has {current}.", current.ToString(System.Globalization.CultureInfo.InvariantCulture), grainState.ETag);
            }

            _rows[key] = (current + 1, payload);
            grainState.ETag = (current + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _rows.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }
}
