using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Matching;

/// <summary>Where a matching session stands.</summary>
public enum MatchStatus
{
    /// <summary>Proposed to both sides; nothing is held.</summary>
    Proposed,

    /// <summary>The buyer accepted: the quantity is held on the lot.</summary>
    Accepted,

    /// <summary>The seller confirmed: the held quantity is sold.</summary>
    Confirmed,

    /// <summary>The buyer or the seller declined; the pair is not proposed again.</summary>
    Declined,

    /// <summary>Nobody finished it in time, or the lot no longer had the quantity; any hold was released.</summary>
    Expired,
}

/// <summary>What the partition proposes: part of a lot for a demand, with what ranked it.</summary>
/// <param name="LotId">The lot.</param>
/// <param name="SellerId">The lot's seller.</param>
/// <param name="DemandId">The demand.</param>
/// <param name="BuyerId">The demand's buyer.</param>
/// <param name="Quantity">Proposed quantity in the demand's unit.</param>
/// <param name="Unit">The demand's unit.</param>
/// <param name="LotQuantity">The same quantity in the lot's unit (what is held).</param>
/// <param name="LotUnit">The lot's unit.</param>
/// <param name="LandedCostMinor">Price plus transport estimate per demand unit, minor units.</param>
/// <param name="DistanceKm">Lot to demand, km.</param>
public sealed record SessionProposal(string LotId, string SellerId, string DemandId, string BuyerId, decimal Quantity, string Unit,
    decimal LotQuantity, string LotUnit, double LandedCostMinor, double DistanceKm)
{
    /// <summary>The proposal for a matcher's <see cref="Proposal"/>.</summary>
    public static SessionProposal From(Proposal p, LotSummary lot, DemandSummary demand)
        => new(p.LotId, lot.SellerId, p.DemandId, demand.BuyerId, p.Quantity, demand.Unit.Code(), Units.Convert(p.Quantity, demand.Unit, lot.Unit),
            lot.Unit.Code(), Math.Round(p.LandedCostMinor, 2), Math.Round(p.DistanceKm, 3));

    /// <summary>The session id of a pair: one session per lot and demand.</summary>
    public static string SessionId(string lotId, string demandId) => $"{lotId}-{demandId}";
}

/// <summary>
/// One proposal pairing a lot with a demand, carried to a deal: proposed → accepted by the buyer (a hold is placed on
/// the lot) → confirmed by the seller (the hold is confirmed); or declined by either side; or expired after its time
/// (a hold is released). A pair is proposed again only after its session expired.
/// </summary>
public sealed class MatchingSession
{
    /// <summary>Empty state, for storage.</summary>
    public MatchingSession()
    {
    }

    /// <summary>Session id (<see cref="SessionProposal.SessionId"/>).</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The proposal.</summary>
    [JsonInclude]
    public SessionProposal? Proposal { get; private set; }

    /// <summary>Status.</summary>
    [JsonInclude]
    public MatchStatus Status { get; private set; }

    /// <summary>Why it expired or was declined (e.g. <c>quantity-gone</c>, <c>timed-out</c>, <c>declined-by-buyer</c>).</summary>
    [JsonInclude]
    public string? Reason { get; private set; }

    /// <summary>The hold placed on acceptance.</summary>
    [JsonInclude]
    public string? HoldId { get; private set; }

    /// <summary>The order the buyer's acceptance placed for the session's hold (null before acceptance).</summary>
    [JsonInclude]
    public string? OrderId { get; private set; }

    /// <summary>
    /// Acceptances of this round whose order could not be placed (bad checkout details): each released its hold, so
    /// the next acceptance places a hold (and order) of a new id.
    /// </summary>
    [JsonInclude]
    public int FailedCheckouts { get; private set; }

    /// <summary>
    /// The hold an acceptance of this round is placing, stored before it places the hold (and the order for it), so a
    /// crash before the acceptance is stored leaves a session that knows to let them go when it is declined or expires
    /// (without it a declined match left a hold on the lot that only its expiry, days later, released). Null once the
    /// acceptance is stored, refused, or the session ended; an optional field, so no schema version bump.
    /// </summary>
    [JsonInclude]
    public string? AcceptingHoldId { get; private set; }

