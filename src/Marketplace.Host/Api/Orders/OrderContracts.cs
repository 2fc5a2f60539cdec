using Marketplace.Domain.Carbon;
using Marketplace.Domain.Orders;

namespace Marketplace.Host.Api.Orders;

/// <summary>Where the goods go (delivery) or are carried to (pickup).</summary>
public sealed record OrderAddressDto(string? Address, string? PostalCode, string? Municipality, double? Latitude, double? Longitude);

/// <summary>How the buyer is invoiced; missing members default from the buyer firm's billing details.</summary>
public sealed record InvoicingDto(string? BusinessId, string? EInvoiceAddress, string? EInvoiceOperator, string? Email);

/// <summary>A checkout: the buyer's hold on a lot becomes an order.</summary>
/// <param name="ListingId">The lot.</param>
/// <param name="HoldId">The caller's active hold on it; the order is for the hold's whole quantity.</param>
/// <param name="Fulfilment"><c>pickup</c> or <c>delivery</c>.</param>
/// <param name="Address">Where the goods go.</param>
/// <param name="PaymentMethod"><c>invoice</c> (default) or <c>card</c>.</param>
/// <param name="Invoicing">Invoicing details for invoice orders.</param>
/// <param name="HostedCheckout">
/// With <c>card</c>: the buyer pays on Stripe's hosted Checkout page (POST /orders/{id}/card-checkout) instead of
/// confirming the returned client secret with Stripe.js; no payment intent is made at checkout.
/// </param>
public sealed record CheckoutRequest(string? ListingId, string? HoldId, string? Fulfilment, OrderAddressDto? Address, string? PaymentMethod, InvoicingDto? Invoicing,
    bool? HostedCheckout = null)
{
    /// <summary>The checkout as the domain takes it.</summary>
    public Checkout ToCheckout() => new(ListingId, HoldId, Fulfilment,
        Address is { } a ? new OrderAddress(a.Address, a.PostalCode, a.Municipality, a.Latitude, a.Longitude) : null,
        PaymentMethod,
        Invoicing is { } i ? new InvoicingDetails(i.BusinessId, i.EInvoiceAddress, i.EInvoiceOperator, i.Email) : null,
        HostedCheckout: HostedCheckout == true);
}

/// <summary>Where Stripe's hosted Checkout page sends the buyer back to (an absolute http(s) URL, e.g. the order's page).</summary>
public sealed record CardCheckoutRequest(string? ReturnUrl);

/// <summary>The seller hands over with the buyer's pickup code (the buyer sends no body).</summary>
public sealed record HandOverRequest(string? PickupCode);

/// <summary>Why an order is cancelled or disputed.</summary>
public sealed record ReasonRequest(string? Reason);

/// <summary>A platform admin's resolution of a dispute: <c>complete</c>, or <c>refund</c> with an amount.</summary>
public sealed record ResolveRequest(string? Outcome, long? RefundMinor, string? Note);

/// <summary>A payment against an invoice: amount in minor units, the date paid (default today), a note.</summary>
public sealed record InvoicePaymentRequest(long? AmountMinor, DateOnly? PaidOn, string? Note);

/// <summary>The order's lot as it was at checkout.</summary>
public sealed record OrderLotDto(string ListingId, string Title, string Category, string Condition, string Unit, decimal? MassPerUnitKg, string Municipality,
    double Latitude, double Longitude);

/// <summary>An order line, amounts in minor units.</summary>
public sealed record OrderLineDto(string Kind, string Description, decimal Quantity, string Unit, long UnitPriceMinor, long NetMinor, decimal VatRatePercent, long VatMinor);

/// <summary>
/// The payment: method, provider status, what was captured and refunded; the client secret only for the buyer. A card
/// paid on Stripe's hosted Checkout page (<c>hostedCheckout</c>) shows the buyer its latest page and when it expires.
/// </summary>
public sealed record PaymentDto(string Method, string Status, string? ExternalId, string? ClientSecret, long PaidMinor, long RefundedMinor,
    bool HostedCheckout, string? CheckoutUrl, DateTimeOffset? CheckoutExpiresAt);

