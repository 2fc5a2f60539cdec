using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Marketplace.Grains.Storage;

/// <summary>One stored grain state, read straight from grain storage: the grain's key and the state as stored (JSON).</summary>
/// <param name="Key">The grain's primary key (the part of its grain id after <c>type/</c>).</param>
/// <param name="Payload">The state in <see cref="MarketplaceStorageSerializer"/>'s shape.</param>
public readonly record struct StoredGrainState(string Key, BinaryData Payload)
{
    /// <summary>The state as <typeparamref name="T"/>, upgraded from an older stored shape as grain storage would.</summary>
    public T? As<T>() => MarketplaceStorageSerializer.Instance.Deserialize<T>(Payload);

    /// <summary>The state's top-level <c>version</c> number (0 when it has none), read without materialising the state.</summary>
    public long Version()
    {
        var reader = new Utf8JsonReader(Payload.ToMemory().Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVersion = reader.ValueTextEquals("version"u8);
            reader.Read();
            if (isVersion)
            {
                return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var version) ? version : 0;
            }

            reader.Skip();
        }

        return 0;
    }
}

/// <summary>
/// Reads every grain state of one kind from the configured grain storage, in pages, without activating grains: what the
/// projections (the search index, the matching partitions, the inboxes) are rebuilt from. One implementation per
/// storage provider, each reading the provider's own layout.
/// </summary>
public interface IGrainStateArchive
{
    /// <summary>Rows per page unless the caller asks otherwise (Azure Table serves at most 1,000 per request).</summary>
    const int DefaultPageSize = 1000;

    /// <summary>False when the provider cannot be enumerated (Orleans' memory storage, used by tests).</summary>
    bool CanEnumerate { get; }

    /// <summary>
    /// Every stored state named <paramref name="stateName"/> of grains of type <paramref name="grainType"/> (for example
    /// <c>listing</c>), at most <paramref name="pageSize"/> per page. Each page is read in its own request, so nothing is
    /// held open between pages; states written during the enumeration may or may not be seen.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<StoredGrainState>> PagesAsync(string grainType, string stateName, int pageSize = DefaultPageSize, CancellationToken cancellationToken = default);

    /// <summary>How many states of that kind are stored.</summary>
    Task<long> CountAsync(string grainType, string stateName, CancellationToken cancellationToken = default);
}

/// <summary>Conveniences over <see cref="IGrainStateArchive"/>.</summary>
public static class GrainStateArchiveExtensions
{
    /// <summary>Every stored state of the kind, page after page.</summary>
    public static async IAsyncEnumerable<StoredGrainState> StatesAsync(this IGrainStateArchive archive, string grainType, string stateName,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in archive.PagesAsync(grainType, stateName, IGrainStateArchive.DefaultPageSize, cancellationToken))
        {
            foreach (var state in page)
            {
                yield return state;
            }
        }
    }
}

/// <summary>The archive of a provider that cannot be enumerated: it reads nothing and says so.</summary>
public sealed class UnavailableGrainStateArchive : IGrainStateArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => false;

    /// <inheritdoc />
    public IAsyncEnumerable<IReadOnlyList<StoredGrainState>> PagesAsync(string grainType, string stateName, int pageSize = IGrainStateArchive.DefaultPageSize,
        CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<IReadOnlyList<StoredGrainState>>();

    /// <inheritdoc />
    public Task<long> CountAsync(string grainType, string stateName, CancellationToken cancellationToken = default) => Task.FromResult(0L);
}
