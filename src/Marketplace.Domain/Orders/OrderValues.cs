using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Payments;

namespace Marketplace.Domain.Orders;

/// <summary>Where an order stands.</summary>
public enum OrderStatus
{
    /// <summary>The buyer checked out; the seller has not accepted yet (the hold keeps the quantity).</summary>
    Placed,

    /// <summary>The seller accepted: the quantity is sold, the payment captured or the invoice issued.</summary>
    Accepted,

    /// <summary>The goods changed hands; the dispute window runs.</summary>
    HandedOver,

    /// <summary>Done: the dispute window passed, the buyer completed it, or an admin resolved a dispute.</summary>
    Completed,

    /// <summary>Cancelled before handover by either side.</summary>
    Cancelled,

    /// <summary>The buyer disputed it after handover; frozen until a platform admin resolves it.</summary>
    Disputed,

    /// <summary>An admin resolved a dispute by refunding everything that was paid.</summary>
    Refunded,
}

/// <summary>How the goods reach the buyer.</summary>
public enum Fulfilment
{
    /// <summary>The buyer collects at the lot (and carries it to its own address).</summary>
    Pickup,

    /// <summary>The seller delivers to the buyer's address (a delivery line is charged).</summary>
    Delivery,
}

/// <summary>Who acts on an order: the token's subject, the firm it acts for, the OAuth client, and whether a platform admin.</summary>
/// <param name="Subject">Token subject (a person or an API client); <c>system</c> for deadlines.</param>
/// <param name="TraderId">The acting firm, if any.</param>
/// <param name="ClientId">The OAuth client the call came through, if known.</param>
/// <param name="PlatformAdmin">True for a platform admin using the admin scope.</param>
/// <param name="MatchId">The matching session acting through this call (a match's order is accepted only through its match).</param>
public sealed record OrderActor(string Subject, string? TraderId, string? ClientId, bool PlatformAdmin = false, string? MatchId = null)
{
    /// <summary>The marketplace itself, acting when a deadline passes.</summary>
    public static OrderActor System { get; } = new("system", null, null);
}

/// <summary>
/// The lot as it was when the order was placed (later edits of the lot do not change the order). <c>WasteCode</c> is the
/// List of Waste code of a lot marked as waste (its order gets a transfer document at handover), <c>Address</c> the lot's
/// street address where given (the document's origin site); both null on orders placed before they were recorded.
/// </summary>
public sealed record OrderLot(string ListingId, string Title, string Category, string Condition, string Unit, decimal? MassPerUnitKg,
    string Municipality, double Latitude, double Longitude, Money UnitPrice, bool Pickup, bool Delivery, string? WasteCode = null, string? Address = null)
{
    /// <summary>The lot's point.</summary>
    [JsonIgnore]
    public GeoPoint Point => new(Latitude, Longitude);

    /// <summary>The order's copy of a lot.</summary>
    public static OrderLot From(Listing listing)
    {
        var d = listing.Details ?? throw DomainException.NotFound("listing", listing.Id);
        return new OrderLot(listing.Id, d.Title, d.Category, d.Condition, d.Unit, d.MassPerUnitKg, d.Location!.Municipality,
            d.Location.Latitude, d.Location.Longitude, d.UnitPrice, d.Pickup, d.Delivery, d.IsWaste ? d.WasteCode : null, d.Location.Address);
    }
}

/// <summary>The buyer's address the goods go to (delivery) or are carried to (pickup); unvalidated members are nullable.</summary>
public sealed record OrderAddress(string? Address, string? PostalCode, string? Municipality, double? Latitude, double? Longitude)
{
    /// <summary>The point, once validated.</summary>
    [JsonIgnore]
    public GeoPoint Point => new(Latitude ?? double.NaN, Longitude ?? double.NaN);
}

/// <summary>How the buyer is invoiced: its business id and an e-invoice address with operator, or an email address.</summary>
public sealed record InvoicingDetails(string? BusinessId, string? EInvoiceAddress, string? EInvoiceOperator, string? Email);

