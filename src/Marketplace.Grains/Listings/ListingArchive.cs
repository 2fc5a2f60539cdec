using System.Runtime.CompilerServices;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Listings;

/// <summary>
/// Reads every stored lot straight from grain storage, without activating grains: what projections rebuild from
/// (the search index's catch-up after a crash, and <c>reindex</c>).
/// </summary>
public interface IListingArchive
{
    /// <summary>False when the storage provider cannot be enumerated (memory storage).</summary>
    bool CanEnumerate { get; }

    /// <summary>How many lots are stored.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored lot's id and version.</summary>
    IAsyncEnumerable<(string Id, long Version)> VersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored lot (or those in <paramref name="ids"/>).</summary>
    IAsyncEnumerable<Listing> ListingsAsync(IReadOnlySet<string>? ids = null, CancellationToken cancellationToken = default);
}

/// <summary>Lots (grain type <c>listing</c>, state <c>listing</c>) in whichever grain storage <paramref name="states"/> reads.</summary>
public sealed class ListingArchive(IGrainStateArchive states) : IListingArchive
{
    private const string GrainType = "listing";
    private const string StateName = "listing";

    /// <inheritdoc />
    public bool CanEnumerate => states.CanEnumerate;

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken = default) => states.CountAsync(GrainType, StateName, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Id, long Version)> VersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var state in states.StatesAsync(GrainType, StateName, cancellationToken))
        {
            yield return (state.Key, state.Version());
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Listing> ListingsAsync(IReadOnlySet<string>? ids = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var state in states.StatesAsync(GrainType, StateName, cancellationToken))
        {
            if ((ids is null || ids.Contains(state.Key)) && state.As<Listing>() is { Exists: true } listing)
            {
                yield return listing;
            }
        }
    }
}
