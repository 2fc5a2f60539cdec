using Marketplace.Domain.Listings;

namespace Marketplace.Grains.Listings;

/// <summary>
/// Told of every lot state the listing grain has stored, before the grain answers its caller; projections such as the
/// search index subscribe here. Called on the grain's turn: take a snapshot and return at once.
/// </summary>
public interface IListingChangeSink
{
    /// <summary>The lot as it was just stored.</summary>
    void Stored(Listing listing);

    /// <summary>
    /// The lot as it was just stored, its details (everything a projection shows but the quantities and the status)
    /// and listing time unchanged since version <paramref name="detailsSince"/>: a projection holding the lot at that
    /// version or later need not rebuild what derives from them.
    /// </summary>
    void Stored(Listing listing, long detailsSince) => Stored(listing);

    /// <summary>
    /// Many lots just stored without their grains (a bulk import's batch): unlike <see cref="Stored(Listing)"/>, this may wait for
    /// room, so a projection slower than the import holds the import back instead of falling behind.
    /// </summary>
    ValueTask StoredManyAsync(IReadOnlyList<Listing> listings, CancellationToken cancellationToken)
    {
        foreach (var listing in listings)
        {
            Stored(listing);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The sink when nothing subscribes.</summary>
public sealed class NoListingChangeSink : IListingChangeSink
{
    /// <inheritdoc />
    public void Stored(Listing listing)
    {
    }
}