/// <summary>What the buyer asks for at checkout (unvalidated: every member may be missing).</summary>
/// <param name="ListingId">The lot the hold is on.</param>
/// <param name="HoldId">The buyer's active hold: the order is for its whole quantity.</param>
/// <param name="Fulfilment"><c>pickup</c> or <c>delivery</c>.</param>
/// <param name="Address">Where the goods go.</param>
/// <param name="PaymentMethod"><c>invoice</c> (default) or <c>card</c>.</param>
/// <param name="Invoicing">Invoicing details; missing members default from the buyer's billing details.</param>
/// <param name="MatchId">The match whose hold this is, when a match places the order.</param>
/// <param name="HostedCheckout">
/// With a card: the buyer pays on Stripe's hosted Checkout page (started with the order's card checkout) instead of
/// confirming a payment intent made at checkout; no payment intent exists until the buyer pays there.
/// </param>
public sealed record Checkout(string? ListingId, string? HoldId, string? Fulfilment, OrderAddress? Address, string? PaymentMethod,
    InvoicingDetails? Invoicing, string? MatchId = null, bool HostedCheckout = false);

/// <summary>One order line, amounts in minor units.</summary>
/// <param name="Kind"><c>goods</c> or <c>delivery</c>.</param>
/// <param name="Description">What the line is for.</param>
/// <param name="Quantity">Quantity in <paramref name="Unit"/>.</param>
/// <param name="Unit">Unit code (<c>km</c> for delivery).</param>
/// <param name="UnitPriceMinor">Price of one unit before VAT.</param>
/// <param name="NetMinor">Line total before VAT.</param>
/// <param name="VatRatePercent">VAT rate of the line.</param>
/// <param name="VatMinor">VAT of the line, rounded half away from zero.</param>
public sealed record OrderLine(string Kind, string Description, decimal Quantity, string Unit, long UnitPriceMinor, long NetMinor,
    decimal VatRatePercent, long VatMinor)
{
    /// <summary>Line total with VAT.</summary>
    [JsonIgnore]
    public long GrossMinor => NetMinor + VatMinor;
}

/// <summary>An order's money, minor units of <paramref name="Currency"/>.</summary>
/// <param name="Currency">ISO 4217 code (the lot's).</param>
/// <param name="GoodsMinor">Goods before VAT.</param>
/// <param name="DeliveryMinor">Delivery before VAT (0 for pickup).</param>
/// <param name="NetMinor">Goods and delivery before VAT.</param>
/// <param name="VatMinor">VAT of all lines.</param>
/// <param name="GrossMinor">What the buyer pays.</param>
/// <param name="PlatformFeeMinor">The platform's fee, charged to the seller out of the payment.</param>
/// <param name="SellerReceivesMinor">What the seller is paid: gross less the fee (the seller remits the VAT).</param>
public sealed record OrderTotals(string Currency, long GoodsMinor, long DeliveryMinor, long NetMinor, long VatMinor, long GrossMinor,
    long PlatformFeeMinor, long SellerReceivesMinor);

/// <summary>The configurable terms orders are priced and timed by (bound from <c>Orders</c> options by the grains).</summary>
/// <param name="VatRatePercent">VAT rate of each line, percent (Finnish general rate 25.5).</param>
/// <param name="PlatformFeePercent">Platform fee, percent of the net total.</param>
/// <param name="PlatformFeeMinimumMinor">Smallest fee, minor units (never more than the net total).</param>
/// <param name="DeliveryRateMinorPerKm">Delivery price per started kilometre of great-circle distance, minor units.</param>
/// <param name="AcceptanceWindow">How long the seller has to accept before the order is cancelled.</param>
/// <param name="DisputeWindow">How long after handover the buyer may dispute.</param>
/// <param name="InvoiceDueDays">Days from issue to an invoice's due date.</param>
public sealed record OrderTerms(decimal VatRatePercent, decimal PlatformFeePercent, long PlatformFeeMinimumMinor, long DeliveryRateMinorPerKm,
    TimeSpan AcceptanceWindow, TimeSpan DisputeWindow, int InvoiceDueDays)
{
    /// <summary>The defaults: 25.5 % VAT, 5 % fee with a 1.00 minimum, 1.50 per km, 7 days to accept, 14 days to dispute, invoices due in 14 days.</summary>
    public static OrderTerms Default { get; } = new(25.5m, 5m, 100, 150, TimeSpan.FromDays(7), TimeSpan.FromDays(14), 14);
}

/// <summary>How the order's payment stands.</summary>
/// <param name="Method">Invoice or card.</param>
/// <param name="ExternalId">The provider's id (a PaymentIntent), if any.</param>
/// <param name="Status">The provider's status after the last step or event.</param>
/// <param name="ClientSecret">What the buyer's browser needs to complete a card payment; shown only to the buyer.</param>
/// <param name="CapturedMinor">Money taken from the buyer (card: captured at acceptance).</param>
/// <param name="ChangedAt">When the payment last changed (events older than this change nothing).</param>
/// <param name="Hosted">A card paid on Stripe's hosted Checkout page: the payment intent is the one the page makes, known from its first event.</param>
/// <param name="Session">The latest hosted Checkout session, once the buyer started one.</param>
public sealed record OrderPayment(PaymentMethod Method, string? ExternalId, string Status, string? ClientSecret, long CapturedMinor, DateTimeOffset ChangedAt,
    bool Hosted = false, CardCheckoutSession? Session = null);

