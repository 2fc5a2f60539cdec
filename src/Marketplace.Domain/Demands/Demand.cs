using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Matching;

namespace Marketplace.Domain.Demands;

/// <summary>Where a demand stands.</summary>
public enum DemandStatus
{
    /// <summary>Looking for material.</summary>
    Open,

    /// <summary>Everything wanted has been bought.</summary>
    Fulfilled,

    /// <summary>The buyer withdrew it.</summary>
    Cancelled,

    /// <summary>Its expiry passed, or its window ended.</summary>
    Expired,
}

/// <summary>A "wanted" request as entered; validated by <see cref="Demand"/>. Null members stand for missing input.</summary>
public sealed record DemandDetails
{
    /// <summary>Category at any level; lots in it or below it match.</summary>
    public string? Category { get; init; }

    /// <summary>Quantity wanted.</summary>
    public decimal? Quantity { get; init; }

    /// <summary>Unit of the quantity.</summary>
    public string? Unit { get; init; }

    /// <summary>Smallest part worth taking (defaults to the whole quantity).</summary>
    public decimal? MinPart { get; init; }

    /// <summary>Lowest acceptable condition: A, B or C (default C: any).</summary>
    public string? MinCondition { get; init; }

    /// <summary>Highest acceptable price per unit; null for any.</summary>
    public Money? MaxUnitPrice { get; init; }

    /// <summary>Where the material is needed.</summary>
    public GeoPoint? Location { get; init; }

    /// <summary>How far a lot may be, km (more than 0, at most <see cref="Demand.MaxRadiusKm"/>).</summary>
    public double? RadiusKm { get; init; }

    /// <summary>When the material is needed (inclusive).</summary>
    public DateWindow? Window { get; init; }

    /// <summary>When the demand lapses; default the end of its window.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>
/// A partial change to a demand: null members stay as they are, and nested ones (location, highest price, window) are
/// merged member by member with the current demand by its grain in one turn.
/// </summary>
public sealed record DemandChanges
{
    /// <summary>New category.</summary>
    public string? Category { get; init; }

    /// <summary>New quantity.</summary>
    public decimal? Quantity { get; init; }

    /// <summary>New unit.</summary>
    public string? Unit { get; init; }

    /// <summary>New smallest part.</summary>
    public decimal? MinPart { get; init; }

    /// <summary>New lowest condition.</summary>
    public string? MinCondition { get; init; }

    /// <summary>Changes to the highest price.</summary>
    public MoneyChanges? MaxUnitPrice { get; init; }

    /// <summary>Changes to the point.</summary>
    public PointChanges? Location { get; init; }

    /// <summary>New radius, km.</summary>
    public double? RadiusKm { get; init; }

    /// <summary>Changes to the window.</summary>
    public WindowChanges? Window { get; init; }

    /// <summary>New expiry.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A buyer's wanted request: what, how much, where, by when. Lifecycle open → fulfilled, cancelled or expired.</summary>
public sealed class Demand
{
    /// <summary>Largest radius, km: 200, so that even at the service area's northern edge a demand reaches few cells.</summary>
    public const double MaxRadiusKm = 200;

    /// <summary>
    /// Most matching cells (<see cref="MatchPartitions"/>) one demand may be registered in; a radius that reaches more
    /// around its point is refused, whatever the area, so one demand never costs more than a few dozen partitions.
    /// </summary>
    public const int MaxCells = 48;

    /// <summary>Empty state, for storage; a real demand is made by <see cref="Create"/>.</summary>
    public Demand()
    {
    }

    /// <summary>Demand id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The buying firm.</summary>
    [JsonInclude]
    public string BuyerId { get; private set; } = "";

    /// <summary>The validated request.</summary>
    [JsonInclude]
    public DemandDetails? Details { get; private set; }

    /// <summary>Status.</summary>
    [JsonInclude]
    public DemandStatus Status { get; private set; }

    /// <summary>Quantity already bought through matches, in the demand's unit.</summary>
    [JsonInclude]
    public decimal Bought { get; private set; }

    /// <summary>Orders whose purchase was taken back (cancelled after acceptance): each is taken back once.</summary>
    [JsonInclude]
    public IReadOnlyList<string> ReturnedOrders { get; private set; } = [];

    /// <summary>Grows with every change.</summary>
    [JsonInclude]
    public long Version { get; private set; }

    /// <summary>
    /// Webhook events of the last stored changes, written in the same storage write as the change they describe and
    /// handed to the subscriptions afterwards (see <c>WebhookRelay</c>); an optional field, so no schema version bump.
    /// </summary>
    [JsonInclude]
    public List<Webhooks.OutboxEvent> Outbox { get; private set; } = [];

    /// <summary>When it was posted.</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>True once created.</summary>
    public bool Exists => Details is not null;

    /// <summary>Quantity still wanted.</summary>
    public decimal Remaining => (Details?.Quantity ?? 0) - Bought;

