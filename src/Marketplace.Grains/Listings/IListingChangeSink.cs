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
    /// Many lots just stored without their grains (a bulk import's batch): unlike <see cref="Stored"/>, this may wait for
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
