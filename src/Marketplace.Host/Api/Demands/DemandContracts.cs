using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Host.Api.Listings;

namespace Marketplace.Host.Api.Demands;

/// <summary>A point on the map.</summary>
public sealed record PointDto(double? Latitude, double? Longitude);

/// <summary>
/// The fields of a "wanted" demand. On create, missing required fields are reported; on PATCH, missing fields stay as
/// they are.
/// </summary>
/// <param name="Category">Category at any level (lots in it or below match), e.g. <c>concrete/crushed</c> or <c>concrete</c>.</param>
/// <param name="Quantity">How much is wanted.</param>
/// <param name="Unit">Unit of the quantity (kg and t convert to each other).</param>
/// <param name="MinPart">Smallest part worth taking; default the whole quantity.</param>
/// <param name="MinCondition">Lowest acceptable condition A, B or C; default C.</param>
/// <param name="MaxUnitPrice">Highest price per unit; omit for any.</param>
/// <param name="Location">Where the material is needed.</param>
/// <param name="RadiusKm">How far a lot may be, km (at most 200, and at most 48 matching cells around the point).</param>
/// <param name="Window">When the material is needed (inclusive dates).</param>
/// <param name="ExpiresAt">When the demand lapses; default the end of the window.</param>
public sealed record DemandInput(
    string? Category,
    decimal? Quantity,
    string? Unit,
    decimal? MinPart,
    string? MinCondition,
    MoneyDto? MaxUnitPrice,
    PointDto? Location,
    double? RadiusKm,
    DateWindowDto? Window,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The request as the domain takes it; missing members stay null (the domain names each missing field).</summary>
    public DemandDetails ToDetails() => new()
    {
        Category = Category,
        Quantity = Quantity,
        Unit = Unit,
        MinPart = MinPart,
        MinCondition = MinCondition,
        MaxUnitPrice = MaxUnitPrice is null ? null : new Money(MaxUnitPrice.MinorUnits ?? -1, MaxUnitPrice.Currency ?? Money.DefaultCurrency),
        Location = Location is null ? null : new GeoPoint(Location.Latitude ?? double.NaN, Location.Longitude ?? double.NaN),
        RadiusKm = RadiusKm,
        Window = Window is null ? null : new DateWindow(Window.From ?? default, Window.To ?? default),
        ExpiresAt = ExpiresAt,
    };

    /// <summary>The changes of a PATCH: a partial location, window or price is completed from the current demand by its grain, in one turn.</summary>
    public DemandChanges ToChanges() => new()
    {
        Category = Category,
        Quantity = Quantity,
        Unit = Unit,
        MinPart = MinPart,
        MinCondition = MinCondition,
        MaxUnitPrice = MaxUnitPrice is null ? null : new MoneyChanges(MaxUnitPrice.MinorUnits, MaxUnitPrice.Currency),
        Location = Location is null ? null : new PointChanges(Location.Latitude, Location.Longitude),
        RadiusKm = RadiusKm,
        Window = Window is null ? null : new WindowChanges(Window.From, Window.To),
        ExpiresAt = ExpiresAt,
    };
}

/// <summary>A demand as its buyer sees it.</summary>
public sealed record DemandResponse(
    string Id,
    string BuyerId,
    string Status,
    string Category,
    decimal Quantity,
    decimal Bought,
    decimal Remaining,
    string Unit,
    decimal MinPart,
    string MinCondition,
    Money? MaxUnitPrice,
    GeoPoint Location,
    double RadiusKm,
    DateWindow Window,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    long Version)
{
    /// <summary>Maps a stored demand.</summary>
    public static DemandResponse From(Demand d)
    {
        var x = d.Details!;
        return new DemandResponse(d.Id, d.BuyerId, d.Status.ToString().ToLowerInvariant(), x.Category!, x.Quantity!.Value, d.Bought, d.Remaining,
            x.Unit!, x.MinPart!.Value, x.MinCondition!, x.MaxUnitPrice, x.Location!.Value, x.RadiusKm!.Value, x.Window!.Value, x.ExpiresAt!.Value,
            d.CreatedAt, d.Version);
    }
}
