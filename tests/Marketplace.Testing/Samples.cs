using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;

namespace Marketplace.Testing;

/// <summary>Valid lots for tests, changed with <c>with</c> where a test needs something else.</summary>
public static class SampleLots
{
    /// <summary>Helsinki's centre.</summary>
    public static readonly GeoPoint Helsinki = new(60.1699, 24.9384);

    /// <summary>Today's date in UTC, the base of windows that must be open when a test runs on the real clock.</summary>
    public static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    /// <summary>A window from yesterday to <paramref name="days"/> days ahead.</summary>
    public static DateWindow Open(int days = 90) => new(Today.AddDays(-1), Today.AddDays(days));

    /// <summary>A lot of reclaimed bricks in Helsinki, available in <paramref name="availability"/> (default <see cref="Open"/>).</summary>
    public static ListingDetails Bricks(decimal quantity = 1000, DateWindow? availability = null) => new()
    {
        Title = "Reclaimed red bricks",
        Description = "Cleaned, on pallets.",
        Category = "masonry/bricks",
        Quantity = quantity,
        Unit = "pcs",
        Condition = "A",
        UnitPrice = Money.Eur(45),
        Location = new ListingLocation(Helsinki.Latitude, Helsinki.Longitude, "Hämeentie 1", "Helsinki"),
        Availability = availability ?? Open(),
    };

    /// <summary>A dozen steel beams at Vantaa, available in <paramref name="availability"/>; no price (to be agreed).</summary>
    public static ListingDetails SteelBeams(DateWindow availability) => new()
    {
        Title = "Steel beams HEA 200",
        Category = "metals/steel/beams",
        Quantity = 12,
        Unit = "pcs",
        Condition = "B",
        Location = new ListingLocation(60.29, 25.04, null, "Vantaa"),
        Availability = availability,
    };

    /// <summary>A lot of crushed concrete at a point, available in <paramref name="availability"/> (default <see cref="Open"/> for 60 days).</summary>
    public static ListingDetails CrushedConcrete(GeoPoint at, decimal quantity, string unit = "t", DateWindow? availability = null) => new()
    {
        Title = "Crushed concrete 0/32",
        Category = "concrete/crushed",
        Quantity = quantity,
        Unit = unit,
        Condition = "B",
        UnitPrice = Money.Eur(600),
        Location = new ListingLocation(at.Latitude, at.Longitude, null, "Sipoo"),
        Availability = availability ?? Open(60),
    };
}

/// <summary>Valid demands for tests, changed with <c>with</c> where a test needs something else.</summary>
public static class SampleDemands
{
    /// <summary>A demand for concrete (any kind) around a point, wanted from 5 to 30 days ahead.</summary>
    public static DemandDetails Concrete(GeoPoint at, decimal quantity, decimal? minPart = null, double radiusKm = 40, string unit = "t") => new()
    {
        Category = "concrete",
        Quantity = quantity,
        Unit = unit,
        MinPart = minPart,
        MaxUnitPrice = Money.Eur(800),
        Location = at,
        RadiusKm = radiusKm,
        Window = new DateWindow(SampleLots.Today.AddDays(5), SampleLots.Today.AddDays(30)),
    };
}
