using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;

namespace Marketplace.Host.Api.Listings;

/// <summary>Money in integer minor units (cents) and an ISO 4217 currency.</summary>
public sealed record MoneyDto(long? MinorUnits, string? Currency);

/// <summary>A lot's location: a point plus a street address or at least a municipality.</summary>
public sealed record LocationDto(double? Latitude, double? Longitude, string? Address, string? Municipality);

/// <summary>An inclusive date range (yyyy-MM-dd).</summary>
public sealed record DateWindowDto(DateOnly? From, DateOnly? To);

/// <summary>The fields of a lot. On create, missing required fields are reported; on PATCH, missing fields stay as they are.</summary>
public sealed record ListingInput(
    string? Title,
    string? Description,
    string? Category,
    decimal? Quantity,
    string? Unit,
    decimal? MassPerUnitKg,
    string? Condition,
    MoneyDto? UnitPrice,
    LocationDto? Location,
    bool? Pickup,
    bool? Delivery,
    DateWindowDto? Availability,
    bool? IsWaste,
    string? WasteCode,
    IReadOnlyList<string>? Photos)
{
    /// <summary>The details of a new lot; missing values become values the domain refuses with a per-field message.</summary>
    public ListingDetails ToDetails() => new()
    {
        Title = Title ?? "",
        Description = Description ?? "",
        Category = Category ?? "",
        Quantity = Quantity ?? 0,
        Unit = Unit ?? "",
        MassPerUnitKg = MassPerUnitKg,
        Condition = Condition ?? "",
        UnitPrice = new Money(UnitPrice?.MinorUnits ?? 0, UnitPrice?.Currency ?? Money.DefaultCurrency),
        Location = ToLocation(Location),
        Pickup = Pickup ?? true,
        Delivery = Delivery ?? false,
        Availability = ToWindow(Availability) ?? default,
        IsWaste = IsWaste ?? false,
        WasteCode = WasteCode,
        Photos = Photos ?? [],
    };

    /// <summary>The changes a PATCH asks for; nested members are merged with the current lot by its grain, not here.</summary>
    public ListingChanges ToChanges() => new()
    {
        Title = Title,
        Description = Description,
        Category = Category,
        Quantity = Quantity,
        Unit = Unit,
        MassPerUnitKg = MassPerUnitKg,
        Condition = Condition,
        UnitPrice = UnitPrice is null ? null : new MoneyChanges(UnitPrice.MinorUnits, UnitPrice.Currency),
        Location = Location is null ? null : new LocationChanges(Location.Latitude, Location.Longitude, Location.Address, Location.Municipality),
        Pickup = Pickup,
        Delivery = Delivery,
        Availability = Availability is null ? null : new WindowChanges(Availability.From, Availability.To),
        IsWaste = IsWaste,
        WasteCode = WasteCode,
        Photos = Photos,
    };

    private static ListingLocation? ToLocation(LocationDto? l)
        => l is null ? null : new ListingLocation(l.Latitude ?? double.NaN, l.Longitude ?? double.NaN, l.Address, l.Municipality ?? "");

    private static DateWindow? ToWindow(DateWindowDto? w)
    {
        if (w is null)
        {
            return null;
        }

        var (from, to) = (w.From, w.To);
        if (from is null || to is null)
        {
            throw new DomainException("validation-failed", "The request has invalid fields.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["availability"] = ["Give both availability.from and availability.to (yyyy-MM-dd)."] });
        }

        return new DateWindow(from.Value, to.Value);
    }
}

/// <summary>How much of the lot is where; available + held + sold = listed.</summary>
public sealed record QuantitiesDto(decimal Listed, decimal Available, decimal Held, decimal Sold)
{
    /// <summary>The quantities without trailing zeros (2.5 − 2.5 is 0.0 in decimal arithmetic, which JSON would show as <c>0.0</c>).</summary>
    public static QuantitiesDto Of(decimal listed, decimal available, decimal held, decimal sold)
        => new(Plain(listed), Plain(available), Plain(held), Plain(sold));

    /// <summary>A quantity with no trailing zeros: the same value at its smallest scale.</summary>
    public static decimal Plain(decimal quantity) => quantity / 1.000000000000000000000000000000000m;
}

/// <summary>A hold as its seller or its buyer sees it.</summary>
public sealed record HoldDto(string Id, string BuyerId, decimal Quantity, DateTimeOffset PlacedAt, DateTimeOffset ExpiresAt, string Status, DateTimeOffset? ClosedAt)
{
    /// <summary>Maps a domain hold.</summary>
    public static HoldDto From(Hold h) => new(h.Id, h.BuyerId, h.Quantity, h.PlacedAt, h.ExpiresAt, h.Status.ToString().ToLowerInvariant(), h.ClosedAt);
}

/// <summary>One of the calling buyer's holds with what its lot is (<c>GET /holds</c>).</summary>
/// <param name="ListingId">The lot held.</param>
/// <param name="Title">The lot's title.</param>
/// <param name="Unit">The lot's unit, of the hold's quantity.</param>
/// <param name="Municipality">Where the lot is.</param>
/// <param name="ListingStatus">The lot's status (active, withdrawn, sold-out…).</param>
/// <param name="UnitPrice">The lot's price per unit before VAT.</param>
/// <param name="Hold">The hold.</param>
/// <param name="OrderId">The order made from the hold, if any.</param>
public sealed record BuyerHoldResponse(string ListingId, string Title, string Unit, string? Municipality, string ListingStatus, Money UnitPrice, HoldDto Hold, string? OrderId)
{
    /// <summary>Maps a lot and one of its holds.</summary>
    public static BuyerHoldResponse From(Listing l, Hold h)
        => new(l.Id, l.Details?.Title ?? "", l.Details?.Unit ?? "", l.Details?.Location?.Municipality, Listing.StatusCode(l.Status), l.Details?.UnitPrice ?? Money.Zero, HoldDto.From(h), h.OrderId);
}

/// <summary>A lot as the caller may see it: holds only to the seller (all) and to buyers (their own).</summary>
public sealed record ListingResponse(
    string Id,
    string SellerId,
    string Status,
    string Title,
    string Description,
    string Category,
    string Unit,
    QuantitiesDto Quantities,
    decimal? MassPerUnitKg,
    string Condition,
    Money UnitPrice,
    ListingLocation Location,
    bool Pickup,
    bool Delivery,
    DateWindow Availability,
    bool IsWaste,
    string? WasteCode,
    IReadOnlyList<string> Photos,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PublishedAt,
    long Version,
    IReadOnlyList<HoldDto> Holds,
    Carbon.LotCarbonDto? Carbon = null,
    ModerationDto? Hidden = null)
{
    /// <summary>Maps a lot for a viewer (a trader id, or null when anonymous).</summary>
    public static ListingResponse From(Listing l, string? viewerId)
    {
        var d = l.Details!;
        var holds = l.Holds
            .Where(h => viewerId is not null && (viewerId == l.SellerId || viewerId == h.BuyerId))
            .Select(HoldDto.From)
            .ToArray();
        return new ListingResponse(
            l.Id, l.SellerId, Listing.StatusCode(l.Status), d.Title, d.Description, d.Category, d.Unit,
            QuantitiesDto.Of(l.ListedQuantity, l.Available, l.Held, l.Sold),
            d.MassPerUnitKg, d.Condition, d.UnitPrice, d.Location!, d.Pickup, d.Delivery, d.Availability,
            d.IsWaste, d.WasteCode, d.Photos, l.CreatedAt, l.UpdatedAt, l.PublishedAt, l.Version, holds,
            Hidden: ModerationDto.From(l.Hidden));
    }
}

/// <summary>A platform admin's reason for hiding a lot or a review.</summary>
public sealed record ModerationRequest(string? Reason);

/// <summary>Why and when a platform admin hid something; shown to its owner (only the owner and admins can read a hidden lot).</summary>
public sealed record ModerationDto(string Reason, DateTimeOffset At)
{
    /// <summary>Maps a decision, or null.</summary>
    public static ModerationDto? From(Moderation? m) => m is null ? null : new ModerationDto(m.Reason, m.At);
}

/// <summary>A request to hold part of a lot.</summary>
/// <param name="Quantity">Quantity in the lot's unit.</param>
/// <param name="Until">When the hold lapses; default 7 days from now, at most 30 days.</param>
public sealed record PlaceHoldRequest(decimal? Quantity, DateTimeOffset? Until);

/// <summary>A hold just placed or changed, with the lot's quantities after it.</summary>
public sealed record HoldResponse(string ListingId, HoldDto Hold, QuantitiesDto Quantities);