    /// <summary>
    /// A copy of the demand as it is now, sharing nothing the demand changes in place: a new list of outbox events (its
    /// entries, like the details, are immutable records that the demand only ever replaces). What a grain call's answer
    /// carries instead of a copy through JSON.
    /// </summary>
    public Demand Snapshot()
    {
        var copy = (Demand)MemberwiseClone();
        copy.Outbox = [.. Outbox];
        return copy;
    }

    /// <summary>Posts a demand after validating it.</summary>
    public static Demand Create(string id, string buyerId, DemandDetails details, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null)
        => new() { Id = id, BuyerId = buyerId, Details = Validate(details, taxonomy, now, area), Status = DemandStatus.Open, CreatedAt = now, Version = 1 };

    /// <summary>
    /// True when <paramref name="again"/> (a demand just made by <see cref="Create"/> under this demand's id) is this
    /// demand's creation repeated: the same buyer and the same details. A retried request whose id derives from its
    /// Idempotency-Key is then answered with this demand instead of a conflict.
    /// </summary>
    public bool IsSameCreation(Demand again) => Exists && BuyerId == again.BuyerId && Details == again.Details;

    /// <summary>Validates and normalises a request; throws a validation error naming every bad field.</summary>
    public static DemandDetails Validate(DemandDetails d, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null)
    {
        var v = new Validation();
        var category = taxonomy.Find(d.Category);
        v.Require(category is not null, "category", $"'{Validation.Quoted(d.Category)}' is not a material category; GET /api/v1/materials lists them.");
        Unit? unit = Units.TryParse(d.Unit, out var parsed) ? parsed : null;
        if (unit is null)
        {
            v.Add("unit", $"'{Validation.Quoted(d.Unit)}' is not a unit; use one of {string.Join(", ", Units.Codes)}.");
        }
        else if (category is not null && !taxonomy.Categories.Any(c => MaterialTaxonomy.IsSameOrBelow(c.Id, category.Id) && c.Allows(unit.Value)))
        {
            v.Add("unit", $"No lot in '{category.Id}' is listed in {unit.Value.Code()}.");
        }

        var quantity = d.Quantity ?? 0;
        v.Require(quantity > 0 && quantity <= 1_000_000_000m && decimal.Round(quantity, 3) == quantity, "quantity",
            "The quantity must be more than zero, at most 1,000,000,000, with at most three decimals.");
        var minPart = d.MinPart ?? quantity;
        v.Require(minPart > 0 && minPart <= quantity && decimal.Round(minPart, 3) == minPart, "minPart",
            "The smallest acceptable part must be more than zero and at most the quantity.");
        var minCondition = d.MinCondition ?? "C";
        v.Require(ConditionGrades.IsGrade(minCondition), "minCondition", "The minimum condition must be A, B or C.");
        v.Require(d.MaxUnitPrice is null || (d.MaxUnitPrice.Value.MinorUnits is >= 0 and <= Money.MaxMinorUnits && Money.IsCurrencyCode(d.MaxUnitPrice.Value.Currency)),
            "maxUnitPrice", $"The highest price must be from 0 to {Money.MaxMinorUnits:N0} minor units and needs an ISO 4217 currency.");
        v.Require(d.Location is { IsValid: true }, "location", "The location needs a latitude from -90 to 90 and a longitude from -180 to 180.");
        area ??= ServiceArea.Finland;
        v.Require(d.Location is not { IsValid: true } point || area.Contains(point), "location", $"The marketplace serves {area}; this point lies outside it.");
        v.Require(d.RadiusKm is > 0 and <= MaxRadiusKm, "radiusKm", $"The distance must be more than 0 and at most {MaxRadiusKm:0} km.");
        if (d.Location is { IsValid: true } at && d.RadiusKm is > 0 and <= MaxRadiusKm
            && Geohash.CellsWithin(at.Latitude, at.Longitude, d.RadiusKm.Value).Count is var cells and > MaxCells)
        {
            v.Add("radiusKm", $"Around this point {d.RadiusKm:0.#} km reaches {cells} matching cells; at most {MaxCells}: choose a smaller radius.");
        }

        v.Require(d.Window is { IsValid: true }, "window", "The window needs a start and an end that is not before it.");
        var today = MarketClock.Today(now);
        v.Require(d.Window is not { } w || w.To >= today, "window", "The window has already ended.");
        v.WithinHorizon(d.Window, "window", now);
        var expires = d.ExpiresAt ?? (d.Window is { } window ? MarketClock.EndOf(window.To) : now);
        v.Require(expires > now && expires <= now.AddYears(1), "expiresAt", "The expiry must be in the future and within a year.");
        v.ThrowIfInvalid();
        return d with
        {
            Category = category!.Id,
            Unit = unit!.Value.Code(),
            MinPart = minPart,
            MinCondition = minCondition,
            ExpiresAt = expires,
        };
    }

