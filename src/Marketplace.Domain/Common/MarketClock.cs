namespace Marketplace.Domain.Common;

/// <summary>The marketplace's calendar: dates are Helsinki dates, whatever the server's zone.</summary>
public static class MarketClock
{
    /// <summary>The region's time zone (Europe/Helsinki), or UTC where the machine has no zone data.</summary>
    public static TimeZoneInfo Zone { get; } = FindZone();

    /// <summary>The calendar date in the region at an instant.</summary>
    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);

    /// <summary>The instant a date ends in the region (midnight starting the next day).</summary>
    public static DateTimeOffset EndOf(DateOnly date)
    {
        var midnight = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, Zone.GetUtcOffset(midnight));
    }

    private static TimeZoneInfo FindZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
    }
}