    /// <summary>How many times the pair was proposed (a new round after an expiry).</summary>
    [JsonInclude]
    public int Round { get; private set; }

    /// <summary>When this round was proposed.</summary>
    [JsonInclude]
    public DateTimeOffset ProposedAt { get; private set; }

    /// <summary>When this round expires unless confirmed.</summary>
    [JsonInclude]
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>Last change.</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Grows with every change.</summary>
    [JsonInclude]
    public long Version { get; private set; }

    /// <summary>
    /// Webhook events of the last stored changes, written in the same storage write as the change they describe and
    /// handed to the subscriptions afterwards (see <c>WebhookRelay</c>); an optional field, so no schema version bump.
    /// </summary>
    [JsonInclude]
    public List<Webhooks.OutboxEvent> Outbox { get; private set; } = [];

    /// <summary>
    /// A copy that later changes to this session do not reach (its members are immutable but the outbox, which is
    /// copied), for handing the session on without copying it through a serializer.
    /// </summary>
    public MatchingSession Snapshot()
    {
        var copy = (MatchingSession)MemberwiseClone();
        copy.Outbox = [.. Outbox];
        return copy;
    }

    /// <summary>True once proposed.</summary>
    public bool Exists => Proposal is not null;

    /// <summary>True while the session can still become a deal.</summary>
    public bool IsOpen => Status is MatchStatus.Proposed or MatchStatus.Accepted;

    /// <summary>
    /// Proposes the pair: a first proposal, or a new round after an expiry. False (and nothing changes) while a session
    /// for the pair is open, or after it was declined or confirmed.
    /// </summary>
    public bool Propose(string id, SessionProposal proposal, DateTimeOffset now, TimeSpan lifetime)
    {
        if (Exists && Status != MatchStatus.Expired)
        {
            return false;
        }

        Id = id;
        Proposal = proposal;
        Status = MatchStatus.Proposed;
        Reason = null;
        HoldId = null;
        OrderId = null;
        AcceptingHoldId = null;
        FailedCheckouts = 0;
        Round++;
        ProposedAt = now;
        UpdatedAt = now;
        ExpiresAt = now + lifetime;
        Version++;
        return true;
    }

    /// <summary>The buyer accepts: returns the hold id to place; the caller records it with <see cref="Accepted"/>.</summary>
    public string Accept(string actorId)
    {
        EnsureParty(actorId);
        if (actorId != Proposal!.BuyerId)
        {
            throw DomainException.Forbidden("buyer-only", "Only the buyer accepts a proposal; the seller confirms it afterwards.");
        }

        EnsureStatus(MatchStatus.Proposed, "accept");
        return NextHoldId;
    }

    /// <summary>The hold id the next acceptance of this round places (so a caller can name it before accepting); not stored.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string NextHoldId => FailedCheckouts == 0 ? $"{Id}-r{Round}" : $"{Id}-r{Round}-c{FailedCheckouts}";

    /// <summary>The order an acceptance places for its hold: derived from the hold, so a repeated acceptance finds it.</summary>
    public static string OrderIdFor(string holdId) => "order-" + holdId;

    /// <summary>
    /// The checkout an acceptance places for the session's hold: what the buyer gave, and for what it left out the buyer
    /// firm's defaults: pickup, payment by invoice, and an address of its billing address (else its municipality) at the
    /// demand's point (where the buyer wants the goods). Invoicing details left out default in the order from the firm's
    /// billing details.
    /// </summary>
    public Checkout CheckoutFor(Checkout? given, string holdId, GeoPoint? demandPoint, TraderProfile? buyer)
    {
        var billing = buyer?.Billing;
        var municipality = billing?.PostOffice ?? buyer?.Municipality;
        return new Checkout(
            Proposal!.LotId,
            holdId,
            given?.Fulfilment ?? "pickup",
            given?.Address ?? new OrderAddress(billing?.Address ?? municipality, billing?.PostalCode, municipality, demandPoint?.Latitude, demandPoint?.Longitude),
            given?.PaymentMethod ?? "invoice",
            given?.Invoicing,
            Id);
    }

