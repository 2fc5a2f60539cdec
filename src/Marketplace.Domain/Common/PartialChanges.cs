using Marketplace.Domain.Geo;

namespace Marketplace.Domain.Common;

/// <summary>
/// A partial change to a date window: given ends replace the current ones. Merged by the owner of the current value (a
/// grain, in one turn), so two concurrent edits of different ends both survive.
/// </summary>
public sealed record WindowChanges(DateOnly? From, DateOnly? To)
{
    /// <summary>The window after the change; a missing end with no current window becomes a value validation refuses.</summary>
    public DateWindow ApplyTo(DateWindow? current) => new(From ?? current?.From ?? default, To ?? current?.To ?? default);
}

/// <summary>A partial change to an amount: given members replace the current ones (merged by the owner, like <see cref="WindowChanges"/>).</summary>
public sealed record MoneyChanges(long? MinorUnits, string? Currency)
{
    /// <summary>The amount after the change; a missing amount with no current one is −1, which validation refuses.</summary>
    public Money ApplyTo(Money? current) => new(MinorUnits ?? current?.MinorUnits ?? -1, Currency ?? current?.Currency ?? Money.DefaultCurrency);
}

/// <summary>A partial change to a point: given coordinates replace the current ones (merged by the owner, like <see cref="WindowChanges"/>).</summary>
public sealed record PointChanges(double? Latitude, double? Longitude)
{
    /// <summary>The point after the change; a missing coordinate with no current point is NaN, which validation refuses.</summary>
    public GeoPoint ApplyTo(GeoPoint? current) => new(Latitude ?? current?.Latitude ?? double.NaN, Longitude ?? current?.Longitude ?? double.NaN);
}
