using System.Text.Json.Serialization;

namespace Marketplace.Domain.Common;

/// <summary>An inclusive range of calendar dates, e.g. when a lot can be collected.</summary>
public readonly record struct DateWindow(DateOnly From, DateOnly To)
{
    /// <summary>True when the window does not end before it starts.</summary>
    [JsonIgnore]
    public bool IsValid => To >= From;

    /// <summary>Number of days in the window, both ends included.</summary>
    [JsonIgnore]
    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>True when the date falls inside the window.</summary>
    public bool Contains(DateOnly date) => date >= From && date <= To;

    /// <summary>True when the two windows share at least one day.</summary>
    public bool Overlaps(DateWindow other) => From <= other.To && other.From <= To;

    /// <inheritdoc />
    public override string ToString() => $"{From:yyyy-MM-dd}..{To:yyyy-MM-dd}";
}
