using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Payments;

namespace Marketplace.Domain.Orders;

/// <summary>
/// A buyer's order for the quantity of its hold on a lot: priced at checkout, accepted by the seller, handed over,
/// completed (or cancelled, or disputed and resolved by a platform admin). Every transition appends an audit entry.
/// </summary>
/// <remarks>
/// Money invariants: <see cref="OrderTotals.GrossMinor"/> = seller receives + platform fee; refunds never exceed what was
/// paid; invoice payments never exceed the total. Time and everything outside the order (payment steps, invoice numbers,
/// carbon figures) are passed in; the grain does the I/O.
/// </remarks>
public sealed class Order
{
    /// <summary>Longest cancellation or dispute reason.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The hold an order waits on lasts this much past the acceptance deadline, so the order always decides first.</summary>
    public static readonly TimeSpan HoldGrace = TimeSpan.FromHours(1);

    [JsonInclude]
    private List<OrderAuditEntry> _audit = [];

    [JsonInclude]
    private List<OrderLine> _lines = [];

    [JsonInclude]
    private List<OrderRefund> _refunds = [];

    /// <summary>Empty state, for storage; a real order is made by <see cref="Place"/>.</summary>
    public Order()
    {
    }

    /// <summary>Order id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The buying firm.</summary>
    [JsonInclude]
    public string BuyerId { get; private set; } = "";

    /// <summary>The selling firm.</summary>
    [JsonInclude]
    public string SellerId { get; private set; } = "";

    /// <summary>The buyer's hold on the lot that the order is for.</summary>
    [JsonInclude]
    public string HoldId { get; private set; } = "";

    /// <summary>The match that placed the order, if any.</summary>
    [JsonInclude]
    public string? MatchId { get; private set; }

    /// <summary>The lot as it was at checkout.</summary>
    [JsonInclude]
    public OrderLot? Lot { get; private set; }

    /// <summary>Quantity ordered, in the lot's unit (the hold's whole quantity).</summary>
    [JsonInclude]
    public decimal Quantity { get; private set; }

    /// <summary>Pickup or delivery.</summary>
    [JsonInclude]
    public Fulfilment Fulfilment { get; private set; }

    /// <summary>Where the goods go.</summary>
    [JsonInclude]
    public OrderAddress? Address { get; private set; }

    /// <summary>Great-circle distance from the lot to <see cref="Address"/>, km, to 0.1 km.</summary>
    [JsonInclude]
    public decimal DistanceKm { get; private set; }

    /// <summary>How the buyer is invoiced.</summary>
    [JsonInclude]
    public InvoicingDetails? Invoicing { get; private set; }

    /// <summary>The terms the order was placed under (later configuration changes do not alter it).</summary>
    [JsonInclude]
    public OrderTerms Terms { get; private set; } = OrderTerms.Default;

    /// <summary>Money of the order.</summary>
    [JsonInclude]
    public OrderTotals? Totals { get; private set; }

    /// <summary>Lifecycle status.</summary>
    [JsonInclude]
    public OrderStatus Status { get; private set; }

    /// <summary>The code the buyer gives the seller at pickup; shown only to the buyer.</summary>
    [JsonInclude]
    public string PickupCode { get; private set; } = "";

    /// <summary>How many wrong pickup codes the seller gave; at <see cref="MaxWrongPickupCodes"/> only the buyer can confirm the handover.</summary>
    [JsonInclude]
    public int WrongPickupCodes { get; private set; }

    /// <summary>Wrong pickup codes a seller may give before handing over by code is closed (the code has a million values).</summary>
    public const int MaxWrongPickupCodes = 5;

    /// <summary>The payment.</summary>
    [JsonInclude]
    public OrderPayment? Payment { get; private set; }

    /// <summary>The invoice, once an invoice order is accepted.</summary>
    [JsonInclude]
    public OrderInvoice? Invoice { get; private set; }

    /// <summary>The CO2e the reuse avoided, computed at completion.</summary>
    [JsonInclude]
    public CarbonFigure? Carbon { get; private set; }

    /// <summary>True once the carbon figure is counted in the region's and both firms' ledgers.</summary>
    [JsonInclude]
    public bool CarbonRecorded { get; private set; }

    /// <summary>When the buyer checked out.</summary>
    [JsonInclude]
    public DateTimeOffset PlacedAt { get; private set; }

    /// <summary>The seller must accept before this, or the order is cancelled.</summary>
    [JsonInclude]
    public DateTimeOffset AcceptBy { get; private set; }

    /// <summary>When the seller accepted.</summary>
    [JsonInclude]
    public DateTimeOffset? AcceptedAt { get; private set; }

    /// <summary>When the goods were handed over.</summary>
    [JsonInclude]
    public DateTimeOffset? HandedOverAt { get; private set; }

    /// <summary>The waste transfer document, made at handover when the lot is waste (it carries a List of Waste code).</summary>
    [JsonInclude]
    public TransferDocument? TransferDocument { get; private set; }

    /// <summary>When it completed (or was refunded).</summary>
    [JsonInclude]
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>Why it was cancelled or disputed.</summary>
    [JsonInclude]
    public string? Reason { get; private set; }

    /// <summary>
    /// What a dispute's resolution took off an invoice the buyer had not paid in full (a credit note): the invoice asks
    /// that much less. Only invoice orders have it; the part of a resolution beyond what was still owed is refunded.
    /// </summary>
    [JsonInclude]
    public long CreditedMinor { get; private set; }

    /// <summary>True once the sold quantity of a cancelled accepted order went back to the lot.</summary>
    [JsonInclude]
    public bool QuantityReturned { get; private set; }

    /// <summary>When it last changed.</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Counts every change.</summary>
    [JsonInclude]
    public long Version { get; private set; }

    /// <summary>
    /// Webhook events of the last stored changes, written in the same storage write as the change they describe and
    /// handed to the subscriptions afterwards (see <c>WebhookRelay</c>); an optional field, so no schema version bump.
    /// </summary>
    [JsonInclude]
    public List<Webhooks.OutboxEvent> Outbox { get; private set; } = [];

    /// <summary>True once <see cref="Place"/> has run.</summary>
    [JsonIgnore]
    public bool Exists => Lot is not null;

