using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Listings;

/// <summary>Where a lot stands in its life.</summary>
public enum ListingStatus
{
    /// <summary>Being prepared by the seller; invisible to others.</summary>
    Draft,

    /// <summary>On the market: buyers can find and hold it.</summary>
    Active,

    /// <summary>Everything listed has been sold.</summary>
    SoldOut,

    /// <summary>Taken off the market by the seller.</summary>
    Withdrawn,

    /// <summary>Its availability window has ended.</summary>
    Expired,
}

/// <summary>A lot of surplus material and the holds on it; the only authority on how much of the lot is free.</summary>
/// <remarks>
/// Invariant at every moment: <see cref="Available"/> + <see cref="Held"/> + <see cref="Sold"/> = <see cref="ListedQuantity"/>, none negative.
/// All state changes go through methods that check it; time is passed in, never read.
/// </remarks>
public sealed partial class Listing
{
    /// <summary>Longest a hold may last.</summary>
    public static readonly TimeSpan MaxHoldDuration = TimeSpan.FromDays(30);

    /// <summary>Most holds one lot keeps open at once.</summary>
    public const int MaxActiveHolds = 200;

    /// <summary>Longest title.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>Heaviest unit a lot may declare, kg (a thousand tonnes: a whole building module is far less).</summary>
    public const decimal MaxMassPerUnitKg = 1_000_000m;

    /// <summary>Longest description.</summary>
    public const int MaxDescriptionLength = 10_000;

    /// <summary>Most photo references on one lot.</summary>
    public const int MaxPhotos = 20;

    /// <summary>Closed holds kept for the record; older ones are dropped so state stays small.</summary>
    private const int ClosedHoldsKept = 20;

    [JsonInclude]
    private List<Hold> _holds = [];

    /// <summary>Orders whose sold quantity went back to the lot (each once).</summary>
    [JsonInclude]
    private List<SoldReturn> _returns = [];

    /// <summary>Empty state, for storage; a real lot is made by <see cref="Create"/>.</summary>
    public Listing()
    {
    }

    /// <summary>Listing id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The seller's own id for the lot when it came from a bulk import (the row's external id), else null.</summary>
    [JsonInclude]
    public string? ExternalId { get; private set; }

    /// <summary>The selling trader.</summary>
    [JsonInclude]
    public string SellerId { get; private set; } = "";

    /// <summary>The lot's description as the seller entered it, validated.</summary>
    [JsonInclude]
    public ListingDetails? Details { get; private set; }

    /// <summary>Lifecycle status.</summary>
    [JsonInclude]
    public ListingStatus Status { get; private set; }

    /// <summary>Quantity sold through confirmed holds.</summary>
    [JsonInclude]
    public decimal Sold { get; private set; }

    /// <summary>When it was created.</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When it last changed.</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>When it was first published.</summary>
    [JsonInclude]
    public DateTimeOffset? PublishedAt { get; private set; }

    /// <summary>Counts every change; lets readers order versions of the lot.</summary>
    [JsonInclude]
    public long Version { get; private set; }

    /// <summary>
    /// Webhook events of the last stored changes, written in the same storage write as the change they describe and
    /// handed to the subscriptions afterwards (see <c>WebhookRelay</c>); an optional field, so no schema version bump.
    /// </summary>
    [JsonInclude]
    public List<Webhooks.OutboxEvent> Outbox { get; private set; } = [];

    /// <summary>Set while a platform admin keeps the lot off the market (why, who, when); null otherwise.</summary>
    [JsonInclude]
    public Moderation? Hidden { get; private set; }

    /// <summary>True once <see cref="Create"/> has run.</summary>
    [JsonIgnore]
    public bool Exists => Details is not null;

    /// <summary>The listed quantity.</summary>
    [JsonIgnore]
    public decimal ListedQuantity => Details?.Quantity ?? 0;

    /// <summary>The quantity under active holds.</summary>
    [JsonIgnore]
    public decimal Held => _holds.Where(h => h.IsActive).Sum(h => h.Quantity);

    /// <summary>The quantity a buyer can still hold.</summary>
    [JsonIgnore]
    public decimal Available => ListedQuantity - Held - Sold;

    /// <summary>The lot's unit.</summary>
    [JsonIgnore]
    public Unit Unit => Units.TryParse(Details?.Unit, out var u) ? u.Value : Unit.Pcs;

    /// <summary>All holds, active and closed (the most recent closed ones).</summary>
    [JsonIgnore]
    public IReadOnlyList<Hold> Holds => _holds;

