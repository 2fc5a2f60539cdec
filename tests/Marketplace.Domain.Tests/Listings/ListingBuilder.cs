using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Listings;

/// <summary>Valid lots for tests, changed with <c>with</c> where a test needs something else.</summary>
internal static class ListingBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    public static ListingDetails Bricks(decimal quantity = 1000) => new()
    {
        Title = "Reclaimed red bricks",
        Description = "Cleaned, on pallets.",
        Category = "masonry/bricks",
        Quantity = quantity,
        Unit = "pcs",
        Condition = "A",
        UnitPrice = Money.Eur(45),
        Location = new ListingLocation(60.1699, 24.9384, "Hämeentie 1", "Helsinki"),
        Availability = new DateWindow(new DateOnly(2026, 11, 1), new DateOnly(2027, 3, 31)),
    };

    public static Listing Active(decimal quantity = 1000)
    {
        var listing = Listing.Create("lot-1", "seller", Bricks(quantity), MaterialTaxonomy.Default, Now);
        listing.Publish(Now);
        return listing;
    }
}
