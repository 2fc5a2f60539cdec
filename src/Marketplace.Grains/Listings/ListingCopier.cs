using Marketplace.Domain.Listings;
using Orleans.Serialization.Cloning;

namespace Marketplace.Grains.Listings;

/// <summary>
/// A lot crosses a grain call as a snapshot (<see cref="Listing.Snapshot"/>) instead of the JSON codec's copy: the
/// caller still gets a lot no grain shares, without the lot being written out and parsed again. The answers of
/// <c>CreateAsync</c> and <c>PublishAsync</c> were about 4 % of what a matching change allocated (match8's trace).
/// </summary>
[RegisterCopier]
internal sealed class ListingCopier : IDeepCopier<Listing>
{
    /// <inheritdoc />
    public Listing? DeepCopy(Listing? input, CopyContext context) => input?.Snapshot();
}
