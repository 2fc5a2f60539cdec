namespace Marketplace.Domain.Common;

/// <summary>The marketplace's calendar: dates are Helsinki dates, whatever the server's zone.</summary>
public static class MarketClock
{
    /// <summary>The region's time zone (Europe/Helsinki), or UTC where the machine has no zone data.</summary>
    public static TimeZoneInfo Zone { get; } = FindZone();

    /// <summary>The calendar date in the region at an instant.</summary>
    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Zone).DateTime);

    /// <summary>How many years before and after today a date the API takes may lie (availability, demand windows).</summary>
    public const int HorizonYears = 5;

    /// <summary>
    /// The instant a date ends in the region (midnight starting the next day). Total: the last date of the calendar
    /// ends at <see cref="DateTimeOffset.MaxValue"/>, so no date makes it throw.
    /// </summary>
    public static DateTimeOffset EndOf(DateOnly date)
    {
        if (date == DateOnly.MaxValue)
        {
            return DateTimeOffset.MaxValue;
        }

        var midnight = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var offset = Zone.GetUtcOffset(midnight);
        var utcTicks = midnight.Ticks - offset.Ticks;
        if (utcTicks > DateTime.MaxValue.Ticks)
        {
            return DateTimeOffset.MaxValue;
        }

        return utcTicks < DateTime.MinValue.Ticks ? DateTimeOffset.MinValue : new DateTimeOffset(midnight, offset);
    }

    /// <summary>
    /// The dates the API accepts at an instant: <see cref="HorizonYears"/> years either side of today. A marketplace
    /// needs no more, and keeping every date well inside its type makes every deadline computed from it safe.
    /// </summary>
    public static DateWindow Horizon(DateTimeOffset now)
    {
        var today = Today(now);
        return new DateWindow(today.AddYears(-HorizonYears), today.AddYears(HorizonYears));
    }

    /// <summary>Reports a window field unless both its dates lie within <see cref="Horizon"/>.</summary>
    public static Validation WithinHorizon(this Validation v, DateWindow? window, string field, DateTimeOffset now)
    {
        var horizon = Horizon(now);
        return v.Require(window is not { } w || (horizon.Contains(w.From) && horizon.Contains(w.To)), field,
            $"The {field} dates must lie between {horizon.From:yyyy-MM-dd} and {horizon.To:yyyy-MM-dd} ({HorizonYears} years either side of today).");
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