/// <summary>A hosted Checkout session of a card order (Stripe's page where the buyer pays).</summary>
/// <param name="Id">Stripe's id (<c>cs_…</c>).</param>
/// <param name="Url">Where the buyer's browser goes to pay.</param>
/// <param name="ExpiresAt">When Stripe expires it (a new one is made after that).</param>
/// <param name="Attempt">1 for the order's first session, then counting up: each session's idempotency key has its own.</param>
public sealed record CardCheckoutSession(string Id, string Url, DateTimeOffset ExpiresAt, int Attempt);

/// <summary>A refund of part or all of what was paid.</summary>
/// <param name="Step">The refund's name within the order (<c>cancel</c>, <c>dispute</c>): its idempotency key.</param>
/// <param name="AmountMinor">Refunded amount.</param>
/// <param name="ExternalId">The provider's refund id, if any.</param>
/// <param name="Status">The provider's status.</param>
/// <param name="At">When it was made.</param>
public sealed record OrderRefund(string Step, long AmountMinor, string? ExternalId, string Status, DateTimeOffset At);

/// <summary>A payment the seller or an admin recorded against an invoice.</summary>
public sealed record InvoicePayment(long AmountMinor, DateOnly PaidOn, string RecordedBy, DateTimeOffset RecordedAt, string? Note);

/// <summary>The invoice of an accepted invoice order.</summary>
/// <param name="Number">Invoice number, unique on the platform.</param>
/// <param name="IssueDate">Date of issue (Helsinki).</param>
/// <param name="DueDate">Due date.</param>
/// <param name="ReferenceNumber">Finnish reference number with its check digit.</param>
/// <param name="CreditorReference">The same in RF form.</param>
public sealed record OrderInvoice(string Number, DateOnly IssueDate, DateOnly DueDate, string ReferenceNumber, string CreditorReference)
{
    /// <summary>Payments recorded, oldest first.</summary>
    public IReadOnlyList<InvoicePayment> Payments { get; init; } = [];

    /// <summary>Sum of recorded payments.</summary>
    [JsonIgnore]
    public long PaidMinor => Payments.Sum(p => p.AmountMinor);

    /// <summary>
    /// The parties and the account paid into as they were when the invoice was issued: an issued invoice does not
    /// change when a firm later edits its profile. Null on invoices issued before this was kept (read from the firms).
    /// </summary>
    public InvoicedParties? Parties { get; init; }

    /// <summary>
    /// The credit note issued against this invoice, if any: what a dispute's resolution took back (credited or
    /// refunded), or the whole invoice when its order is cancelled after it was issued. Its own number, from the invoices' sequence; it is never changed once issued.
    /// </summary>
    public OrderCreditNote? CreditNote { get; init; }
}

/// <summary>A credit note (hyvityslasku) against an order's invoice: what it takes off, per VAT rate.</summary>
/// <param name="Number">Its number, from the platform's invoice sequence.</param>
/// <param name="IssueDate">Date of issue (Helsinki).</param>
/// <param name="GrossMinor">The amount credited, VAT included (positive).</param>
/// <param name="Vat">The amount per VAT rate of the invoice, net and VAT (positive), in the invoice's proportions.</param>
/// <param name="Reason">Why: the dispute's resolution note or the cancellation's reason.</param>
public sealed record OrderCreditNote(string Number, DateOnly IssueDate, long GrossMinor, IReadOnlyList<CreditedVat> Vat, string? Reason)
{
    /// <summary>
    /// How much of <see cref="GrossMinor"/> was refunded from what had been paid, by a dispute's resolution or a
    /// cancellation (the rest was taken off what the invoice still asked).
    /// </summary>
    public long RefundedMinor { get; init; }