    /// <summary>Goods and delivery lines.</summary>
    [JsonIgnore]
    public IReadOnlyList<OrderLine> Lines => _lines;

    /// <summary>Refunds made, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<OrderRefund> Refunds => _refunds;

    /// <summary>Every transition, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<OrderAuditEntry> Audit => _audit;

    /// <summary>Money taken from the buyer: captured by card, or recorded against the invoice.</summary>
    [JsonIgnore]
    public long PaidMinor => Payment?.Method == PaymentMethod.Card ? Payment.CapturedMinor : Invoice?.PaidMinor ?? 0;

    /// <summary>Money returned to the buyer.</summary>
    [JsonIgnore]
    public long RefundedMinor => _refunds.Sum(r => r.AmountMinor);

    /// <summary>What may still be refunded.</summary>
    [JsonIgnore]
    public long RefundableMinor => PaidMinor - RefundedMinor;

    /// <summary>What a dispute's resolution may still take off the invoice: the total less what was paid or credited.</summary>
    [JsonIgnore]
    public long CreditableMinor
        => Invoice is { } i && Payment?.Method == PaymentMethod.Invoice ? Math.Max(0, Totals!.GrossMinor - i.PaidMinor - CreditedMinor) : 0;

    /// <summary>True when the invoice's payments and credits cover its total.</summary>
    [JsonIgnore]
    public bool InvoiceSettled => Invoice is { } i && i.PaidMinor + CreditedMinor >= Totals!.GrossMinor;

    /// <summary>Mass of the goods, kg: quantity × mass per unit (a tonne is 1,000 kg), null when the lot's mass per unit is unknown.</summary>
    /// <remarks>Null too when the product overflows: a mass stored before lots' masses were bounded must not fail an order's steps.</remarks>
    [JsonIgnore]
    public decimal? MassKg
    {
        get
        {
            try
            {
                return Lot?.Unit switch
                {
                    "kg" => Quantity,
                    "t" => Quantity * 1000,
                    _ => Lot?.MassPerUnitKg is { } perUnit ? Quantity * perUnit : null,
                };
            }
            catch (OverflowException)
            {
                return null;
            }
        }
    }

    /// <summary>Dispute (and automatic completion) deadline after handover.</summary>
    [JsonIgnore]
    public DateTimeOffset? DisputeUntil => HandedOverAt is { } at ? at + Terms.DisputeWindow : null;

    /// <summary>
    /// Validates a checkout and places the order: the buyer's active hold on <paramref name="listing"/> (not yet in
    /// another order) for its whole quantity, at the lot's price. Invoicing details missing from the request default
    /// from the buyer's billing details. The payment is recorded by <see cref="Authorized"/>.
    /// </summary>
    public static Order Place(string id, OrderActor actor, Checkout checkout, Listing listing, Trader buyer, string pickupCode,
        OrderTerms terms, DateTimeOffset now, Geo.ServiceArea? area = null)
    {
        var buyerId = actor.TraderId ?? throw DomainException.Forbidden("no-acting-trader", "Checkout needs a token acting for a firm.");
        var v = new Validation();
        v.Require(!string.IsNullOrWhiteSpace(checkout.ListingId), "listingId", "The lot is required.");
        v.Require(!string.IsNullOrWhiteSpace(checkout.HoldId), "holdId", "The hold is required.");
        var fulfilment = checkout.Fulfilment switch
        {
            "pickup" => Fulfilment.Pickup,
            "delivery" => Fulfilment.Delivery,
            _ => (Fulfilment?)null,
        };
        v.Require(fulfilment is not null, "fulfilment", "The fulfilment is 'pickup' or 'delivery'.");
        var method = checkout.PaymentMethod switch
        {
            null or "invoice" => PaymentMethod.Invoice,
            "card" => PaymentMethod.Card,
            _ => (PaymentMethod?)null,
        };
        v.Require(method is not null, "paymentMethod", "The payment method is 'invoice' or 'card'.");
        v.Require(!checkout.HostedCheckout || method != PaymentMethod.Invoice, "hostedCheckout", "A hosted checkout is for card payments only.");
        var address = ValidateAddress(checkout.Address, v, area ?? Geo.ServiceArea.Finland);
        var invoicing = method == PaymentMethod.Invoice ? ValidateInvoicing(checkout.Invoicing, buyer, v) : null;
        v.ThrowIfInvalid();

        var hold = listing.Holds.FirstOrDefault(h => h.Id == checkout.HoldId);
        if (hold is null || hold.BuyerId != buyerId || !listing.Exists)
        {
            throw DomainException.NotFound("hold", checkout.HoldId!);
        }

        if (!hold.IsActive)
        {
            throw DomainException.Conflict("hold-closed", $"The hold is already {hold.Status.ToString().ToLowerInvariant()}.",
                new Dictionary<string, object?> { ["holdStatus"] = hold.Status.ToString().ToLowerInvariant() });
        }

        if (hold.OrderId is not null && hold.OrderId != id)
        {
            throw DomainException.Conflict("hold-ordered", $"The hold is already in order '{hold.OrderId}'.",
                new Dictionary<string, object?> { ["orderId"] = hold.OrderId });
        }

        if (hold.MatchId is not null && hold.MatchId != checkout.MatchId)
        {
            throw DomainException.Conflict("hold-belongs-to-match",
                $"This hold was placed by match '{hold.MatchId}': place its order through the match.",
                new Dictionary<string, object?> { ["matchId"] = hold.MatchId });
        }

        var lot = OrderLot.From(listing);
        if ((fulfilment == Fulfilment.Pickup && !lot.Pickup) || (fulfilment == Fulfilment.Delivery && !lot.Delivery))
        {
            throw DomainException.Invalid("fulfilment", $"The seller does not offer {checkout.Fulfilment} for this lot.");
        }

        if (!OrderPricing.IsWithinLimit(lot.UnitPrice, hold.Quantity))
        {
            throw DomainException.Invalid("holdId", $"An order may total at most {OrderPricing.MaxNetMinor:N0} minor units before VAT.");
        }

        var distance = Math.Round((decimal)lot.Point.DistanceKm(address.Point), 1, MidpointRounding.AwayFromZero);
        var (lines, totals) = OrderPricing.Price(lot, hold.Quantity, fulfilment!.Value, distance, terms);
        if (method == PaymentMethod.Card && totals.GrossMinor <= 0)
        {
            throw DomainException.Invalid("paymentMethod", "Nothing to pay by card: a free order goes on invoice.");
        }

        var order = new Order
        {
            Id = id,
            BuyerId = buyerId,
            SellerId = listing.SellerId,
            HoldId = hold.Id,
            MatchId = checkout.MatchId,
            Lot = lot,
            Quantity = hold.Quantity,
            Fulfilment = fulfilment.Value,
            Address = address,
            DistanceKm = distance,
            Invoicing = invoicing,
            Terms = terms,
            Totals = totals,
            Status = OrderStatus.Placed,
            PickupCode = pickupCode,
            Payment = new OrderPayment(method!.Value, null, "pending", null, 0, now, Hosted: checkout.HostedCheckout),
            PlacedAt = now,
            AcceptBy = now + terms.AcceptanceWindow,
            UpdatedAt = now,
            Version = 1,
            _lines = lines.ToList(),
        };
        order.Record(actor, now, null, $"placed: {hold.Quantity} {lot.Unit} of {lot.ListingId} ({checkout.Fulfilment}, {checkout.PaymentMethod ?? "invoice"}), total {Amount(totals.GrossMinor, totals.Currency)}");
        return order;
    }