/// <summary>
/// An invoice: number, dates, references, payments recorded, whether it is paid or overdue, and the credit note issued
/// against it, if any (<c>GET /orders/{id}/invoice?document=credit-note</c>).
/// </summary>
public sealed record InvoiceDto(string Number, DateOnly IssueDate, DateOnly DueDate, string ReferenceNumber, string CreditorReference,
    IReadOnlyList<InvoicePayment> Payments, long PaidMinor, long CreditedMinor, long OutstandingMinor, bool Paid, bool Overdue,
    CreditNoteDto? CreditNote = null);

/// <summary>
/// A credit note against an invoice: its own number, date, the amount credited with VAT, why, and how much of it a
/// dispute's resolution refunded from what had been paid (the rest was taken off what the invoice still asked).
/// </summary>
public sealed record CreditNoteDto(string Number, DateOnly IssueDate, long GrossMinor, string? Reason, long RefundedMinor);

/// <summary>An order as its buyer, seller or a platform admin sees it.</summary>
public sealed record OrderResponse(
    string Id,
    string Status,
    string BuyerId,
    string SellerId,
    string HoldId,
    string? MatchId,
    OrderLotDto Lot,
    decimal Quantity,
    string Fulfilment,
    OrderAddress Address,
    decimal DistanceKm,
    InvoicingDetails? Invoicing,
    IReadOnlyList<OrderLineDto> Lines,
    OrderTotals Totals,
    PaymentDto Payment,
    InvoiceDto? Invoice,
    string? PickupCode,
    CarbonFigure? Carbon,
    IReadOnlyList<OrderRefund> Refunds,
    string? Reason,
    DateTimeOffset PlacedAt,
    DateTimeOffset AcceptBy,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? HandedOverAt,
    DateTimeOffset? DisputeUntil,
    DateTimeOffset? ClosedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    /// <summary>The order as <paramref name="viewer"/> (a trader id) sees it: the pickup code and card client secret only for the buyer.</summary>
    public static OrderResponse From(Order o, string? viewer, DateTimeOffset now)
    {
        var buyer = viewer == o.BuyerId;
        var lot = o.Lot!;
        var payment = o.Payment!;
        return new OrderResponse(o.Id, Order.StatusCode(o.Status), o.BuyerId, o.SellerId, o.HoldId, o.MatchId,
            new OrderLotDto(lot.ListingId, lot.Title, lot.Category, lot.Condition, lot.Unit, lot.MassPerUnitKg, lot.Municipality, lot.Latitude, lot.Longitude),
            o.Quantity, o.Fulfilment.ToString().ToLowerInvariant(), o.Address!, o.DistanceKm, o.Invoicing,
            o.Lines.Select(l => new OrderLineDto(l.Kind, l.Description, l.Quantity, l.Unit, l.UnitPriceMinor, l.NetMinor, l.VatRatePercent, l.VatMinor)).ToArray(),
            o.Totals!,
            new PaymentDto(payment.Method.ToString().ToLowerInvariant(), payment.Status, payment.ExternalId, buyer ? payment.ClientSecret : null, o.PaidMinor, o.RefundedMinor,
                payment.Hosted, buyer ? payment.Session?.Url : null, buyer ? payment.Session?.ExpiresAt : null),
            o.Invoice is { } i
                ? new InvoiceDto(i.Number, i.IssueDate, i.DueDate, i.ReferenceNumber, i.CreditorReference, i.Payments, i.PaidMinor, o.CreditedMinor, o.InvoiceOutstandingMinor,
                    // A void invoice (its order cancelled or refunded in whole) is not paid, whatever was credited.
                    o.InvoiceSettled && o.Status is not (OrderStatus.Cancelled or OrderStatus.Refunded), o.IsOverdue(now),
                    i.CreditNote is { } c ? new CreditNoteDto(c.Number, c.IssueDate, c.GrossMinor, c.Reason, c.RefundedMinor) : null)
                : null,
            buyer ? o.PickupCode : null, o.Carbon, o.Refunds, o.Reason, o.PlacedAt, o.AcceptBy, o.AcceptedAt, o.HandedOverAt, o.DisputeUntil, o.ClosedAt,
            o.UpdatedAt, o.Version);
    }
}

/// <summary>An order's audit trail, oldest first.</summary>
public sealed record AuditResponse(string OrderId, IReadOnlyList<OrderAuditEntry> Entries);