    /// <summary>
    /// <paramref name="grossMinor"/> split over the VAT rates of <paramref name="lines"/> in proportion to each rate's
    /// gross (the shares sum to the amount exactly: largest remainders take the odd cents), then each share into net and
    /// VAT at its rate. The whole invoice is credited with its own net and VAT per rate, so that crediting it in full
    /// takes exactly its figures back (the invoice rounds VAT per line; splitting its gross again could differ by a cent).
    /// </summary>
    public static IReadOnlyList<CreditedVat> Split(long grossMinor, IReadOnlyList<OrderLine> lines)
    {
        var rates = lines.GroupBy(l => l.VatRatePercent).OrderBy(g => g.Key)
            .Select(g => (Rate: g.Key, Net: g.Sum(l => l.NetMinor), Vat: g.Sum(l => l.VatMinor), Gross: g.Sum(l => l.NetMinor + l.VatMinor)))
            .Where(r => r.Gross > 0).ToArray();
        var total = rates.Sum(r => r.Gross);
        if (total <= 0)
        {
            return [new CreditedVat(0, grossMinor, 0)];
        }

        if (grossMinor == total)
        {
            return rates.Select(r => new CreditedVat(r.Rate, r.Net, r.Vat)).ToArray();
        }

        var shares = rates.Select(r => (r.Rate, Exact: (decimal)grossMinor * r.Gross / total)).ToArray();
        var floors = shares.Select(s => (long)decimal.Floor(s.Exact)).ToArray();
        var left = grossMinor - floors.Sum();
        foreach (var i in Enumerable.Range(0, shares.Length).OrderByDescending(i => shares[i].Exact - floors[i]).ThenBy(i => i).Take((int)left))
        {
            floors[i]++;
        }

        return shares.Select((s, i) =>
        {
            var net = (long)decimal.Round(floors[i] / (1 + (s.Rate / 100m)), MidpointRounding.AwayFromZero);
            return new CreditedVat(s.Rate, net, floors[i] - net);
        }).ToArray();
    }
}

/// <summary>One VAT rate's part of a credit note.</summary>
/// <param name="RatePercent">VAT rate, e.g. 25.5.</param>
/// <param name="NetMinor">Credited before VAT.</param>
/// <param name="VatMinor">VAT credited.</param>
public sealed record CreditedVat(decimal RatePercent, long NetMinor, long VatMinor);

/// <summary>One party of an issued invoice, as the invoice names it.</summary>
/// <param name="Name">Firm name.</param>
/// <param name="BusinessId">Business id (Y-tunnus).</param>
/// <param name="Address">Street address, if known.</param>
/// <param name="Town">Postal code and town, or the firm's municipality.</param>
/// <param name="Email">Invoice e-mail, if any.</param>
/// <param name="EInvoiceAddress">E-invoice address (OVT code or IBAN), if any.</param>
/// <param name="EInvoiceOperator">E-invoice operator, if any.</param>
public sealed record InvoicedParty(string Name, string BusinessId, string? Address, string? Town, string? Email, string? EInvoiceAddress, string? EInvoiceOperator);

/// <summary>Who an invoice is from and to, and the seller's account the buyer pays into, fixed when it is issued.</summary>
/// <param name="Seller">The seller.</param>
/// <param name="SellerIban">The seller's IBAN.</param>
/// <param name="SellerBic">The seller's BIC, if given.</param>
/// <param name="Buyer">The buyer as invoiced.</param>
public sealed record InvoicedParties(InvoicedParty Seller, string SellerIban, string? SellerBic, InvoicedParty Buyer)
{
    /// <summary>
    /// The parties of <paramref name="order"/>'s invoice from the firms' records now: the seller with its billing details,
    /// the buyer with the invoicing details of its checkout. The buyer's street and town come from one source: its billing
    /// address, else the order's site address, else the firm's town (the site's street beside the firm's town named a
    /// place that is neither).
    /// </summary>
    public static InvoicedParties Of(Order order, Traders.Trader seller, Traders.Trader buyer)
    {
        var sellerProfile = seller.Profile!;
        var sellerBilling = sellerProfile.Billing;
        var buyerProfile = buyer.Profile!;
        var buyerBilling = buyerProfile.Billing;
        var invoicing = order.Invoicing;
        var (buyerStreet, buyerTown) = buyerBilling?.Address is { Length: > 0 } billed
            ? (billed, Town(buyerBilling) ?? buyerProfile.Municipality)
            : order.Address?.Address is { Length: > 0 } site
                ? (site, string.Join(' ', new[] { order.Address.PostalCode, order.Address.Municipality }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } town ? town : null)
                : (null, buyerProfile.Municipality);
        return new InvoicedParties(
            new InvoicedParty(sellerProfile.Name, sellerProfile.BusinessId, sellerBilling?.Address, Town(sellerBilling) ?? sellerProfile.Municipality,
                sellerBilling?.InvoiceEmail ?? sellerProfile.Contact?.Email, sellerBilling?.EInvoiceAddress, sellerBilling?.EInvoiceOperator),
            sellerBilling?.Iban ?? "", sellerBilling?.Bic,
            new InvoicedParty(buyerProfile.Name, invoicing?.BusinessId ?? buyerProfile.BusinessId, buyerStreet, buyerTown,
                invoicing?.Email, invoicing?.EInvoiceAddress, invoicing?.EInvoiceOperator));
    }

