using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Marketplace.Host.Api.Orders;

namespace Marketplace.Host.Api.Matches;

/// <summary>A matching session as one of its two traders sees it.</summary>
/// <param name="Id">Session id (one per lot and demand).</param>
/// <param name="Status">proposed, accepted, confirmed, declined or expired.</param>
/// <param name="Reason">Why it was declined or expired (declined-by-buyer, declined-by-seller, timed-out, quantity-gone).</param>
/// <param name="Role">The caller's side: buyer or seller.</param>
/// <param name="LotId">The lot.</param>
/// <param name="SellerId">The lot's seller.</param>
/// <param name="DemandId">The demand.</param>
/// <param name="BuyerId">The demand's buyer.</param>
/// <param name="Quantity">Proposed quantity in the demand's unit.</param>
/// <param name="Unit">The demand's unit.</param>
/// <param name="LotQuantity">The same quantity in the lot's unit (what acceptance holds).</param>
/// <param name="LotUnit">The lot's unit.</param>
/// <param name="LandedCostMinorPerUnit">Price plus transport estimate per demand unit, in cents.</param>
/// <param name="DistanceKm">Lot to demand, km.</param>
/// <param name="HoldId">The hold placed on acceptance.</param>
/// <param name="Round">How many times the pair was proposed (again only after an expiry).</param>
/// <param name="ProposedAt">When this round was proposed.</param>
/// <param name="ExpiresAt">When it expires unless confirmed.</param>
/// <param name="UpdatedAt">Last change.</param>
/// <param name="Version">Grows with every change.</param>
/// <param name="OrderId">The order the buyer's acceptance placed (GET /api/v1/orders/{id}); null before acceptance.</param>
public sealed record MatchResponse(
    string Id,
    string Status,
    string? Reason,
    string Role,
    string LotId,
    string SellerId,
    string DemandId,
    string BuyerId,
    decimal Quantity,
    string Unit,
    decimal LotQuantity,
    string LotUnit,
    double LandedCostMinorPerUnit,
    double DistanceKm,
    string? HoldId,
    int Round,
    DateTimeOffset ProposedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset UpdatedAt,
    long Version,
    string? OrderId)
{
    /// <summary>Maps a session for a viewer (its buyer or its seller).</summary>
    public static MatchResponse From(MatchingSession s, string viewer)
    {
        var p = s.Proposal!;
        return new MatchResponse(s.Id, MatchingSession.StatusCode(s.Status), s.Reason, viewer == p.BuyerId ? "buyer" : "seller", p.LotId, p.SellerId,
            p.DemandId, p.BuyerId, p.Quantity, p.Unit, p.LotQuantity, p.LotUnit, p.LandedCostMinor, p.DistanceKm, s.HoldId, s.Round,
            s.ProposedAt, s.ExpiresAt, s.UpdatedAt, s.Version, s.OrderId);
    }
}

/// <summary>
/// Checkout details for the order a match's acceptance places; every member is optional: by default pickup, payment by
/// invoice, the firm's billing address at the demand's point, and its billing details for invoicing.
/// </summary>
/// <param name="Fulfilment"><c>pickup</c> or <c>delivery</c>.</param>
/// <param name="Address">Where the goods go.</param>
/// <param name="PaymentMethod"><c>invoice</c> or <c>card</c>.</param>
/// <param name="Invoicing">Business id and e-invoice address with operator, or email.</param>
public sealed record AcceptMatchRequest(string? Fulfilment, OrderAddressDto? Address, string? PaymentMethod, InvoicingDto? Invoicing)
{
    /// <summary>The checkout, read as the orders API reads one (the match fills in its lot, hold and id).</summary>
    public Checkout ToCheckout() => new CheckoutRequest(null, null, Fulfilment, Address, PaymentMethod, Invoicing).ToCheckout();
}
