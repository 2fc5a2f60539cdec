namespace Marketplace.Grains.Listings;

/// <summary>Timing of listing housekeeping (<c>Listings</c> section).</summary>
public sealed class ListingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Listings";

    /// <summary>
    /// How often a lot with a passed deadline is checked again, and so the longest a hold outlives its expiry
    /// after a restart. Default 1 minute; at least Orleans' minimum reminder period.
    /// </summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