    /// <summary>
    /// The postal code and post office of billing details ("00100 Helsinki", as a Finnish address writes them and as the
    /// Finvoice's post code is read from), the post office alone, or null when neither is given.
    /// </summary>
    private static string? Town(Traders.TraderBilling? billing)
        => billing is null ? null
            : string.Join(' ', new[] { billing.PostalCode, billing.PostOffice }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } town ? town : null;
}

/// <summary>What an invoice number and its references are, chosen by the grains (from the platform's sequence).</summary>
public sealed record InvoiceIssue(string Number, string ReferenceNumber, string CreditorReference);

/// <summary>How an admin resolves a dispute: complete it as it is, or refund part or all of what was paid.</summary>
/// <param name="Outcome"><c>complete</c> or <c>refund</c>.</param>
/// <param name="RefundMinor">With <c>refund</c>: the amount, at most what was paid and not yet refunded.</param>
/// <param name="Note">Why (shown in the audit).</param>
public sealed record Resolution(string? Outcome, long? RefundMinor, string? Note);

/// <summary>One state change of an order, as the audit shows it.</summary>
/// <param name="At">When.</param>
/// <param name="Actor">Token subject (person or client), or <c>system</c>.</param>
/// <param name="ActingFirm">The firm the actor acted for, if any.</param>
/// <param name="ClientId">The OAuth client, if known.</param>
/// <param name="From">Status before (empty at checkout).</param>
/// <param name="To">Status after.</param>
/// <param name="Change">What changed, in words.</param>
public sealed record OrderAuditEntry(DateTimeOffset At, string Actor, string? ActingFirm, string? ClientId, string From, string To, string Change);

/// <summary>What a payment step answered (the grain's translation of a gateway's <c>PaymentState</c>).</summary>
public sealed record PaymentChange(string? ExternalId, string Status, string? ClientSecret = null);

/// <summary>What a refund step answered (the grain's translation of a gateway's <c>RefundState</c>).</summary>
public sealed record RefundChange(string? ExternalId, long AmountMinor, string Status);

/// <summary>A verified payment provider event as the order applies it.</summary>
/// <param name="EventId">The provider's event id.</param>
/// <param name="Type">The event type, e.g. <c>payment_intent.succeeded</c>.</param>
/// <param name="Created">When the provider created it.</param>
/// <param name="ExternalId">The payment's provider id.</param>
/// <param name="Status">The payment's status in the event.</param>
public sealed record PaymentChangeEvent(string EventId, string Type, DateTimeOffset Created, string? ExternalId, string? Status);

/// <summary>A payment against an invoice as the seller or an admin records it (unvalidated).</summary>
/// <param name="AmountMinor">Amount paid, minor units.</param>
/// <param name="PaidOn">Date paid (default today).</param>
/// <param name="Note">Free note, e.g. the bank's archive id.</param>
public sealed record InvoicePaymentInput(long? AmountMinor, DateOnly? PaidOn, string? Note);

/// <summary>An order in a firm's index of its orders.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Role">The firm's side: <c>buyer</c> or <c>seller</c>.</param>
/// <param name="Status">Status code as of <paramref name="Version"/>.</param>
/// <param name="Version">The order's version this entry was read at (older reports are ignored).</param>
/// <param name="PlacedAt">When the order was placed (lists are newest first).</param>
public sealed record OrderIndexEntry(string OrderId, string Role, string Status, long Version, DateTimeOffset PlacedAt);

/// <summary>An invoice in the platform's register of open invoices.</summary>
/// <param name="OrderId">The invoiced order.</param>
/// <param name="SellerId">The seller who is owed.</param>
/// <param name="DueDate">Due date.</param>
/// <param name="Open">True while something is owed on an order still owed.</param>
/// <param name="Version">The order's version this entry was read at.</param>
public sealed record InvoiceRegisterEntry(string OrderId, string SellerId, DateOnly DueDate, bool Open, long Version);