    /// <summary>
    /// True when <paramref name="checkout"/> by <paramref name="actor"/> is this order's checkout repeated (the same buyer,
    /// lot and hold): a retried checkout whose id derives from its Idempotency-Key is answered with this order.
    /// </summary>
    public bool IsSameCheckout(OrderActor actor, Checkout checkout)
        => Exists && actor.TraderId == BuyerId && checkout.HoldId == HoldId && checkout.ListingId == Lot!.ListingId;

    /// <summary>Records what the gateway answered when it authorised the payment at checkout.</summary>
    public void Authorized(PaymentChange state, DateTimeOffset now)
    {
        EnsureExists();
        Payment = Payment! with { ExternalId = state.ExternalId, Status = state.Status, ClientSecret = state.ClientSecret, ChangedAt = now };
        Touch(now);
    }

    /// <summary>
    /// Checks that the buyer may pay this card order on Stripe's hosted Checkout page now; returns its session when one
    /// is still open a minute from <paramref name="now"/> (to reuse), or null when a new one is needed. Stripe sends the
    /// buyer back to <paramref name="returnUrl"/>, an absolute http(s) URL.
    /// </summary>
    public CardCheckoutSession? EnsureCanPayOnHostedCheckout(OrderActor actor, string? returnUrl, DateTimeOffset now)
    {
        EnsureParty(actor, seller: false);
        EnsureStatus("be paid by card", OrderStatus.Placed);
        var v = new Validation();
        v.Require(Uri.TryCreate(returnUrl, UriKind.Absolute, out var back) && (back.Scheme == Uri.UriSchemeHttps || back.Scheme == Uri.UriSchemeHttp),
            "returnUrl", "The return URL is the absolute http(s) address Stripe sends the buyer back to.");
        v.ThrowIfInvalid();
        if (Payment is not { Method: PaymentMethod.Card, Hosted: true } p)
        {
            throw DomainException.Conflict("hosted-checkout-unavailable",
                "This order is not paid on the hosted card checkout page: it is paid on invoice, or by card with the client secret from checkout.");
        }

        if (p.Status is "requires_capture" or "processing" or "succeeded")
        {
            throw DomainException.Conflict("payment-already-authorized", "The card payment of this order is already authorised.",
                new Dictionary<string, object?> { ["paymentStatus"] = p.Status });
        }

        // A minute's margin, so that the buyer does not land on a page that expires as it opens.
        return p.Session is { } session && session.ExpiresAt > now + TimeSpan.FromMinutes(1) ? session : null;
    }

    /// <summary>Records the hosted Checkout session the buyer is sent to (a new one replaces an expired one).</summary>
    public void HostedCheckoutStarted(OrderActor actor, string returnUrl, CardCheckoutSession session, DateTimeOffset now)
    {
        EnsureCanPayOnHostedCheckout(actor, returnUrl, now);
        Payment = Payment! with { Session = session };
        Record(actor, now, StatusCode(Status), $"hosted card checkout {session.Id} (attempt {session.Attempt}), open until {session.ExpiresAt:yyyy-MM-dd HH:mm}Z");
        Touch(now);
    }

    /// <summary>
    /// Gives an order that does not exist the id it was asked for, so that its refusals (404 <c>order-not-found</c>) name
    /// it rather than an empty id. Changes nothing for an existing order.
    /// </summary>
    public void NameIfMissing(string id)
    {
        if (!Exists && Id.Length == 0)
        {
            Id = id;
        }
    }

    /// <summary>Refuses callers who are neither party nor a platform admin, as if the order did not exist.</summary>
    public void EnsureVisibleTo(OrderActor actor)
    {
        EnsureExists();
        if (!actor.PlatformAdmin && actor.TraderId != BuyerId && actor.TraderId != SellerId)
        {
            throw DomainException.NotFound("order", Id);
        }
    }

    /// <summary>Checks that the seller may accept now (before any payment or lot step is taken).</summary>
    public void EnsureCanAccept(OrderActor actor, DateTimeOffset now)
    {
        EnsureParty(actor, seller: true);
        EnsureStatus("accept", OrderStatus.Placed);

        // A match's order is accepted by confirming the match, so that the demand records the purchase and a decline
        // racing with the acceptance cannot cancel an order already accepted.
        if (MatchId is not null && actor.MatchId != MatchId)
        {
            throw DomainException.Conflict("order-belongs-to-match", $"This order came from match '{MatchId}': accept it by confirming the match.",
                new Dictionary<string, object?> { ["matchId"] = MatchId });
        }
        if (now >= AcceptBy)
        {
            throw DomainException.Conflict("acceptance-expired", "The time to accept this order has passed.",
                new Dictionary<string, object?> { ["acceptBy"] = AcceptBy });
        }

        // A capture tried before the buyer's card authorised the intent would fail, and go on failing under its key.
        if (Payment!.Method == PaymentMethod.Card && Payment.Status != "requires_capture")
        {
            throw DomainException.Conflict("payment-not-authorized", "The buyer has not completed the card payment yet.",
                new Dictionary<string, object?> { ["paymentStatus"] = Payment.Status });
        }
    }

