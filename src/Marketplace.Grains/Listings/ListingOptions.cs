using Marketplace.Domain.Listings;

namespace Marketplace.Grains.Listings;

/// <summary>Timing of listing housekeeping and limits on holds (<c>Listings</c> section).</summary>
public sealed class ListingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Listings";

    /// <summary>
    /// How often a lot with a passed deadline is checked again, and so the longest a hold outlives its expiry
    /// after a restart. Default 1 minute; at least Orleans' minimum reminder period.
    /// </summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most open holds one buyer keeps on one lot (409 <c>buyer-hold-limit</c> beyond). Default 10; 1 to 200.</summary>
    public int MaxHoldsPerBuyer { get; set; } = 10;

    /// <summary>
    /// Largest share of a lot's listed quantity one buyer holds at once (409 <c>buyer-hold-limit</c> beyond), from
    /// above 0 to 1. Default 1: a buyer may hold the whole lot, as a buyer of all of it must.
    /// </summary>
    public decimal MaxBuyerShare { get; set; } = 1m;

    /// <summary>
    /// Most holds one buying firm keeps open across all lots (409 <c>open-hold-limit</c> beyond), so that one buyer
    /// cannot take the whole market off it for a month. Default 100; 1 to 100,000. Holds placed by accepting a match
    /// count towards it but are not refused by it (the match proposed them).
    /// </summary>
    public int MaxOpenHoldsPerBuyer { get; set; } = 100;

    /// <summary>
    /// How long a firm found at <see cref="MaxOpenHoldsPerBuyer"/> (its holds read on their lots) is refused without
    /// reading them again; default 1 minute, so that a buyer retrying at the bound costs no lot reads (a firm at the bound of 100 read every few seconds would).
    /// </summary>
    public TimeSpan OpenHoldRecheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The limits as the domain takes them.</summary>
    public BuyerHoldLimits BuyerLimits => new(MaxHoldsPerBuyer, MaxBuyerShare);
}
