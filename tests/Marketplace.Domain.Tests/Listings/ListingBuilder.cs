using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Listings;

/// <summary>Lots on a fixed clock for domain tests (the details are the shared <see cref="SampleLots.Bricks"/>).</summary>
internal static class ListingBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Bricks available over a fixed winter, so domain tests do not depend on the day they run.</summary>
    public static ListingDetails Bricks(decimal quantity = 1000)
        => SampleLots.Bricks(quantity, new DateWindow(new DateOnly(2026, 11, 1), new DateOnly(2027, 3, 31)));

    public static Listing Active(decimal quantity = 1000)
    {
        var listing = Listing.Create("lot-1", "seller", Bricks(quantity), MaterialTaxonomy.Default, Now);
        listing.Publish(Now);
        return listing;
    }
}