    /// <summary>
    /// A copy of the lot as it is now, sharing nothing the lot changes in place: its holds are copied, its lists of
    /// returns and outbox events are new lists (their entries, like the details and the moderation, are immutable
    /// records that the lot only ever replaces). What a grain call's answer carries instead of a copy through JSON.
    /// </summary>
    public Listing Snapshot()
    {
        var copy = (Listing)MemberwiseClone();
        copy._holds = _holds.ConvertAll(h => h.Snapshot());
        copy._returns = [.. _returns];
        copy.Outbox = [.. Outbox];
        return copy;
    }

    /// <summary>Creates a draft lot after validating its details; its point must lie in <paramref name="area"/> (default Finland).</summary>
    public static Listing Create(string id, string sellerId, ListingDetails details, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null,
        string? externalId = null)
    {
        var normalised = Validate(details, taxonomy, now, area);
        return new Listing
        {
            Id = id,
            ExternalId = externalId,
            SellerId = sellerId,
            Details = normalised,
            Status = ListingStatus.Draft,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
    }

    /// <summary>
    /// True when <paramref name="again"/> (a lot just made by <see cref="Create"/> under this lot's id) is this lot's
    /// creation repeated: the same seller and the same details. A retried request whose id derives from its
    /// Idempotency-Key is then answered with this lot instead of a conflict.
    /// </summary>
    public bool IsSameCreation(Listing again)
        => Exists && again.Details is { } d && SellerId == again.SellerId && HasDetails(d);

    /// <summary>True when the lot's details equal <paramref name="normalised"/> (details as <see cref="Validate"/> returns them).</summary>
    public bool HasDetails(ListingDetails normalised)
        => Exists && Details! with { Photos = [] } == normalised with { Photos = [] } && Details.Photos.SequenceEqual(normalised.Photos);

    /// <summary>
    /// True when an import row with <paramref name="normalised"/> details would leave the lot as it is: same details and
    /// no deadline already due. A row never changes an existing lot's status (an import publishes only the lots it
    /// creates), so a draft stays a draft however often its export is imported back.
    /// </summary>
    public bool IsUnchangedByImport(ListingDetails normalised, DateTimeOffset now)
        => HasDetails(normalised) && !(NextDeadline() is { } due && due <= now);

    /// <summary>Validates details and fills the taxonomy's defaults; throws a validation error listing every bad field.</summary>
    public static ListingDetails Validate(ListingDetails d, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null)
    {
        var v = new Validation();
        v.Text(d.Title, "title", MaxTitleLength);
        v.Text(d.Description, "description", MaxDescriptionLength, required: false);
        v.Require(d.Quantity > 0, "quantity", "The quantity must be greater than zero.");
        v.Require(decimal.Round(d.Quantity, 3) == d.Quantity, "quantity", "The quantity may have at most three decimals.");
        v.Require(d.Quantity <= 1_000_000_000m, "quantity", "The quantity must be at most 1,000,000,000.");

        var category = taxonomy.Find(d.Category);
        Unit? unit = Units.TryParse(d.Unit, out var parsed) ? parsed : null;
        if (category is null)
        {
            v.Add("category", $"'{Validation.Quoted(d.Category)}' is not a material category; GET /api/v1/materials lists them.");
        }

        if (unit is null)
        {
            v.Add("unit", $"'{Validation.Quoted(d.Unit)}' is not a unit; use one of {string.Join(", ", Units.Codes)}.");
        }
        else if (category is not null && !category.Allows(unit.Value))
        {
            v.Add("unit", $"Category '{category.Id}' is listed in {string.Join(", ", category.Units.Select(u => u.Code()))}, not {unit.Value.Code()}.");
        }

        v.Require(d.MassPerUnitKg is null or > 0, "massPerUnitKg", "The mass per unit must be greater than zero.");
        v.Require(d.MassPerUnitKg is null or <= MaxMassPerUnitKg, "massPerUnitKg", $"The mass per unit must be at most {MaxMassPerUnitKg:N0} kg.");
        // The lot's whole mass is what its carbon figure and an order's transfer document are computed from.
        if (d.MassPerUnitKg is { } perUnit and > 0 and <= MaxMassPerUnitKg && d.Quantity is > 0 and <= 1_000_000_000m && unit is not Unit.Kg and not Unit.T)
        {
            v.Require(d.Quantity * perUnit <= Carbon.CarbonCalculator.MaxMassKg, "massPerUnitKg",
                $"The lot's mass (quantity × mass per unit) must be at most {Carbon.CarbonCalculator.MaxMassKg:N0} kg.");
        }
        v.Require(ConditionGrades.IsGrade(d.Condition),
            "condition", "The condition must be A (reusable as is), B (needs refurbishment) or C (material recovery only).");
        v.Require(d.UnitPrice.MinorUnits is >= 0 and <= Money.MaxMinorUnits, "unitPrice.minorUnits",
            $"The price must be from 0 to {Money.MaxMinorUnits:N0} minor units.");
        v.Require(Money.IsCurrencyCode(d.UnitPrice.Currency), "unitPrice.currency", "The currency must be an ISO 4217 code of a currency with two decimals, such as EUR or SEK.");

        if (d.Location is null)
        {
            v.Add("location", "The location is required.");
        }
        else
        {
            v.Require(GeoPoint.IsLatitude(d.Location.Latitude), "location.latitude",
                double.IsNaN(d.Location.Latitude) ? "The latitude is required." : "The latitude must be between -90 and 90.");
            v.Require(GeoPoint.IsLongitude(d.Location.Longitude), "location.longitude",
                double.IsNaN(d.Location.Longitude) ? "The longitude is required." : "The longitude must be between -180 and 180.");
            area ??= ServiceArea.Finland;
            v.Require(!d.Location.Point.IsValid || area.Contains(d.Location.Point), "location",
                $"The marketplace serves {area}; this point lies outside it.");
            v.Text(d.Location.Municipality, "location.municipality", 100);
            v.Text(d.Location.Address, "location.address", 300, required: false);
        }

        v.Require(d.Pickup || d.Delivery, "pickup", "Offer pickup, delivery or both.");
        if (d.Availability == default)
        {
            v.Add("availability", "The availability window is required: {\"from\": \"yyyy-MM-dd\", \"to\": \"yyyy-MM-dd\"}.");
        }
        else
        {
            v.Require(d.Availability.IsValid, "availability", "The availability window must not end before it starts.");
            v.WithinHorizon(d.Availability, "availability", now);
        }

        var photos = d.Photos ?? [];
        v.Require(photos.Count <= MaxPhotos, "photos", $"At most {MaxPhotos} photos.");
        for (var i = 0; i < photos.Count; i++)
        {
            v.Require(photos[i] is { } photo && (IsUploadedPhoto(photo) || (Uri.TryCreate(photo, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && photo.Length <= 500)),
                $"photos[{i}]", "A photo reference must be an http(s) URL of at most 500 characters or a photo uploaded to the marketplace.");
        }

        var wasteCode = d.WasteCode;
        if (wasteCode is not null && !WasteCodePattern().IsMatch(wasteCode))
        {
            v.Add("wasteCode", "A waste code has the form '17 01 02' (EU List of Waste).");
        }
        else if (!d.IsWaste && wasteCode is not null)
        {
            v.Add("wasteCode", "Only a lot marked as waste carries a waste code.");
        }
        else if (d.IsWaste && wasteCode is null)
        {
            wasteCode = category?.WasteCode;
            v.Require(category is null || wasteCode is not null, "wasteCode", "This category has no default waste code: give one.");
        }

        v.ThrowIfInvalid();
        var massPerUnit = d.MassPerUnitKg ?? (category!.MassPerUnitKg.TryGetValue(unit!.Value, out var kg) ? kg : null);
        return d with
        {
            Title = d.Title.Trim(),
            Description = d.Description ?? "",
            MassPerUnitKg = massPerUnit,
            WasteCode = wasteCode,
            Photos = photos.ToArray(),
            // An empty address is no address: an export writes a missing one as an empty cell, and its import must compare equal.
            Location = d.Location! with { Municipality = d.Location.Municipality.Trim(), Address = string.IsNullOrWhiteSpace(d.Location.Address) ? null : d.Location.Address },
        };
    }

    /// <summary>Changes the seller-editable details. The listed quantity never drops below held + sold.</summary>
    public void Update(ListingChanges changes, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null)
    {
        EnsureOpenForEdits();
        ChangeDetails(changes.ApplyTo(Details!), taxonomy, now, area);
    }

    /// <summary>
    /// Replaces the seller-editable details as a whole (a bulk import's row describes the whole lot), under the same rules
    /// as <see cref="Update"/>; the lot remembers <paramref name="externalId"/> when it has none.
    /// </summary>
    public void Replace(ListingDetails details, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area = null, string? externalId = null)
    {
        EnsureOpenForEdits();
        ChangeDetails(details, taxonomy, now, area);
        ExternalId ??= externalId;
    }

    private void ChangeDetails(ListingDetails proposed, MaterialTaxonomy taxonomy, DateTimeOffset now, ServiceArea? area)
    {
        var next = Validate(proposed, taxonomy, now, area);
        var committed = Held + Sold;
        if (committed > 0 && (next.Unit != Details!.Unit || next.Category != Details.Category))
        {
            throw DomainException.Conflict("listing-committed", "The unit and category cannot change while part of the lot is held or sold.");
        }

        if (next.Quantity < committed)
        {
            throw DomainException.Conflict("quantity-below-committed",
                $"The listed quantity cannot go below what is held and sold ({committed} {Details!.Unit}).",
                new Dictionary<string, object?> { ["held"] = Held, ["sold"] = Sold, ["minimum"] = committed });
        }

        if (Status == ListingStatus.Active && Today(now) > next.Availability.To)
        {
            throw new DomainException("validation-failed", "The request has invalid fields.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["availability"] = ["An active lot's availability window cannot end in the past."] });
        }

        Details = next;
        if (Status == ListingStatus.SoldOut && Available > 0)
        {
            Status = ListingStatus.Active;
        }

        Touch(now);
        SettleSoldOut();
    }

    /// <summary>Puts a draft lot on the market.</summary>
    public void Publish(DateTimeOffset now)
    {
        EnsureExists();
        if (Status != ListingStatus.Draft)
        {
            throw InvalidTransition("publish");
        }

        if (Today(now) > Details!.Availability.To)
        {
            throw DomainException.Conflict("availability-ended", "The availability window has already ended: move it before publishing.");
        }

        Status = ListingStatus.Active;
        PublishedAt ??= now;
        Touch(now);
    }

    /// <summary>
    /// Takes the lot off the market; active holds are released. Not while an order placed on it waits for the seller
    /// (409 <c>listing-has-orders</c>): its hold changes only through the order, which would be left unable to go on.
    /// </summary>
    public IReadOnlyList<Hold> Withdraw(DateTimeOffset now)
    {
        EnsureExists();
        if (Status is not (ListingStatus.Draft or ListingStatus.Active or ListingStatus.SoldOut))
        {
            throw InvalidTransition("withdraw");
        }

        if (_holds.FirstOrDefault(h => h.IsActive && h.OrderId is not null) is { } ordered)
        {
            throw DomainException.Conflict("listing-has-orders",
                $"Order '{ordered.OrderId}' is placed on this lot: accept it or cancel it first (/api/v1/orders/{ordered.OrderId}), then withdraw the lot.",
                new Dictionary<string, object?> { ["orderId"] = ordered.OrderId });
        }

        var released = CloseActiveHolds(HoldStatus.Released, now);
        Status = ListingStatus.Withdrawn;
        Touch(now);
        return released;
    }

    /// <summary>
    /// Reserves part of the lot for a buyer until <paramref name="until"/>, within the buyer's <paramref name="limits"/>
    /// (default <see cref="BuyerHoldLimits.None"/>). A hold placed for a matching session names it in <paramref name="matchId"/>.
    /// Only an active lot is held: a draft is 404 (others may not know it exists), any other status 409
    /// <c>listing-not-active</c>. The same hold id from the same buyer for the same quantity is the same hold: it is
    /// answered again unchanged, so a retried request holds once.
    /// </summary>
    public Hold PlaceHold(string holdId, string buyerId, decimal quantity, DateTimeOffset until, DateTimeOffset now,
        BuyerHoldLimits? limits = null, string? matchId = null)
    {
        EnsureExists();
        if (_holds.Find(h => h.Id == holdId) is { } placed && placed.BuyerId == buyerId && placed.Quantity == quantity)
        {
            return placed;
        }

        if (Status == ListingStatus.Draft || Hidden is not null)
        {
            throw DomainException.NotFound("listing", Id);
        }

        var v = new Validation();
        v.Require(quantity > 0, "quantity", "The held quantity must be greater than zero.");
        v.Require(decimal.Round(quantity, 3) == quantity, "quantity", "The quantity may have at most three decimals.");
        v.Require(until > now, "until", "A hold must end in the future.");
        v.Require(until <= now + MaxHoldDuration, "until", $"A hold may last at most {MaxHoldDuration.TotalDays} days.");
        v.ThrowIfInvalid();

        ExpireIfDue(now);
        EnsureActive();

        if (buyerId == SellerId)
        {
            throw DomainException.Conflict("own-listing", "A seller cannot hold its own lot.");
        }

        if (_holds.Any(h => h.Id == holdId))
        {
            throw DomainException.Conflict("hold-exists", $"Hold '{holdId}' already exists on this lot.");
        }

        if (_holds.Count(h => h.IsActive) >= MaxActiveHolds)
        {
            throw DomainException.Conflict("too-many-holds", $"A lot keeps at most {MaxActiveHolds} open holds.");
        }

        var available = Available;
        if (quantity > available)
        {
            throw DomainException.Conflict("hold-exceeds-available",
                $"Only {available} {Details!.Unit} of this lot is available.",
                new Dictionary<string, object?> { ["available"] = available, ["requested"] = quantity, ["unit"] = Details!.Unit });
        }

        // A hold worth more than the largest order could never be ordered: refused here rather than held for nothing.
        if (quantity * Details!.UnitPrice.MinorUnits > Orders.OrderPricing.MaxNetMinor)
        {
            throw DomainException.Invalid("quantity",
                $"At this lot's price a hold may be for at most {decimal.Floor(Orders.OrderPricing.MaxNetMinor / (decimal)Details.UnitPrice.MinorUnits * 1000) / 1000} {Details.Unit}: the largest order the marketplace takes is {Orders.OrderPricing.MaxNetMinor / 100:N0} {Details.UnitPrice.Currency} before VAT. Hold less, and order the rest separately.");
        }

        (limits ?? BuyerHoldLimits.None).Check(_holds.Where(h => h.IsActive && h.BuyerId == buyerId).ToArray(), quantity, ListedQuantity, Details!.Unit);
        var hold = new Hold(holdId, buyerId, quantity, now, until, matchId);
        _holds.Add(hold);
        Touch(now);
        return hold;
    }

    /// <summary>
    /// Lets a hold go; the seller or the holding buyer may do it (through its order or match, when one placed it). An
    /// order releasing its hold again (a retry) gets the released hold back unchanged.
    /// </summary>
    public Hold ReleaseHold(string holdId, string actorId, DateTimeOffset now, string? matchId = null, string? orderId = null)
    {
        var hold = FindHold(holdId);
        if (actorId != SellerId && actorId != hold.BuyerId)
        {
            throw DomainException.NotFound("hold", holdId);
        }

        EnsureThrough(hold, matchId, orderId, "released");
        if (orderId is not null && hold.Status == HoldStatus.Confirmed)
        {
            // The order confirmed its hold but stopped before it stored its acceptance (a crash): it is cancelled while
            // still placed, so nothing was sold. Its quantity comes back, once, as a cancelled accepted order's does.
            ReturnSold(orderId, hold.Quantity, now);
            return hold;
        }

        if (orderId is not null && !hold.IsActive)
        {
            return hold;
        }

        EnsureHoldActive(hold);
        hold.Close(HoldStatus.Released, now);
        Touch(now);
        return hold;
    }

    /// <summary>
    /// The seller confirms a hold: its quantity becomes sold (through its order or match, when one placed it). An order
    /// confirming its hold again (a retry) gets the confirmed hold back unchanged.
    /// </summary>
    public Hold ConfirmHold(string holdId, string actorId, DateTimeOffset now, string? matchId = null, string? orderId = null)
    {
        var hold = FindHold(holdId);
        if (actorId != SellerId)
        {
            throw hold.BuyerId == actorId
                ? DomainException.Forbidden("seller-only", "Only the seller confirms a hold.")
                : DomainException.NotFound("hold", holdId);
        }

        EnsureThrough(hold, matchId, orderId, "confirmed");
        if (orderId is not null && hold.Status == HoldStatus.Confirmed)
        {
            if (_returns.Any(r => r.OrderId == orderId))
            {
                // Its quantity went back for this order's cancel (one a host died in before storing it): not sold again.
                throw DomainException.Conflict("hold-closed", "The hold's quantity went back to the lot when its order was cancelled.",
                    new Dictionary<string, object?> { ["holdStatus"] = "returned" });
            }

            return hold;
        }

        EnsureHoldActive(hold);
        hold.Close(HoldStatus.Confirmed, now);
        Sold += hold.Quantity;
        Touch(now);
        SettleSoldOut();
        return hold;
    }

    /// <summary>
    /// Ties the buyer's active hold to its order and keeps it at least until <paramref name="until"/> (the order's
    /// acceptance deadline plus a grace), so the hold never lapses under an order waiting for the seller; from then on
    /// only the order confirms or releases it. Repeating it for the same order changes nothing.
    /// </summary>
    public Hold AttachOrder(string holdId, string buyerId, string orderId, DateTimeOffset until, DateTimeOffset now, string? matchId = null)
    {
        var hold = FindHold(holdId);
        if (hold.BuyerId != buyerId)
        {
            throw DomainException.NotFound("hold", holdId);
        }

        if (hold.OrderId == orderId && hold.ExpiresAt >= until)
        {
            return hold;
        }

        if (hold.OrderId is not null && hold.OrderId != orderId)
        {
            throw DomainException.Conflict("hold-ordered", $"The hold is already in order '{hold.OrderId}'.",
                new Dictionary<string, object?> { ["orderId"] = hold.OrderId });
        }

        EnsureThroughMatch(hold, matchId, "ordered");
        EnsureHoldActive(hold);
        hold.OrderId = orderId;
        if (hold.ExpiresAt < until)
        {
            hold.ExpiresAt = until;
        }

        Touch(now);
        return hold;
    }

    /// <summary>
    /// Unties a hold from an order that was never stored (its checkout failed or its host died between tying the hold
    /// and storing the order): the hold is the buyer's own again, to release or order anew. The caller has checked that
    /// the order does not exist. Answers false when no active hold is tied to <paramref name="orderId"/>.
    /// </summary>
    public bool DetachOrder(string orderId, DateTimeOffset now)
    {
        EnsureExists();
        if (_holds.FirstOrDefault(h => h.IsActive && h.OrderId == orderId) is not { } hold)
        {
            return false;
        }

        hold.OrderId = null;
        Touch(now);
        return true;
    }

    /// <summary>
    /// A cancelled order gives its sold quantity back: sold shrinks, available grows (listed = available + held + sold
    /// still holds), and a sold-out lot is active again. Once per order id: a repeat changes nothing and answers false.
    /// </summary>
    public bool ReturnSold(string orderId, decimal quantity, DateTimeOffset now)
    {
        EnsureExists();
        if (_returns.Any(r => r.OrderId == orderId))
        {
            return false;
        }

        var v = new Validation();
        v.Require(!string.IsNullOrWhiteSpace(orderId), "orderId", "The order is required.");
        v.Require(quantity > 0, "quantity", "The returned quantity must be greater than zero.");
        v.ThrowIfInvalid();
        if (quantity > Sold)
        {
            throw DomainException.Conflict("return-exceeds-sold", $"Only {Sold} {Details!.Unit} of this lot is sold.",
                new Dictionary<string, object?> { ["sold"] = Sold, ["requested"] = quantity });
        }

        Sold -= quantity;
        _returns.Add(new SoldReturn(orderId, quantity, now));
        if (Status == ListingStatus.SoldOut && Available > 0)
        {
            Status = ListingStatus.Active;
        }

        Touch(now);
        return true;
    }

    /// <summary>Orders whose sold quantity went back to the lot.</summary>
    [JsonIgnore]
    public IReadOnlyList<SoldReturn> Returns => _returns;

    /// <summary>Lapses every hold whose expiry has passed and expires the lot after its window; returns the lapsed holds.</summary>
    public IReadOnlyList<Hold> ExpireIfDue(DateTimeOffset now)
    {
        if (!Exists)
        {
            return [];
        }

        var lapsed = new List<Hold>();
        foreach (var hold in _holds.Where(h => h.IsActive && h.ExpiresAt <= now))
        {
            hold.Close(HoldStatus.Lapsed, now);
            lapsed.Add(hold);
        }

        if (Status == ListingStatus.Active && Today(now) > Details!.Availability.To)
        {
            lapsed.AddRange(CloseActiveHolds(HoldStatus.Lapsed, now));
            Status = ListingStatus.Expired;
            Touch(now);
        }
        else if (lapsed.Count > 0)
        {
            Touch(now);
        }

        return lapsed;
    }

    /// <summary>The next instant at which time alone changes the lot (a hold lapses or the window ends), if any.</summary>
    public DateTimeOffset? NextDeadline()
    {
        if (!Exists || Status != ListingStatus.Active)
        {
            return null;
        }

        var end = MarketClock.EndOf(Details!.Availability.To);
        var firstHold = _holds.Where(h => h.IsActive).Select(h => (DateTimeOffset?)h.ExpiresAt).Min();
        return firstHold is { } h && h < end ? h : end;
    }

    /// <summary>True when others may see the lot (it is or was on the market, and no platform admin has hidden it).</summary>
    [JsonIgnore]
    public bool IsPublic => (Status is ListingStatus.Active or ListingStatus.SoldOut) && Hidden is null;

    /// <summary>The status the search index keeps: <c>hidden</c> for a hidden lot, so it leaves search whatever its status.</summary>
    [JsonIgnore]
    public string IndexStatus => Hidden is null ? StatusCode(Status) : "hidden";

    /// <summary>
    /// A platform admin takes the lot off the market with a reason the seller is shown: it leaves search, public reads
    /// and matching; its holds and orders go on. Hiding a hidden lot again keeps the first hiding (a retry).
    /// </summary>
    public void Hide(string? reason, string adminId, DateTimeOffset now)
    {
        EnsureExists();
        var moderation = Moderation.Create(reason, adminId, now);
        if (Hidden is not null)
        {
            return;
        }

        Hidden = moderation;
        Touch(now);
    }

    /// <summary>A platform admin puts a hidden lot back; false when it was not hidden.</summary>
    public bool Unhide(DateTimeOffset now)
    {
        EnsureExists();
        if (Hidden is null)
        {
            return false;
        }

        Hidden = null;
        Touch(now);
        return true;
    }

    /// <summary>The path under which the marketplace serves a photo uploaded for a lot (a reference a lot's <c>photos</c> may hold).</summary>
    public static string PhotoPath(string listingId, string photoId) => $"/api/v1/listings/{listingId}/photos/{photoId}";

    /// <summary>True when <paramref name="reference"/> names a photo uploaded to the marketplace (<see cref="PhotoPath"/>).</summary>
    public static bool IsUploadedPhoto(string? reference) => reference is not null && UploadedPhotoPattern().IsMatch(reference);

    /// <summary>422 <c>too-many-photos</c> when the lot already has <paramref name="maxUploaded"/> uploaded photos.</summary>
    public void EnsureRoomForUploadedPhoto(int maxUploaded)
    {
        if (Details!.Photos.Count(IsUploadedPhoto) >= maxUploaded)
        {
            throw new DomainException("too-many-photos", $"A lot has at most {maxUploaded} uploaded photos; remove one first.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["photo"] = [$"A lot has at most {maxUploaded} uploaded photos."] });
        }
    }

    /// <summary>
    /// Adds an uploaded photo's reference: at most <see cref="MaxPhotos"/> photos and <paramref name="maxUploaded"/>
    /// uploaded ones (422 <c>too-many-photos</c>); a lot that is withdrawn or expired is closed for edits.
    /// </summary>
    public void AddPhoto(string reference, DateTimeOffset now, int maxUploaded = MaxPhotos)
    {
        EnsureOpenForEdits();
        if (Details!.Photos.Contains(reference))
        {
            return;
        }

        EnsureRoomForUploadedPhoto(maxUploaded);
        var v = new Validation();
        v.Require(Details.Photos.Count < MaxPhotos, "photo", $"A lot has at most {MaxPhotos} photos; remove one first.");
        v.Require(IsUploadedPhoto(reference), "photo", "Not a reference to an uploaded photo.");
        v.ThrowIfInvalid();
        Details = Details with { Photos = [.. Details.Photos, reference] };
        Touch(now);
    }

    /// <summary>Removes a photo reference; false when the lot does not have it.</summary>
    public bool RemovePhoto(string reference, DateTimeOffset now)
    {
        EnsureOpenForEdits();
        if (!Details!.Photos.Contains(reference))
        {
            return false;
        }

        Details = Details with { Photos = Details.Photos.Where(p => p != reference).ToArray() };
        Touch(now);
        return true;
    }

    /// <summary>True when a viewer (a trader id, or null when anonymous) may read the lot: anyone when it is public, else its seller and platform admins.</summary>
    public bool IsVisibleTo(string? viewerId, bool platformAdmin = false) => Exists && (IsPublic || platformAdmin || (viewerId is not null && viewerId == SellerId));

    /// <summary>What the matcher needs, or null when nothing of the lot can be proposed (not active, or nothing available).</summary>
    public Matching.LotSummary? ToMatchSummary()
    {
        if (Status != ListingStatus.Active || Hidden is not null || Available <= 0 || Details is not { } d || d.Location is not { } at || !Units.TryParse(d.Unit, out var unit))
        {
            return null;
        }

        return new Matching.LotSummary(Id, SellerId, d.Category, unit.Value, Available, d.MassPerUnitKg, ConditionGrades.Rank(d.Condition),
            d.UnitPrice.MinorUnits, new GeoPoint(at.Latitude, at.Longitude), d.Availability, d.UnitPrice.Currency);
    }

    /// <summary>Refuses anyone but the seller: 403 when the lot is public, 404 when others may not know it exists.</summary>
    public void EnsureSeller(string actorId)
    {
        EnsureExists();
        if (actorId != SellerId)
        {
            throw IsPublic
                ? DomainException.Forbidden("seller-only", "Only the seller may do this.")
                : DomainException.NotFound("listing", Id);
        }
    }

    /// <summary>The API code of a status, e.g. <c>sold-out</c>.</summary>
    public static string StatusCode(ListingStatus status) => status switch
    {
        ListingStatus.SoldOut => "sold-out",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static DateOnly Today(DateTimeOffset now) => MarketClock.Today(now);

    /// <summary>Refuses anything but an active lot with 409 <c>listing-not-active</c>, naming its status.</summary>
    private void EnsureActive()
    {
        if (Status != ListingStatus.Active)
        {
            throw DomainException.Conflict("listing-not-active", $"Only an active listing can be held; this one is {StatusCode(Status)}.",
                new Dictionary<string, object?> { ["listingStatus"] = StatusCode(Status) });
        }
    }

    private Hold FindHold(string holdId)
    {
        EnsureExists();
        return _holds.FirstOrDefault(h => h.Id == holdId) ?? throw DomainException.NotFound("hold", holdId);
    }

    /// <summary>An order's hold changes only with its order (which speaks for its match too); others as <see cref="EnsureThroughMatch"/>.</summary>
    private static void EnsureThrough(Hold hold, string? matchId, string? orderId, string action)
    {
        if (hold.OrderId is not null || orderId is not null)
        {
            if (hold.OrderId != orderId)
            {
                throw hold.OrderId is null
                    ? DomainException.Conflict("hold-not-ordered", $"This hold is in no order, so no order may have it {action}.")
                    : DomainException.Conflict("hold-belongs-to-order",
                        $"This hold is in order '{hold.OrderId}' and is {action} only through it: use /api/v1/orders/{hold.OrderId}.",
                        new Dictionary<string, object?> { ["orderId"] = hold.OrderId });
            }

            return;
        }

        EnsureThroughMatch(hold, matchId, action);
    }

    /// <summary>A match's hold changes only with its match, so the match and the lot never tell different stories.</summary>
    private static void EnsureThroughMatch(Hold hold, string? matchId, string action)
    {
        if (hold.MatchId is not null && hold.MatchId != matchId)
        {
            throw DomainException.Conflict("hold-belongs-to-match",
                $"This hold was placed by match '{hold.MatchId}' and is {action} only through it: use /api/v1/matches/{hold.MatchId}.",
                new Dictionary<string, object?> { ["matchId"] = hold.MatchId });
        }
    }

    private static void EnsureHoldActive(Hold hold)
    {
        if (!hold.IsActive)
        {
            throw DomainException.Conflict("hold-closed", $"The hold is already {hold.Status.ToString().ToLowerInvariant()}.",
                new Dictionary<string, object?> { ["holdStatus"] = hold.Status.ToString().ToLowerInvariant() });
        }
    }

    private List<Hold> CloseActiveHolds(HoldStatus status, DateTimeOffset now)
    {
        var closed = _holds.Where(h => h.IsActive).ToList();
        foreach (var hold in closed)
        {
            hold.Close(status, now);
        }

        return closed;
    }

    private void SettleSoldOut()
    {
        if (Status == ListingStatus.Active && Sold >= ListedQuantity && Held == 0)
        {
            Status = ListingStatus.SoldOut;
        }
    }

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
        var closed = _holds.Count(h => !h.IsActive);
        if (closed > ClosedHoldsKept)
        {
            var drop = _holds.Where(h => !h.IsActive).OrderBy(h => h.ClosedAt).Take(closed - ClosedHoldsKept).ToHashSet();
            _holds.RemoveAll(drop.Contains);
        }
    }

    private void EnsureOpenForEdits()
    {
        EnsureExists();
        if (Status is ListingStatus.Withdrawn or ListingStatus.Expired)
        {
            throw DomainException.Conflict("listing-closed", $"The listing is {Status.ToString().ToLowerInvariant()} and can no longer be edited.",
                new Dictionary<string, object?> { ["listingStatus"] = StatusCode(Status) });
        }
    }

    private void EnsureExists()
    {
        if (!Exists)
        {
            throw DomainException.NotFound("listing", Id);
        }
    }

    private DomainException InvalidTransition(string action)
        => DomainException.Conflict("invalid-transition", $"{English.Article(StatusCode(Status))} {StatusCode(Status)} listing cannot {action}.",
            new Dictionary<string, object?> { ["listingStatus"] = StatusCode(Status), ["action"] = action });

    [GeneratedRegex(@"^/api/v1/listings/[A-Za-z0-9_-]{1,100}/photos/[0-9a-f]{32}$")]
    private static partial Regex UploadedPhotoPattern();

    [GeneratedRegex(@"^17 \d\d \d\d\*?$")]
    private static partial Regex WasteCodePattern();
}

/// <summary>Sold quantity a cancelled order gave back to its lot.</summary>
public sealed record SoldReturn(string OrderId, decimal Quantity, DateTimeOffset At);