    /// <summary>
    /// Checks that an invoice order's seller, with <paramref name="sellerBilling"/>, can issue its invoice: an invoice
    /// without the account to pay into asks the buyer to pay nowhere, and an issued invoice is not changed.
    /// </summary>
    public void EnsureSellerCanInvoice(Traders.TraderBilling? sellerBilling)
    {
        if (Payment!.Method == PaymentMethod.Invoice && string.IsNullOrWhiteSpace(sellerBilling?.Iban))
        {
            throw DomainException.Conflict("seller-iban-missing",
                $"Your firm's billing details name no account (IBAN) for the buyer to pay into, and accepting issues the invoice: add billing.iban (PATCH /api/v1/traders/{SellerId}, or the firm's profile page), then accept. The order waits until {AcceptBy:yyyy-MM-dd HH:mm} UTC.",
                new Dictionary<string, object?> { ["acceptBy"] = AcceptBy });
        }
    }

    /// <summary>
    /// The seller accepts: the hold was confirmed (sold), the card payment captured (<paramref name="captured"/>), or for
    /// an invoice order the invoice issued (<paramref name="invoice"/>, due after <see cref="OrderTerms.InvoiceDueDays"/>),
    /// naming <paramref name="parties"/> as they are now.
    /// </summary>
    public void Accept(OrderActor actor, PaymentChange? captured, InvoiceIssue? invoice, DateTimeOffset now, InvoicedParties? parties = null)
    {
        EnsureCanAccept(actor, now);
        var change = "accepted; the hold is sold";
        if (Payment!.Method == PaymentMethod.Card)
        {
            var state = captured ?? throw new ArgumentNullException(nameof(captured), "A card order is accepted with its capture.");
            Payment = Payment with { ExternalId = state.ExternalId ?? Payment.ExternalId, Status = state.Status, CapturedMinor = Totals!.GrossMinor, ChangedAt = now };
            change += $"; card payment of {Amount(Totals.GrossMinor, Totals.Currency)} captured";
        }
        else
        {
            var issue = invoice ?? throw new ArgumentNullException(nameof(invoice), "An invoice order is accepted with its invoice.");
            var today = MarketClock.Today(now);
            Invoice = new OrderInvoice(issue.Number, today, today.AddDays(Terms.InvoiceDueDays), issue.ReferenceNumber, issue.CreditorReference)
            {
                Parties = parties,
            };
            Payment = Payment with { Status = "invoiced", ChangedAt = now };
            change += $"; invoice {issue.Number} issued, due {Invoice.DueDate:yyyy-MM-dd}, reference {issue.ReferenceNumber}";
        }

        AcceptedAt = now;
        Move(actor, now, OrderStatus.Accepted, change);
    }

    /// <summary>
    /// The goods change hands: the buyer confirms receipt, or the seller with the buyer's pickup code. A waste lot's
    /// order gets its transfer document in the same step, naming <paramref name="parties"/> (required for a waste lot).
    /// </summary>
    public void HandOver(OrderActor actor, string? pickupCode, DateTimeOffset now, TransferParties? parties = null)
    {
        EnsureVisibleTo(actor);
        EnsureStatus("hand over", OrderStatus.Accepted);
        string change;
        if (actor.TraderId == BuyerId)
        {
            change = "handed over: the buyer confirmed receipt";
        }
        else if (actor.TraderId == SellerId)
        {
            // Typed as read aloud ("827 847"): the spaces are not part of the code, and do not cost a try.
            pickupCode = pickupCode is null ? null : new string(pickupCode.Where(c => !char.IsWhiteSpace(c)).ToArray());
            if (string.IsNullOrEmpty(pickupCode))
            {
                throw DomainException.Invalid("pickupCode", "The seller hands over with the buyer's pickup code.");
            }

            if (WrongPickupCodes >= MaxWrongPickupCodes)
            {
                throw PickupCodeClosed();
            }

            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(pickupCode), Encoding.UTF8.GetBytes(PickupCode)))
            {
                // Counted (and stored by the grain, though the order does not change otherwise): without a bound a seller
                // could try the million codes and hand over without the buyer.
                WrongPickupCodes++;
                if (WrongPickupCodes >= MaxWrongPickupCodes)
                {
                    throw PickupCodeClosed();
                }

                var left = MaxWrongPickupCodes - WrongPickupCodes;
                var message = $"That is not the buyer's pickup code ({left} more {(left == 1 ? "try" : "tries")} before only the buyer can confirm the handover).";
                throw new DomainException("pickup-code-wrong", message, DomainErrorKind.Validation,
                    new Dictionary<string, string[]> { ["pickupCode"] = [message] });
            }

