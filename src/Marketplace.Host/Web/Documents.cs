namespace Marketplace.Host.Web;

// The parts of the API's JSON documents the pages show. Read as the API writes them (docs/api.md); members the pages do
// not use are ignored, so a field the API adds never breaks a page.

/// <summary>Money as minor units and currency.</summary>
public sealed record MoneyDoc(long MinorUnits, string Currency);

/// <summary>A lot's quantities.</summary>
public sealed record QuantitiesDoc(decimal Listed, decimal Available, decimal Held, decimal Sold);

/// <summary>A place on the map with its address.</summary>
public sealed record LocationDoc(double Latitude, double Longitude, string? Address, string? Municipality);

/// <summary>An inclusive window of days.</summary>
public sealed record WindowDoc(DateOnly From, DateOnly To);

/// <summary>A hold as the seller or its buyer sees it.</summary>
public sealed record HoldDoc(string Id, string BuyerId, decimal Quantity, DateTimeOffset PlacedAt, DateTimeOffset ExpiresAt, string Status);

/// <summary>A lot's CO2e estimate per unit before transport.</summary>
public sealed record LotCarbonDoc(decimal PerUnitKgCo2e, string Unit, string DataVersion);

/// <summary>A lot (<c>GET /listings/{id}</c>).</summary>
public sealed record LotDoc(
    string Id, string SellerId, string Status, string Title, string Description, string Category, string Unit, QuantitiesDoc Quantities,
    decimal? MassPerUnitKg, string Condition, MoneyDoc UnitPrice, LocationDoc Location, bool Pickup, bool Delivery, WindowDoc Availability,
    bool IsWaste, string? WasteCode, IReadOnlyList<string>? Photos, DateTimeOffset? PublishedAt, IReadOnlyList<HoldDoc>? Holds, LotCarbonDoc? Carbon);

/// <summary>A hold just placed (<c>POST /listings/{id}/holds</c>).</summary>
public sealed record HoldPlacedDoc(string ListingId, HoldDoc Hold, QuantitiesDoc Quantities);

/// <summary>The count and average of a firm's reviews.</summary>
public sealed record ReviewSummaryDoc(int Count, double? Average);

/// <summary>A firm's public profile (<c>GET /traders/{id}</c>).</summary>
public sealed record TraderDoc(string Id, string Name, string? Municipality, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, ReviewSummaryDoc? Reviews);

/// <summary>An order's lot as it was when ordered.</summary>
public sealed record OrderLotDoc(string ListingId, string Title, string Category, string Condition, string Unit, string Municipality);

/// <summary>An order's delivery or pickup address.</summary>
public sealed record OrderAddressDoc(string? Address, string? PostalCode, string? Municipality);

/// <summary>An order line.</summary>
public sealed record OrderLineDoc(string Kind, string Description, decimal Quantity, string Unit, long UnitPriceMinor, long NetMinor, decimal VatRatePercent, long VatMinor);

/// <summary>An order's totals.</summary>
public sealed record OrderTotalsDoc(long NetMinor, long VatMinor, long GrossMinor, string Currency);

/// <summary>An order's payment.</summary>
public sealed record PaymentDoc(string Method, string Status, long PaidMinor, long RefundedMinor, bool HostedCheckout = false, string? CheckoutUrl = null)
{
    /// <summary>True while a card order paid on Stripe's page waits for the buyer to pay there.</summary>
    public bool AwaitingCard => Method == "card" && HostedCheckout && Status is "pending" or "requires_payment_method" or "requires_action" or "requires_confirmation";
}

/// <summary>An order's invoice.</summary>
public sealed record InvoiceDoc(string Number, DateOnly IssueDate, DateOnly DueDate, string ReferenceNumber, long OutstandingMinor, bool Paid,
    CreditNoteDoc? CreditNote = null);

/// <summary>A credit note against an order's invoice, as the order shows it.</summary>
public sealed record CreditNoteDoc(string Number, DateOnly IssueDate, long GrossMinor, string? Reason);

/// <summary>The CO2e figure stored on a completed order.</summary>
public sealed record OrderCarbonDoc(decimal AvoidedKgCo2e, decimal MassKg);

/// <summary>An order (<c>GET /orders/{id}</c>).</summary>
public sealed record OrderDoc(
    string Id, string Status, string BuyerId, string SellerId, string HoldId, string? MatchId, OrderLotDoc Lot, decimal Quantity, string Fulfilment,
    OrderAddressDoc? Address, decimal DistanceKm, IReadOnlyList<OrderLineDoc> Lines, OrderTotalsDoc Totals, PaymentDoc Payment, InvoiceDoc? Invoice,
    string? PickupCode, OrderCarbonDoc? Carbon, string? Reason, DateTimeOffset PlacedAt, DateTimeOffset AcceptBy, DateTimeOffset? AcceptedAt,
    DateTimeOffset? HandedOverAt, DateTimeOffset? DisputeUntil, DateTimeOffset? ClosedAt);

/// <summary>A page of documents and the next page's cursor.</summary>
public sealed record PageDoc<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>A point.</summary>
public sealed record PointDoc(double Latitude, double Longitude);

/// <summary>A wanted notice (<c>GET /demands/{id}</c>).</summary>
public sealed record DemandDoc(
    string Id, string BuyerId, string Status, string Category, decimal Quantity, decimal Bought, decimal Remaining, string Unit, decimal MinPart,
    string MinCondition, MoneyDoc? MaxUnitPrice, PointDoc Location, double RadiusKm, WindowDoc Window, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>A proposal of a lot for a wanted notice (<c>GET /matches/{id}</c>).</summary>
public sealed record MatchDoc(
    string Id, string Status, string? Reason, string Role, string LotId, string SellerId, string DemandId, string BuyerId, decimal Quantity, string Unit,
    double LandedCostMinorPerUnit, double DistanceKm, string? HoldId, DateTimeOffset ProposedAt, DateTimeOffset ExpiresAt, DateTimeOffset UpdatedAt, string? OrderId);