    /// <summary>
    /// Records that an acceptance is about to place <paramref name="holdId"/> (see <see cref="AcceptingHoldId"/>). Not a
    /// change anyone sees: the version stays.
    /// </summary>
    public void Accepting(string holdId)
    {
        EnsureStatus(MatchStatus.Proposed, "accept");
        AcceptingHoldId = holdId;
    }

    /// <summary>
    /// Records an acceptance whose order was refused (its hold released): the session stays proposed, and the next
    /// acceptance uses a new hold id.
    /// </summary>
    public void CheckoutFailed(DateTimeOffset now)
    {
        EnsureStatus(MatchStatus.Proposed, "accept");
        FailedCheckouts++;
        AcceptingHoldId = null;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>Records the hold placed for the acceptance and the order placed for it.</summary>
    public void Accepted(string holdId, string? orderId, DateTimeOffset now)
    {
        Status = MatchStatus.Accepted;
        HoldId = holdId;
        OrderId = orderId;
        AcceptingHoldId = null;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>Refuses a confirmation the session does not allow, changing nothing: the lot is asked only after this.</summary>
    public void EnsureCanConfirm(string actorId)
    {
        EnsureParty(actorId);
        if (actorId != Proposal!.SellerId)
        {
            throw DomainException.Forbidden("seller-only", "Only the seller confirms an accepted proposal.");
        }

        EnsureStatus(MatchStatus.Accepted, "confirm");
    }

    /// <summary>The seller confirms an accepted session (after the lot confirmed its hold).</summary>
    public void Confirm(string actorId, DateTimeOffset now)
    {
        EnsureCanConfirm(actorId);
        Status = MatchStatus.Confirmed;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>
    /// Refuses a decline the session does not allow, changing nothing; returns the hold to release first, if one was
    /// placed (the session changes with <see cref="Decline"/> only after the lot released it).
    /// </summary>
    public string? EnsureCanDecline(string actorId)
    {
        EnsureParty(actorId);
        if (!IsOpen)
        {
            throw Closed("decline");
        }

        return OpenHold;
    }

    /// <summary>Either side declines an open session; returns the hold to release, if one was placed.</summary>
    public string? Decline(string actorId, DateTimeOffset now)
    {
        var hold = EnsureCanDecline(actorId);
        Status = MatchStatus.Declined;
        Reason = actorId == Proposal!.BuyerId ? "declined-by-buyer" : "declined-by-seller";
        AcceptingHoldId = null;
        UpdatedAt = now;
        Version++;
        return hold;
    }

    /// <summary>Ends an open session without a deal (timed out, or the quantity is gone); returns the hold to release.</summary>
    public string? Expire(string reason, DateTimeOffset now)
    {
        if (!IsOpen)
        {
            return null;
        }

        var hold = OpenHold;
        Status = MatchStatus.Expired;
        Reason = reason;
        AcceptingHoldId = null;
        UpdatedAt = now;
        Version++;
        return hold;
    }

    /// <summary>The hold an open session keeps on the lot (once accepted), which ending the session must release.</summary>
    [JsonIgnore]
    public string? OpenHold => Status == MatchStatus.Accepted ? HoldId : null;

    /// <summary>True when an open session's time is up.</summary>
    public bool IsDue(DateTimeOffset now) => IsOpen && now >= ExpiresAt;

    /// <summary>Refuses anyone but the buyer and the seller: 404, since sessions are private to them.</summary>
    public void EnsureParty(string actorId)
    {
        if (!Exists || (actorId != Proposal!.BuyerId && actorId != Proposal.SellerId))
        {
            throw DomainException.NotFound("match", Id);
        }
    }

    /// <summary>The API's code for a status.</summary>
    public static string StatusCode(MatchStatus status) => status.ToString().ToLowerInvariant();

    private void EnsureStatus(MatchStatus expected, string action)
    {
        if (Status != expected)
        {
            throw Closed(action);
        }
    }

    private DomainException Closed(string action)
        => DomainException.Conflict("match-not-" + (action == "confirm" ? "accepted" : "open"), $"The match is {StatusCode(Status)} and cannot {action} now.",
            new Dictionary<string, object?> { ["matchStatus"] = StatusCode(Status) });
}