            change = "handed over: the seller gave the buyer's pickup code";
        }
        else
        {
            throw DomainException.Forbidden("party-only", "Only the buyer or the seller hands an order over.");
        }

        HandedOverAt = now;
        TransferDocument = TransferDocument.ForHandover(this, parties, now);
        Move(actor, now, OrderStatus.HandedOver, change + (TransferDocument is { } d ? $"; transfer document {d.Id} made ({d.Waste.WasteCode})" : ""));
    }

    private static DomainException PickupCodeClosed()
        => new("pickup-code-locked", $"{MaxWrongPickupCodes} wrong pickup codes were given for this order: the buyer now confirms the handover themselves.",
            DomainErrorKind.Conflict, new Dictionary<string, string[]> { ["pickupCode"] = ["Too many wrong codes: ask the buyer to confirm receipt."] });

    /// <summary>Checks that the order may complete now: the buyer after handover, or anyone once the dispute window passed.</summary>
    public void EnsureCanComplete(OrderActor actor, DateTimeOffset now)
    {
        if (actor != OrderActor.System)
        {
            EnsureParty(actor, seller: false);
        }

        EnsureStatus("complete", OrderStatus.HandedOver);
        if (actor == OrderActor.System && now < DisputeUntil)
        {
            throw DomainException.Conflict("dispute-window-open", "The dispute window has not passed yet.",
                new Dictionary<string, object?> { ["disputeUntil"] = DisputeUntil });
        }
    }

    /// <summary>The order completes with its carbon figure (null when the lot's mass is unknown).</summary>
    public void Complete(OrderActor actor, CarbonFigure? figure, DateTimeOffset now)
    {
        EnsureCanComplete(actor, now);
        Carbon = figure;
        ClosedAt = now;
        Move(actor, now, OrderStatus.Completed, (actor == OrderActor.System ? "completed: the dispute window passed" : "completed by the buyer") + CarbonNote(figure));
    }

    /// <summary>Checks that the caller may cancel now: the buyer or the seller (or the marketplace at the deadline), before handover, with a reason.</summary>
    public void EnsureCanCancel(OrderActor actor, string? reason)
    {
        if (actor != OrderActor.System)
        {
            EnsureVisibleTo(actor);
            if (actor.TraderId != BuyerId && actor.TraderId != SellerId)
            {
                throw DomainException.Forbidden("party-only", "Only the buyer or the seller cancels an order.");
            }

            new Validation().Text(reason, "reason", MaxReasonLength).ThrowIfInvalid();
        }

        EnsureStatus("cancel", OrderStatus.Placed, OrderStatus.Accepted);
    }

    /// <summary>
    /// Cancels before handover. The grain has released the hold (placed) or returned the sold quantity to the lot
    /// (accepted), and cancelled the authorisation (<paramref name="payment"/>) or refunded what was paid (<paramref name="refund"/>).
    /// </summary>
    /// <param name="actor">Who cancels.</param>
    /// <param name="reason">Why.</param>
    /// <param name="payment">The payment's state after the cancel step, if any.</param>
    /// <param name="refund">The refund made, if any.</param>
    /// <param name="now">When.</param>
    /// <param name="quantityReturned">
    /// Whether an accepted order's sold quantity is already back on the lot; the grain passes false, stores the cancel,
    /// then returns the quantity and marks it (<see cref="MarkQuantityReturned"/>), so a lot is never ahead of its order.
    /// </param>
    /// <param name="creditNote">
    /// The number of the credit note that voids an issued invoice (<see cref="CreditNoteDueOnCancel"/> above zero).
    /// </param>
    public void Cancel(OrderActor actor, string? reason, PaymentChange? payment, RefundChange? refund, DateTimeOffset now, bool quantityReturned = true,
        InvoiceIssue? creditNote = null)
    {
        EnsureCanCancel(actor, reason);
        var wasAccepted = Status == OrderStatus.Accepted;
        Reason = reason?.Trim() ?? "The seller did not accept in time.";
        var voided = CreditNoteDueOnCancel;
        if (creditNote is not null && voided > 0)
        {
            // The issued invoice is void: a credit note takes all of it back, under its own number.
            IssueCreditNote(creditNote, voided, Reason, now, refund?.AmountMinor ?? 0);
        }

        if (payment is not null)
        {
            Payment = Payment! with { Status = payment.Status, ChangedAt = now };
        }

        var change = $"cancelled: {Reason}";
        if (refund is not null)
        {
            AddRefund("cancel", refund, now);
            change += $"; {Amount(refund.AmountMinor, Totals!.Currency)} refunded";
        }

        if (Payment!.Method == PaymentMethod.Invoice && Invoice is not null)
        {
            // An issued invoice is void: what was paid on it is returned, the rest credited.
            Payment = Payment with { Status = refund is { AmountMinor: > 0 } ? "refunded" : "credited", ChangedAt = now };
            if (Invoice.CreditNote is { } note)
            {
                change += $"; credit note {note.Number}";
            }
        }

        QuantityReturned = wasAccepted && quantityReturned;
        ClosedAt = now;
        Move(actor, now, OrderStatus.Cancelled, change + (wasAccepted ? "; the quantity went back to the lot" : "; the hold was released"));
    }

    /// <summary>An amount for the audit trail, in major units whatever the caller's culture ("125.50 EUR").</summary>
    private static string Amount(long minor, string currency)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{minor / 100m:0.00} {currency}");

    /// <summary>What a cancellation now would credit: the whole of an issued invoice not yet credited (0 without one).</summary>
    public long CreditNoteDueOnCancel
        => Invoice is { CreditNote: null } && Payment?.Method == PaymentMethod.Invoice ? Math.Max(0, Totals!.GrossMinor - CreditedMinor) : 0;

    /// <summary>
    /// What a dispute's resolution of <paramref name="amount"/> would document by a credit note: on an invoice order
    /// with an issued invoice, all of it, whether taken off what is still owed or refunded from what was paid (either
    /// way the invoiced sale shrinks by it); 0 otherwise.
    /// </summary>
    public long CreditNoteDueOnResolve(long amount)
        => Invoice is { CreditNote: null } && Payment?.Method == PaymentMethod.Invoice ? amount : 0;

    private void IssueCreditNote(InvoiceIssue number, long grossMinor, string? reason, DateTimeOffset now, long refundedMinor = 0)
        => Invoice = Invoice! with
        {
            CreditNote = new OrderCreditNote(number.Number, MarketClock.Today(now), grossMinor, OrderCreditNote.Split(grossMinor, _lines), reason)
            {
                RefundedMinor = refundedMinor,
            },
        };

    /// <summary>The buyer disputes the order after handover, within the dispute window, with a reason.</summary>
    public void Dispute(OrderActor actor, string? reason, DateTimeOffset now)
    {
        EnsureParty(actor, seller: false);
        new Validation().Text(reason, "reason", MaxReasonLength).ThrowIfInvalid();
        EnsureStatus("dispute", OrderStatus.HandedOver);
        if (now >= DisputeUntil)
        {
            throw DomainException.Conflict("dispute-window-closed", "The time to dispute this order has passed.",
                new Dictionary<string, object?> { ["disputeUntil"] = DisputeUntil });
        }

        Reason = reason!.Trim();
        Move(actor, now, OrderStatus.Disputed, $"disputed: {Reason}");
    }

    /// <summary>Checks a resolution before any refund is made; answers the amount to refund (0 to complete as it is).</summary>
    public long EnsureCanResolve(OrderActor actor, Resolution resolution)
    {
        EnsureExists();
        if (!actor.PlatformAdmin)
        {
            EnsureVisibleTo(actor);
            throw DomainException.Forbidden("platform-admin-only", "Only a platform admin resolves a dispute.");
        }

        var v = new Validation();
        v.Require(resolution.Outcome is "complete" or "refund", "outcome", "The outcome is 'complete' or 'refund'.");
        v.Require(resolution.Outcome != "refund" || resolution.RefundMinor is > 0, "refundMinor", "A refund needs an amount above zero.");
        v.Require(resolution.Outcome != "complete" || resolution.RefundMinor is null or 0, "refundMinor", "Completing refunds nothing.");
        v.Text(resolution.Note, "note", MaxReasonLength, required: false);
        v.ThrowIfInvalid();
        EnsureStatus("resolve", OrderStatus.Disputed);
        var amount = resolution.Outcome == "refund" ? resolution.RefundMinor!.Value : 0;
        var most = RefundableMinor + CreditableMinor;
        if (amount > most)
        {
            var what = CreditableMinor > 0
                ? "what the invoice still asks plus what was paid and not yet refunded"
                : "what was paid and not yet refunded";
            throw new DomainException("refund-exceeds-paid", $"At most {most} can be refunded: {what}.",
                DomainErrorKind.Validation, new Dictionary<string, string[]> { ["refundMinor"] = [$"At most {most}."] },
                new Dictionary<string, object?> { ["refundable"] = most });
        }

        return amount;
    }

    /// <summary>
    /// How a resolution's amount splits: on an invoice order it first takes what the invoice still asks off it (a
    /// credit), and only the rest is refunded from what was paid, so the buyer's price drops by the amount either way.
    /// </summary>
    public (long Credit, long Refund) SplitResolution(long amount)
    {
        var credit = Math.Min(amount, CreditableMinor);
        return (credit, amount - credit);
    }

    /// <summary>
    /// A platform admin resolves a dispute: completed as it is or with a partial refund (with the carbon figure), or
    /// refunded in whole (status <see cref="OrderStatus.Refunded"/>). A credit taken off the invoice is documented by a
    /// credit note numbered <paramref name="creditNote"/>.
    /// </summary>
    public void Resolve(OrderActor actor, Resolution resolution, RefundChange? refund, CarbonFigure? figure, DateTimeOffset now, InvoiceIssue? creditNote = null)
    {
        var amount = EnsureCanResolve(actor, resolution);
        var whole = amount > 0 && amount == RefundableMinor + CreditableMinor;
        var (credit, refunded) = SplitResolution(amount);
        var change = $"resolved by a platform admin{(resolution.Note is { Length: > 0 } n ? $": {n.Trim()}" : "")}";
        var noted = creditNote is null ? 0 : CreditNoteDueOnResolve(amount);
        if (noted > 0)
        {
            // The credit note documents the whole amount taken back; the part refunded says so on it.
            IssueCreditNote(creditNote!, noted, resolution.Note?.Trim(), now, refunded);
        }

        if (credit > 0)
        {
            CreditedMinor += credit;
            change += $"; {Amount(credit, Totals!.Currency)} credited on the invoice";
            if (!whole && Invoice is { PaidMinor: > 0 } && InvoiceSettled)
            {
                // What was paid and the credit settle the invoice of the order it completes.
                Payment = Payment! with { Status = "paid", ChangedAt = now };
            }
        }

        if (refunded > 0)
        {
            AddRefund("dispute", (refund ?? new RefundChange(null, refunded, "recorded")) with { AmountMinor = refunded }, now);
            change += $"; {Amount(refunded, Totals!.Currency)} refunded";
        }

        if (noted > 0)
        {
            change += $" (credit note {creditNote!.Number})";
        }

        if (whole && Payment!.Method == PaymentMethod.Invoice && Invoice is not null)
        {
            // The whole price is taken back: what was paid is returned, what was owed is credited.
            Payment = Payment with { Status = refunded > 0 ? "refunded" : "credited", ChangedAt = now };
        }
        Carbon = whole ? null : figure;
        ClosedAt = now;
        Move(actor, now, whole ? OrderStatus.Refunded : OrderStatus.Completed, change + (whole ? "" : CarbonNote(figure)));
    }

    /// <summary>The seller or a platform admin records a payment against the invoice; the sum never exceeds the total.</summary>
    public void RecordInvoicePayment(OrderActor actor, long? amountMinor, DateOnly? paidOn, string? note, DateTimeOffset now)
    {
        EnsureVisibleTo(actor);
        if (!actor.PlatformAdmin && actor.TraderId != SellerId)
        {
            throw DomainException.Forbidden("seller-only", "Only the seller or a platform admin records invoice payments.");
        }

        if (Invoice is null)
        {
            throw DomainException.Conflict("no-invoice", "This order has no invoice (card orders, or not accepted yet).",
                new Dictionary<string, object?> { ["orderStatus"] = StatusCode(Status) });
        }

        if (Status is OrderStatus.Cancelled or OrderStatus.Refunded)
        {
            // Its invoice no longer asks for anything: money the buyer paid anyway goes back outside the marketplace.
            throw DomainException.Conflict("invalid-transition", $"{English.Article(StatusCode(Status))} {StatusCode(Status)} order's invoice takes no payments: return any money received to the buyer.",
                new Dictionary<string, object?> { ["orderStatus"] = StatusCode(Status) });
        }

        var today = MarketClock.Today(now);
        var v = new Validation();
        v.Require(amountMinor is > 0, "amountMinor", "The amount must be above zero.");
        v.Require(paidOn is null || paidOn <= today, "paidOn", "The payment date cannot be after today.");
        v.Require(paidOn is null || paidOn >= Invoice.IssueDate.AddYears(-1), "paidOn", "The payment date cannot be more than a year before the invoice was issued.");
        v.Text(note, "note", 500, required: false);
        v.ThrowIfInvalid();
        var outstanding = Totals!.GrossMinor - Invoice.PaidMinor - CreditedMinor;
        if (amountMinor > outstanding)
        {
            throw new DomainException("payment-exceeds-total", $"Only {outstanding} is outstanding on this invoice.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["amountMinor"] = [$"At most {outstanding}."] },
                new Dictionary<string, object?> { ["outstanding"] = outstanding });
        }

        Invoice = Invoice with { Payments = [.. Invoice.Payments, new InvoicePayment(amountMinor!.Value, paidOn ?? today, actor.Subject, now, note?.Trim())] };
        // A dispute's credit took part of the invoice off: paid and credited together settle it.
        Payment = Payment! with { Status = InvoiceSettled ? "paid" : "partially-paid", ChangedAt = now };
        Record(actor, now, StatusCode(Status), $"invoice payment of {Amount(amountMinor!.Value, Totals.Currency)} recorded; {Amount(Totals.GrossMinor - Invoice.PaidMinor - CreditedMinor, Totals.Currency)} outstanding");
        Touch(now);
    }

    /// <summary>The order's transfer document as <paramref name="actor"/> may see it: 404 for strangers and for an order without one.</summary>
    public TransferDocument GetTransferDocument(OrderActor actor)
    {
        EnsureVisibleTo(actor);
        return TransferDocument ?? throw DomainException.NotFound("transfer-document", TransferDocument.IdFor(Id));
    }

    /// <summary>The seller (as holder) or the buyer (as receiver) signs the transfer document; signing again changes nothing.</summary>
    public void SignTransferDocument(OrderActor actor, DateTimeOffset now)
    {
        var signed = GetTransferDocument(actor).Sign(actor, now);
        if (signed != TransferDocument)
        {
            TransferDocument = signed;
            Record(actor, now, StatusCode(Status), $"transfer document {signed.Id} signed by the {(actor.TraderId == SellerId ? "seller" : "buyer")}"
                + (signed.IsSigned ? "; both sides have signed" : ""));
            Touch(now);
        }
    }

    /// <summary>Either party corrects the carrier or the description of an unsigned transfer document (platform admins may not).</summary>
    public void ChangeTransferDocument(OrderActor actor, TransferChanges changes, DateTimeOffset now)
    {
        var document = GetTransferDocument(actor);
        if (actor.TraderId != SellerId && actor.TraderId != BuyerId)
        {
            throw DomainException.Forbidden("party-only", "Only the seller and the buyer correct the transfer document.");
        }

        var changed = document.Change(changes, now);
        if (changed != document)
        {
            TransferDocument = changed;
            Record(actor, now, StatusCode(Status), $"transfer document {changed.Id} corrected; signatures given before are void");
            Touch(now);
        }
    }

    /// <summary>True when this cancelled order was accepted and its sold quantity has not yet been given back to the lot.</summary>
    [JsonIgnore]
    public bool OwesQuantityBack => Status == OrderStatus.Cancelled && AcceptedAt is not null && !QuantityReturned;

    /// <summary>Notes that the cancelled order's sold quantity is back on the lot.</summary>
    public void MarkQuantityReturned(DateTimeOffset now)
    {
        QuantityReturned = true;
        Touch(now);
    }

    /// <summary>Notes that the ledgers counted the carbon figure (not an audited transition: the figure was audited at completion).</summary>
    public void MarkCarbonRecorded(DateTimeOffset now)
    {
        CarbonRecorded = true;
        Touch(now);
    }

    /// <summary>
    /// What the invoice still asks for: the total less what was paid, and nothing once the order was cancelled or
    /// refunded (its invoice is void; a refund settles the dispute it ended).
    /// </summary>
    public long InvoiceOutstandingMinor
        => Invoice is not { } i || Status is OrderStatus.Cancelled or OrderStatus.Refunded ? 0 : Math.Max(0, Totals!.GrossMinor - i.PaidMinor - CreditedMinor);

    /// <summary>True when the invoice is unpaid (wholly or partly) after its due date on an order still owed.</summary>
    public bool IsOverdue(DateTimeOffset now)
        => Invoice is { } i && Status is OrderStatus.Accepted or OrderStatus.HandedOver or OrderStatus.Completed or OrderStatus.Disputed
           && i.PaidMinor + CreditedMinor < Totals!.GrossMinor && MarketClock.Today(now) > i.DueDate;

    /// <summary>
    /// Applies a verified payment event: false (nothing changes) for another payment, an event older than the
    /// payment's last change (compared in whole seconds, the provider's precision), or one that contradicts a closed
    /// order (a success after cancellation).
    /// </summary>
    public bool ApplyPaymentEvent(PaymentChangeEvent e, DateTimeOffset now)
    {
        if (!Exists || Payment is not { } p || p.Method != PaymentMethod.Card || e.ExternalId is null || (p.ExternalId is not null && p.ExternalId != e.ExternalId)
            || e.Created.ToUnixTimeSeconds() < p.ChangedAt.ToUnixTimeSeconds() || e.Status is null || e.Status == p.Status)
        {
            return false;
        }

        // A notice from the second of the capture may predate it: a captured payment does not go back to before capture.
        if (p.CapturedMinor > 0 && e.Status is "requires_payment_method" or "requires_confirmation" or "requires_action" or "requires_capture" or "processing")
        {
            return false;
        }

        if (Status is OrderStatus.Cancelled or OrderStatus.Refunded && e.Status is "succeeded" or "requires_capture" or "processing")
        {
            return false;
        }

        Payment = p with { ExternalId = e.ExternalId, Status = e.Status, ChangedAt = e.Created };
        Record(new OrderActor("payment-provider", null, null), now, StatusCode(Status), $"payment {e.Type} ({e.EventId}): {p.Status} → {e.Status}");
        Touch(now);
        return true;
    }

    /// <summary>The next instant at which time alone changes the order (acceptance lapses, the dispute window ends), if any.</summary>
    public DateTimeOffset? NextDeadline() => Status switch
    {
        OrderStatus.Placed when Exists => AcceptBy,
        OrderStatus.HandedOver => DisputeUntil,
        OrderStatus.Completed when Carbon is not null && !CarbonRecorded => ClosedAt,
        OrderStatus.Cancelled when OwesQuantityBack => ClosedAt,
        _ => null,
    };

    /// <summary>The API code of a status, e.g. <c>handed-over</c>.</summary>
    public static string StatusCode(OrderStatus status) => status switch
    {
        OrderStatus.HandedOver => "handed-over",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses an API status code.</summary>
    public static OrderStatus? ParseStatus(string? code)
        => Enum.GetValues<OrderStatus>().Select(s => (OrderStatus?)s).FirstOrDefault(s => StatusCode(s!.Value) == code);

    private static OrderAddress ValidateAddress(OrderAddress? a, Validation v, Geo.ServiceArea area)
    {
        if (a is null)
        {
            v.Add("address", "The address the goods go to is required.");
            return new OrderAddress(null, null, null, null, null);
        }

        v.Text(a.Address, "address.address", 300);
        v.Text(a.PostalCode, "address.postalCode", 10, required: false);
        v.Require(a.PostalCode is null || (a.PostalCode.Length == 5 && a.PostalCode.All(char.IsAsciiDigit)), "address.postalCode", "A Finnish postal code has five digits.");
        v.Text(a.Municipality, "address.municipality", 100);
        v.Require(a.Latitude is { } lat && Geo.GeoPoint.IsLatitude(lat), "address.latitude", "The latitude must be between -90 and 90.");
        v.Require(a.Longitude is { } lon && Geo.GeoPoint.IsLongitude(lon), "address.longitude", "The longitude must be between -180 and 180.");
        v.Require(!a.Point.IsValid || area.Contains(a.Point), "address", $"The marketplace serves {area}; this point lies outside it.");
        return a with { Address = a.Address?.Trim(), Municipality = a.Municipality?.Trim() };
    }

    private static InvoicingDetails ValidateInvoicing(InvoicingDetails? given, Trader buyer, Validation v)
    {
        // Given addresses replace the billing ones as a whole; with none given, the billing details (or the firm's contact address) apply.
        var billing = buyer.Profile?.Billing;
        var businessId = given?.BusinessId ?? buyer.Profile?.BusinessId;
        var details = given is { EInvoiceAddress: not null } or { EInvoiceOperator: not null } or { Email: not null }
            ? given with
            {
                BusinessId = businessId,
                // As the firm's billing details are kept: without spaces, in capitals.
                EInvoiceAddress = string.IsNullOrWhiteSpace(given.EInvoiceAddress) ? null : Traders.Iban.Normalize(given.EInvoiceAddress.Trim()),
                EInvoiceOperator = string.IsNullOrWhiteSpace(given.EInvoiceOperator) ? null : Traders.Iban.Normalize(given.EInvoiceOperator.Trim()),
            }
            : new InvoicingDetails(businessId, billing?.EInvoiceAddress, billing?.EInvoiceOperator,
                billing?.InvoiceEmail ?? (billing?.EInvoiceAddress is null ? buyer.Profile?.Contact?.Email : null));
        v.Require(BusinessId.IsValid(details.BusinessId), "invoicing.businessId", "A Finnish business id has seven digits, a hyphen and a valid check digit, e.g. 1572860-0.");
        // The rules of the firm's own billing details (PATCH /traders/{id}): the Finvoice is addressed with these.
        v.Require(details.EInvoiceAddress is null || BillingDetails.IsOvtCode(details.EInvoiceAddress) || Traders.Iban.IsValid(details.EInvoiceAddress),
            "invoicing.eInvoiceAddress", "An e-invoice address is an OVT code (0037 and a business id's eight digits, e.g. 003715728600) or an IBAN.");
        v.Require(details.EInvoiceOperator is null || BillingDetails.IsOperatorCode(details.EInvoiceOperator),
            "invoicing.eInvoiceOperator", "An e-invoice operator code is 3–35 letters and digits, e.g. 003723327487 or NDEAFIHH.");
        v.Require((details.EInvoiceAddress is null) == (details.EInvoiceOperator is null), "invoicing.eInvoiceOperator", "An e-invoice address goes with its operator's code.");
        v.Require(details.Email is null || (details.Email.Length <= 254 && System.Net.Mail.MailAddress.TryCreate(details.Email, out var m) && m.Address == details.Email),
            "invoicing.email", "The email address is not valid.");
        v.Require(details.EInvoiceAddress is not null || details.Email is not null, "invoicing", "Give an e-invoice address with its operator, or an email address.");
        return details;
    }

    private static string CarbonNote(CarbonFigure? figure)
        => figure is null ? "" : $"; {figure.AvoidedKgCo2e} kgCO2e avoided{(figure.IsNegative ? " (negative: transport outweighed the reuse)" : "")} (data {figure.DataVersion})";

    private void AddRefund(string step, RefundChange refund, DateTimeOffset now)
    {
        var amount = refund.AmountMinor;
        if (amount <= 0 || amount > RefundableMinor)
        {
            throw new InvalidOperationException($"A refund of {amount} exceeds the {RefundableMinor} refundable.");
        }

        _refunds.Add(new OrderRefund(step, amount, refund.ExternalId, refund.Status, now));
    }

    private void EnsureParty(OrderActor actor, bool seller)
    {
        EnsureVisibleTo(actor);
        var party = seller ? SellerId : BuyerId;
        if (actor.TraderId != party)
        {
            throw seller
                ? DomainException.Forbidden("seller-only", "Only the seller may do this.")
                : DomainException.Forbidden("buyer-only", "Only the buyer may do this.");
        }
    }

    private void EnsureStatus(string action, params OrderStatus[] allowed)
    {
        EnsureExists();
        if (!allowed.Contains(Status))
        {
            throw DomainException.Conflict("invalid-transition", $"{English.Article(StatusCode(Status))} {StatusCode(Status)} order cannot {action}.",
                new Dictionary<string, object?> { ["orderStatus"] = StatusCode(Status), ["action"] = action });
        }
    }

    private void EnsureExists()
    {
        if (!Exists)
        {
            throw DomainException.NotFound("order", Id);
        }
    }

    private void Move(OrderActor actor, DateTimeOffset now, OrderStatus to, string change)
    {
        var from = StatusCode(Status);
        Status = to;
        Record(actor, now, from, change);
        Touch(now);
    }

    private void Record(OrderActor actor, DateTimeOffset now, string? from, string change)
        => _audit.Add(new OrderAuditEntry(now, actor.Subject, actor.TraderId, actor.ClientId, from ?? "", StatusCode(Status), change));

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
    }
}
