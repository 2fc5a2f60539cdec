using System.Text.Json.Serialization;

namespace Marketplace.Domain.Listings;

/// <summary>Where a hold stands.</summary>
public enum HoldStatus
{
    /// <summary>The quantity is reserved for the buyer until the expiry.</summary>
    Active,

    /// <summary>The seller confirmed it: the quantity is sold.</summary>
    Confirmed,

    /// <summary>The buyer or the seller let it go.</summary>
    Released,

    /// <summary>It reached its expiry unconfirmed.</summary>
    Lapsed,
}

/// <summary>A buyer's time-limited reservation of part of a lot.</summary>
public sealed class Hold
{
    /// <summary>Creates an active hold.</summary>
    [JsonConstructor]
    public Hold(string id, string buyerId, decimal quantity, DateTimeOffset placedAt, DateTimeOffset expiresAt, string? matchId = null)
    {
        Id = id;
        BuyerId = buyerId;
        Quantity = quantity;
        PlacedAt = placedAt;
        ExpiresAt = expiresAt;
        MatchId = matchId;
    }

    /// <summary>Hold id, unique within its lot.</summary>
    public string Id { get; }

    /// <summary>The trader holding the quantity.</summary>
    public string BuyerId { get; }

    /// <summary>Held quantity in the lot's unit.</summary>
    public decimal Quantity { get; }

    /// <summary>When it was placed.</summary>
    public DateTimeOffset PlacedAt { get; }

    /// <summary>When it lapses unless confirmed or released first (extended when an order waits on it).</summary>
    [JsonInclude]
    public DateTimeOffset ExpiresAt { get; internal set; }

    /// <summary>The matching session that placed it, if any: such a hold is confirmed and released only through its match.</summary>
    public string? MatchId { get; }

    /// <summary>The order placed for this hold, if any: the hold is then confirmed and released only through it.</summary>
    [JsonInclude]
    public string? OrderId { get; internal set; }

    /// <summary>Current status.</summary>
    [JsonInclude]
    public HoldStatus Status { get; internal set; } = HoldStatus.Active;

    /// <summary>When it left the active state.</summary>
    [JsonInclude]
    public DateTimeOffset? ClosedAt { get; internal set; }

    /// <summary>True while the quantity is reserved.</summary>
    [JsonIgnore]
    public bool IsActive => Status == HoldStatus.Active;

    /// <summary>A copy of the hold as it is now, shared with no lot (a receipt's: the lot's own hold changes on).</summary>
    internal Hold Snapshot() => new(Id, BuyerId, Quantity, PlacedAt, ExpiresAt, MatchId) { OrderId = OrderId, Status = Status, ClosedAt = ClosedAt };

    internal void Close(HoldStatus status, DateTimeOffset at)
    {
        Status = status;
        ClosedAt = at;
    }
}

/// <summary>A hold just placed, released or confirmed, with the lot's quantities right after it.</summary>
public sealed record HoldReceipt(string ListingId, Hold Hold, decimal Listed, decimal Available, decimal Held, decimal Sold)
{
    /// <summary>
    /// The receipt for a hold of a lot, with a snapshot of the hold: the lot's own hold object changes with the next
    /// release or lapse, the receipt's never does (so a grain call may pass the receipt on uncopied).
    /// </summary>
    public static HoldReceipt For(Listing listing, Hold hold)
        => new(listing.Id, hold.Snapshot(), listing.ListedQuantity, listing.Available, listing.Held, listing.Sold);
}