    /// <summary>
    /// Changes an open demand: members given in <paramref name="changes"/> replace the current ones, then the whole is
    /// validated again. A window that changes without a new expiry takes along an expiry that was the old window's end
    /// (the default); an expiry the buyer chose stays (a window sent unchanged, or an empty one, used to reset it to the
    /// window's end: probe 25). The quantity cannot drop to or below what has been bought.
    /// </summary>
    public void Update(DemandChanges changes, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null)
    {
        EnsureOpen("change");
        var d = Details!;
        var window = changes.Window?.ApplyTo(d.Window) ?? d.Window;
        var expiryFollowsWindow = window != d.Window && d.Window is { } old && d.ExpiresAt == MarketClock.EndOf(old.To);
        var next = Validate(new DemandDetails
        {
            Category = changes.Category ?? d.Category,
            Quantity = changes.Quantity ?? d.Quantity,
            Unit = changes.Unit ?? d.Unit,
            MinPart = changes.MinPart ?? (changes.Quantity is not null && d.MinPart == d.Quantity ? null : d.MinPart),
            MinCondition = changes.MinCondition ?? d.MinCondition,
            MaxUnitPrice = changes.MaxUnitPrice?.ApplyTo(d.MaxUnitPrice) ?? d.MaxUnitPrice,
            Location = changes.Location?.ApplyTo(d.Location) ?? d.Location,
            RadiusKm = changes.RadiusKm ?? d.RadiusKm,
            Window = window,
            ExpiresAt = changes.ExpiresAt ?? (expiryFollowsWindow ? null : d.ExpiresAt),
        }, taxonomy, now, area);
        if (Bought > 0 && (next.Unit != d.Unit || next.Quantity <= Bought))
        {
            throw DomainException.Conflict("demand-committed",
                $"{Bought} {d.Unit} has already been bought: the unit cannot change and the quantity must stay above that.",
                new Dictionary<string, object?> { ["bought"] = Bought });
        }

        Details = next;
        Version++;
    }

    /// <summary>The buyer cancels an open demand.</summary>
    public void Cancel()
    {
        EnsureOpen("cancel");
        Status = DemandStatus.Cancelled;
        Version++;
    }

    /// <summary>Records a confirmed purchase; the demand is fulfilled when nothing remains.</summary>
    public void RecordPurchase(decimal quantity)
    {
        EnsureOpen("record a purchase");
        if (quantity <= 0 || quantity > Remaining)
        {
            throw DomainException.Conflict("purchase-exceeds-demand", $"The demand wants {Remaining} more, not {quantity}.");
        }

        Bought += quantity;
        Status = Remaining == 0 ? DemandStatus.Fulfilled : Status;
        Version++;
    }

    /// <summary>
    /// Takes back the purchase of an order cancelled after it was accepted: the quantity is wanted again, and a demand
    /// fulfilled by it opens again (to expire at its own time). Once per order; a cancelled demand stays cancelled.
    /// </summary>
    public void ReturnPurchase(string orderId, decimal quantity)
    {
        if (!Exists || ReturnedOrders.Contains(orderId) || quantity <= 0)
        {
            return;
        }

        Bought = Math.Max(0, Bought - quantity);
        ReturnedOrders = [.. ReturnedOrders, orderId];
        if (Status == DemandStatus.Fulfilled && Remaining > 0)
        {
            Status = DemandStatus.Open;
        }

        Version++;
    }

    /// <summary>Expires an open demand whose expiry has passed; true when it changed.</summary>
    public bool ExpireIfDue(DateTimeOffset now)
    {
        if (Status != DemandStatus.Open || Details?.ExpiresAt is not { } expires || now < expires)
        {
            return false;
        }

        Status = DemandStatus.Expired;
        Version++;
        return true;
    }

    /// <summary>Refuses anyone but the buyer: 404, since demands are private to their firm.</summary>
    public void EnsureBuyer(string actorId)
    {
        if (actorId != BuyerId)
        {
            throw DomainException.NotFound("demand", Id);
        }
    }

    /// <summary>What the matcher needs, or null when the demand is not open.</summary>
    public DemandSummary? ToSummary()
    {
        if (Status != DemandStatus.Open || Details is not { } d)
        {
            return null;
        }

        return new DemandSummary(Id, BuyerId, d.Category!, Units.TryParse(d.Unit, out var unit) ? unit.Value : Unit.Pcs, Remaining,
            Math.Min(d.MinPart ?? Remaining, Remaining), ConditionGrades.Rank(d.MinCondition), d.MaxUnitPrice?.MinorUnits, d.Location!.Value,
            d.RadiusKm!.Value, d.Window!.Value, d.MaxUnitPrice?.Currency ?? Money.DefaultCurrency);
    }

    private void EnsureOpen(string action)
    {
        if (Status != DemandStatus.Open)
        {
            throw DomainException.Conflict("demand-closed", $"The demand is {Status.ToString().ToLowerInvariant()} and cannot {action}.");
        }
    }
}
