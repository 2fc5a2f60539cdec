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
}

/// <summary>The sink when nothing subscribes.</summary>
public sealed class NoListingChangeSink : IListingChangeSink
{
    /// <inheritdoc />
    public void Stored(Listing listing)
    {
    }
}
