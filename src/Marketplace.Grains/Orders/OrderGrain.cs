using System.Security.Cryptography;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Carbon;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Marketplace.Grains.Webhooks;
using Marketplace.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Orders;

/// <summary>
/// Loads an order, checks with the domain that a step is allowed, takes the step's outside work (the lot, the payment
/// gateway, the invoice number), lets the domain record it, persists, and tells the firms' indexes. Outside work is
/// idempotent per order (lot steps by order id, gateway calls by idempotency keys from the order and step, invoice
/// numbers by order), so a call retried after a failed write does that work once. One reminder keeps the order's next
/// deadline: a seller who has not accepted by <see cref="Order.AcceptBy"/> sees the order cancelled (and its card
/// authorisation cancelled), and a handed-over order completes when its dispute window passes.
/// </summary>
public sealed class OrderGrain(
    [PersistentState("order", StorageOptions.StoreName)] IPersistentState<Order> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<OrderOptions> options,
    IOptions<ServiceAreaOptions> serviceArea,
    IEnumerable<IPaymentGateway> gateways,
    IServiceProvider services,
    IOptions<WebhookOptions> webhooks,
    WebhookInterest interest,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain, IWebhookOutboxGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";

    /// <summary>The order as last stored, to tell which webhook events the next write makes.</summary>
    private OrderMark _mark = OrderMark.None;

    private WebhookRelay? _relay;

    private WebhookRelay Relay => _relay ??= new WebhookRelay(this, GrainFactory, webhooks.Value, logger);

    /// <summary>Hands over what the outbox holds; an empty one needs no relay (one waiting to retry reads the outbox itself).</summary>
    private void HandOver()
    {
        if (Order.Outbox.Count > 0)
        {
            Relay.HandOver(() => Order.Outbox);
        }
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Order.NameIfMissing(Id);
        _mark = OrderMark.Of(Order);
        if (Order.Outbox.Count > 0)
        {
            // Events stored with the last change but perhaps never handed over (a crash): subscriptions drop duplicates.
            HandOver();
        }

        if (Order.OwesQuantityBack)
        {
            // A cancel stored by a host that died before it gave the sold quantity back (the lot still counts it sold).
            try
            {
                await ReturnQuantityAsync();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Order {OrderId}: giving the cancelled order's quantity back failed; the next activation tries again", Id);
            }
        }
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        WebhookRelay.TrimAsync(_relay, reason, Order.Outbox, () => state.WriteStateAsync(cancellationToken));

    /// <inheritdoc />
    public Task HandOverAsync()
    {
        HandOver();
        return Task.CompletedTask;
    }

    /// <summary>Writes the order with its change's webhook events in its outbox (one storage write), then hands them over.</summary>
    private async Task WriteAsync()
    {
        try
        {
            var events = WebhookEvents.ForOrder(_mark, Order, Now, await interest.CurrentAsync());
            if (_relay is not null || events.Count > 0)
            {
                // A relay is made only for events: nobody subscribes to most grains' events, and an activation keeps its relay.
                Relay.Record(Order.Outbox, events);
            }
        }
        catch
        {
            // Memory holds a change that will not be stored: retire the activation, so that the next call reads storage's
            // state instead of answering from a change no one stored (an unreadable subscription filter once did that).
            DeactivateOnIdle();
            throw;
        }

        try
        {
            await state.WriteOrReloadAsync();
        }
        finally
        {
            _mark = OrderMark.Of(Order);
        }

        HandOver();
    }

    private string Id => this.GetPrimaryKeyString();

    private DateTimeOffset Now => time.GetUtcNow();

    private Order Order => state.State;

    /// <inheritdoc />
    public async Task<Order> CheckoutAsync(OrderActor actor, Checkout checkout)
    {
        if (Order.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a checkout whose answer was lost finds it.
            Order.EnsureVisibleTo(actor);
            if (!Order.IsSameCheckout(actor, checkout))
            {
                throw DomainException.Conflict("order-exists", $"Order '{Id}' already exists.");
            }

            // The first attempt may have stored the order and died before its firms' lists and its deadline heard of it.
            await AfterWriteAsync();
            return Order;
        }

        var buyerId = actor.TraderId ?? throw DomainException.Forbidden("no-acting-trader", "Checkout needs a token acting for a firm.");
        var buyer = await GrainFactory.GetGrain<ITraderGrain>(buyerId).GetAsync() ?? throw DomainException.NotFound("trader", buyerId);
        var listing = string.IsNullOrWhiteSpace(checkout.ListingId)
            ? new Domain.Listings.Listing() // Place refuses the missing id along with every other bad field.
            : await GrainFactory.GetGrain<IListingGrain>(checkout.ListingId).GetAsync() ?? throw DomainException.NotFound("listing", checkout.ListingId);
        var order = Domain.Orders.Order.Place(Id, actor, checkout, listing, buyer, PickupCode(), options.Value.Terms, Now, serviceArea.Value.Area);
        var gateway = Gateway(order.Payment!.Method);
        string? sellerAccount = null;
        if (order.Payment.Method == PaymentMethod.Card)
        {
            var seller = await GrainFactory.GetGrain<ITraderGrain>(order.SellerId).GetAsync();
            sellerAccount = SellerAccount(seller);
        }

        await GrainFactory.GetGrain<IListingGrain>(order.Lot!.ListingId).AttachOrderAsync(buyerId, order.HoldId, Id, order.AcceptBy + Domain.Orders.Order.HoldGrace, checkout.MatchId);
        if (order.Payment.Hosted)
        {
            // Paid on Stripe's page, which makes its own payment intent: none is made here.
            order.Authorized(new PaymentChange(null, "requires_payment_method"), Now);
        }
        else
        {
            var authorized = await gateway.AuthorizeAsync(PaymentRequestOf(order, sellerAccount));
            order.Authorized(new PaymentChange(authorized.ExternalId, authorized.Status, authorized.ClientSecret), Now);
        }

        state.State = order;
        // The firms' lists and the order's deadline hear of it before it is stored: a host dying between the two leaves
        // at most list entries whose order was never stored (the lists skip them where they read the order) and a
        // reminder that ends itself, never a stored order missing from both lists with no deadline to cancel it (probe 16).
        var told = await AfterWriteAsync();
        await WriteAsync();
        if (!told)
        {
            await AfterWriteAsync();
        }

        return Order;
    }

    /// <inheritdoc />
    public Task<Order> GetAsync(OrderActor actor)
    {
        if (!Order.Exists)
        {
            throw DomainException.NotFound("order", Id);
        }

        Order.EnsureVisibleTo(actor);
        return Task.FromResult(Order);
    }

    /// <inheritdoc />
    public async Task<Order> StartHostedCheckoutAsync(OrderActor actor, string returnUrl)
    {
        if (!Order.Exists)
        {
            throw DomainException.NotFound("order", Id);
        }

        if (Order.EnsureCanPayOnHostedCheckout(actor, returnUrl, Now) is not null)
        {
            return Order;
        }

        var seller = await GrainFactory.GetGrain<ITraderGrain>(Order.SellerId).GetAsync();
        var request = PaymentRequestOf(Order, SellerAccount(seller));
        var attempt = (Order.Payment!.Session?.Attempt ?? 0) + 1;
        var started = await HostedCheckout().StartAsync(request, returnUrl, attempt);
        var session = new CardCheckoutSession(started.Id, started.Url, started.ExpiresAt, attempt);
        return await ChangeAsync(o => o.HostedCheckoutStarted(actor, returnUrl, session, Now));
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAbandonedAsync(string listingId)
    {
        if (Order.Exists)
        {
            return false;
        }

        DeactivateOnIdle();
        return await GrainFactory.GetGrain<IListingGrain>(listingId).DetachOrderAsync(Id);
    }

    /// <inheritdoc />
    public async Task<Order> AcceptAsync(OrderActor actor)
    {
        await RefreshCardAuthorizationAsync();
        Order.EnsureCanAccept(actor, Now);
        InvoicedParties? parties = null;
        if (Order.Payment!.Method == PaymentMethod.Invoice)
        {
            // The invoice names the firms, and the seller's account, as they are at its issue; without an account it is not issued.
            var seller = await GrainFactory.GetGrain<ITraderGrain>(Order.SellerId).GetAsync() ?? throw DomainException.NotFound("trader", Order.SellerId);
            var buyer = await GrainFactory.GetGrain<ITraderGrain>(Order.BuyerId).GetAsync() ?? throw DomainException.NotFound("trader", Order.BuyerId);
            Order.EnsureSellerCanInvoice(seller.Profile?.Billing);
            parties = InvoicedParties.Of(Order, seller, buyer);
        }

        try
        {
            await GrainFactory.GetGrain<IListingGrain>(Order.Lot!.ListingId).ConfirmHoldAsync(Order.SellerId, Order.HoldId, orderId: Id);
        }
        catch (DomainException e) when (e.Code == "hold-closed" && Order.Status == OrderStatus.Placed)
        {
            // The order's cancel released its hold and stopped before it stored the order (a crash): finish the cancel.
            logger.LogWarning("Order {OrderId}: its hold was closed while the order was still placed; the order is cancelled", Id);
            await CancelAsync(OrderActor.System, "The order's hold was released before the seller accepted it.");
            throw DomainException.Conflict("order-cancelled", "The order's hold was released before it was accepted, so the order is cancelled: the buyer can hold the lot and order again.",
                new Dictionary<string, object?> { ["orderStatus"] = Domain.Orders.Order.StatusCode(Order.Status) });
        }

        var state = await Gateway(Order.Payment!.Method).CaptureAsync(Id, Order.Payment.ExternalId);
        var captured = new PaymentChange(state.ExternalId, state.Status);
        InvoiceIssue? invoice = null;
        if (Order.Payment.Method == PaymentMethod.Invoice)
        {
            var year = MarketClock.Today(Now).Year.ToString("0000", System.Globalization.CultureInfo.InvariantCulture);
            invoice = await GrainFactory.GetGrain<IInvoiceNumberGrain>(year).IssueAsync(Id);
        }

        return await ChangeAsync(o => o.Accept(actor, captured, invoice, Now, parties));
    }

    /// <inheritdoc />
    public async Task<Order> HandOverAsync(OrderActor actor, string? pickupCode)
    {
        // A waste lot's transfer document is made in the handover's own turn, naming the firms as they are now.
        TransferParties? parties = null;
        if (Order is { Exists: true, Status: OrderStatus.Accepted, Lot.WasteCode: not null })
        {
            Order.EnsureVisibleTo(actor);
            var seller = await GrainFactory.GetGrain<ITraderGrain>(Order.SellerId).GetAsync() ?? throw DomainException.NotFound("trader", Order.SellerId);
            var buyer = await GrainFactory.GetGrain<ITraderGrain>(Order.BuyerId).GetAsync() ?? throw DomainException.NotFound("trader", Order.BuyerId);
            parties = TransferParties.From(seller, buyer);
        }

        var wrongCodes = Order.WrongPickupCodes;
        try
        {
            return await ChangeAsync(o => o.HandOver(actor, pickupCode, Now, parties));
        }
        catch (DomainException) when (Order.WrongPickupCodes != wrongCodes)
        {
            // A wrong code is refused, and counted where a restart or another silo sees it: the bound must hold.
            await WriteAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public Task<Order> SignTransferDocumentAsync(OrderActor actor) => ChangeAsync(o => o.SignTransferDocument(actor, Now));

    /// <inheritdoc />
    public Task<Order> ChangeTransferDocumentAsync(OrderActor actor, TransferChanges changes) => ChangeAsync(o => o.ChangeTransferDocument(actor, changes, Now));

    /// <inheritdoc />
    public async Task<Order> CompleteAsync(OrderActor actor)
    {
        Order.EnsureCanComplete(actor, Now);
        var figure = Carbon();
        var order = await ChangeAsync(o => o.Complete(actor, figure, Now));
        await RecordCarbonAsync();
        return order;
    }

    /// <inheritdoc />
    public async Task<Order> CancelAsync(OrderActor actor, string? reason)
    {
        Order.EnsureCanCancel(actor, reason);
        var gateway = Gateway(Order.Payment!.Method);
        PaymentChange? payment = null;
        RefundChange? refund = null;
        var lot = GrainFactory.GetGrain<IListingGrain>(Order.Lot!.ListingId);
        if (Order.Status == OrderStatus.Placed)
        {
            await lot.ReleaseHoldAsync(Order.BuyerId, Order.HoldId, orderId: Id);
        }

        // An accepted order's quantity goes back only once the cancel is stored (ReturnQuantityAsync below): returned
        // first, a host dying before the order's write left the lot selling again what an accepted order still held.

        if (Order.RefundableMinor > 0)
        {
            var refunded = await gateway.RefundAsync(Id, Order.Payment.ExternalId, new Money(Order.RefundableMinor, Order.Totals!.Currency), "cancel");
            refund = new RefundChange(refunded.ExternalId, refunded.Amount.MinorUnits, refunded.Status);
        }
        else if (Order.Payment is { Hosted: true, ExternalId: null } hosted)
        {
            // Nobody has paid on Stripe's page yet: close it, so that nobody can.
            if (hosted.Session is { } session && session.ExpiresAt > Now)
            {
                await HostedCheckout().ExpireAsync(Id, session.Id);
            }

            payment = new PaymentChange(null, "canceled");
        }
        else
        {
            var cancelled = await gateway.CancelAsync(Id, Order.Payment.ExternalId);
            payment = new PaymentChange(cancelled.ExternalId, cancelled.Status);
        }

        var wasAccepted = Order.Status != OrderStatus.Placed;
        var creditNote = Order.CreditNoteDueOnCancel > 0 ? await CreditNoteNumberAsync() : null;
        var order = await ChangeAsync(o => o.Cancel(actor, reason, payment, refund, Now, quantityReturned: false, creditNote));
        if (wasAccepted)
        {
            order = await ReturnQuantityAsync();
            if (Order.MatchId is { } matchId)
            {
                await ReturnMatchPurchaseAsync(matchId);
            }
        }

        return order;
    }

    /// <summary>
    /// Gives a cancelled accepted order's sold quantity back to its lot (once per order id on the lot) and marks it.
    /// Also the repair when a host died between the cancel's write and this: the next activation finishes it.
    /// </summary>
    private async Task<Order> ReturnQuantityAsync()
    {
        if (!Order.OwesQuantityBack)
        {
            return Order;
        }

        await GrainFactory.GetGrain<IListingGrain>(Order.Lot!.ListingId).ReturnSoldAsync(Id, Order.Quantity);
        return await ChangeAsync(o => o.MarkQuantityReturned(Now));
    }

    /// <summary>
    /// A match's order cancelled after acceptance: its demand counted the purchase when the match was confirmed, so it
    /// takes it back and wants the quantity again. Best effort: the cancellation stands; a demand not told stays fulfilled.
    /// </summary>
    private async Task ReturnMatchPurchaseAsync(string matchId)
    {
        try
        {
            if (await GrainFactory.GetGrain<IMatchingSessionGrain>(matchId).GetAsync() is { Proposal: { } proposal })
            {
                await GrainFactory.GetGrain<Demands.IDemandGrain>(proposal.DemandId).ReturnPurchaseAsync(Id, proposal.Quantity);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Order {OrderId}: its match {MatchId}'s demand was not told of the cancellation; it still counts the purchase", Id, matchId);
        }
    }

    /// <inheritdoc />
    public Task<Order> DisputeAsync(OrderActor actor, string? reason) => ChangeAsync(o => o.Dispute(actor, reason, Now));

    /// <inheritdoc />
    public async Task<Order> ResolveAsync(OrderActor actor, Resolution resolution)
    {
        var amount = Order.EnsureCanResolve(actor, resolution);
        var whole = amount > 0 && amount == Order.RefundableMinor + Order.CreditableMinor;
        var (_, refundPart) = Order.SplitResolution(amount);
        RefundChange? refund = null;
        if (refundPart > 0)
        {
            var refunded = await Gateway(Order.Payment!.Method).RefundAsync(Id, Order.Payment.ExternalId, new Money(refundPart, Order.Totals!.Currency), "dispute");
            refund = new RefundChange(refunded.ExternalId, refunded.Amount.MinorUnits, refunded.Status);
        }

        var figure = whole ? null : Carbon();
        var creditNote = Order.CreditNoteDueOnResolve(amount) > 0 ? await CreditNoteNumberAsync() : null;
        var order = await ChangeAsync(o => o.Resolve(actor, resolution, refund, figure, Now, creditNote));
        await RecordCarbonAsync();
        return order;
    }

    /// <summary>
    /// The number of this order's credit note, from the invoices' sequence of the year: a retry after a failed write gets
    /// the same number, as the invoice's own does.
    /// </summary>
    private Task<InvoiceIssue> CreditNoteNumberAsync()
    {
        var year = MarketClock.Today(Now).Year.ToString("0000", System.Globalization.CultureInfo.InvariantCulture);
        return GrainFactory.GetGrain<IInvoiceNumberGrain>(year).IssueAsync(Id + "/credit-note");
    }

    /// <inheritdoc />
    public Task<Order> RecordInvoicePaymentAsync(OrderActor actor, InvoicePaymentInput payment)
        => ChangeAsync(o => o.RecordInvoicePayment(actor, payment.AmountMinor, payment.PaidOn, payment.Note, Now));

    /// <inheritdoc />
    public Task<bool> ApplyPaymentEventAsync(PaymentEvent paymentEvent)
        => ApplyPaymentChangeAsync(new PaymentChangeEvent(paymentEvent.EventId, paymentEvent.Type, paymentEvent.Created, paymentEvent.ExternalId, paymentEvent.Status));

    /// <summary>
    /// Before a card order is accepted while no notification has said the card was authorised: asks the provider, so
    /// that a delayed or lost webhook does not keep the seller from accepting.
    /// </summary>
    private async Task RefreshCardAuthorizationAsync()
    {
        if (Order is { Exists: true, Status: OrderStatus.Placed, Payment: { Method: PaymentMethod.Card, Hosted: true, ExternalId: null, Session: { } session } })
        {
            // Paid on Stripe's page, perhaps: the page knows the intent it made.
            var page = await HostedCheckout().GetAsync(session.Id);
            if (page.PaymentIntentId is not { } made)
            {
                return;
            }

            var read = await Gateway(PaymentMethod.Card).GetAsync(Id, made);
            await ApplyPaymentChangeAsync(new PaymentChangeEvent($"read:{Now.ToUnixTimeMilliseconds()}", "payment_intent.read", Now, read.ExternalId, read.Status));
            return;
        }

        if (Order is not { Exists: true, Status: OrderStatus.Placed, Payment: { Method: PaymentMethod.Card, ExternalId: { } intent } p } || p.Status == "requires_capture")
        {
            return;
        }

        var state = await Gateway(PaymentMethod.Card).GetAsync(Id, intent);
        await ApplyPaymentChangeAsync(new PaymentChangeEvent($"read:{Now.ToUnixTimeMilliseconds()}", "payment_intent.read", Now, state.ExternalId, state.Status));
    }

    private async Task<bool> ApplyPaymentChangeAsync(PaymentChangeEvent change)
    {
        var before = Order.Version;
        if (!Order.ApplyPaymentEvent(change, Now))
        {
            return false;
        }

        try
        {
            await SaveAsync();
        }
        catch when (Order.Version == before)
        {
            // The write failed and storage's copy was reloaded: the event changed nothing that lasts.
            return false;
        }

        return true;
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!Order.Exists)
        {
            // Registered by a checkout whose order was never stored (its host died between the two): nothing to keep.
            if (await this.GetReminder(reminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        try
        {
            if (Order.Status == OrderStatus.Placed && Now >= Order.AcceptBy)
            {
                logger.LogInformation("Order {OrderId}: not accepted by {AcceptBy}; cancelling", Id, Order.AcceptBy);
                await CancelAsync(OrderActor.System, null);
            }
            else if (Order.Status == OrderStatus.HandedOver && Now >= Order.DisputeUntil)
            {
                await CompleteAsync(OrderActor.System);
            }
            else if (Order.OwesQuantityBack)
            {
                await ReturnQuantityAsync();
            }
            else
            {
                await RecordCarbonAsync();
            }
        }
        catch (Exception e)
        {
            // The reminder ticks again after the sweep period and tries once more.
            logger.LogWarning(e, "Order {OrderId}: the deadline step failed; it is tried again", Id);
            return;
        }

        await ScheduleAsync();
    }

    /// <summary>What the gateway needs to take this order's payment.</summary>
    private PaymentRequest PaymentRequestOf(Order order, string? sellerAccount)
    {
        var totals = order.Totals!;
        return new PaymentRequest(Id, order.BuyerId, order.SellerId, new Money(totals.GrossMinor, totals.Currency),
            new Money(totals.PlatformFeeMinor, totals.Currency), sellerAccount);
    }

    /// <summary>The seller's connected account, when it takes card payments; otherwise the documented 422.</summary>
    private static string SellerAccount(Domain.Traders.Trader? seller) => seller?.StripeAccount switch
    {
        { ChargesEnabled: true } account => account.AccountId,
        null => throw PaymentMethodUnavailable("The seller has no Stripe account, so it takes no card payments: pay on invoice."),
        _ => throw PaymentMethodUnavailable("The seller's Stripe onboarding is not finished, so it takes no card payments yet: pay on invoice."),
    };

    private IHostedCardCheckout HostedCheckout()
        => services.GetService<IHostedCardCheckout>() ?? throw new DomainException("payment-method-unavailable",
            "Payment by card is not configured on this marketplace.", DomainErrorKind.Validation,
            new Dictionary<string, string[]> { ["paymentMethod"] = ["Payment by card is not configured here."] });

    private IPaymentGateway Gateway(PaymentMethod method)
        => gateways.FirstOrDefault(g => g.Method == method)
           ?? throw new DomainException("payment-method-unavailable",
               $"Payment by {method.ToString().ToLowerInvariant()} is not configured on this marketplace.", DomainErrorKind.Validation,
               new Dictionary<string, string[]> { ["paymentMethod"] = [$"Payment by {method.ToString().ToLowerInvariant()} is not configured here."] });

    /// <summary>The documented 422 for a card checkout the seller cannot take (nothing is stored; the hold stays as it was).</summary>
    private static DomainException PaymentMethodUnavailable(string detail)
        => new("payment-method-unavailable", detail, DomainErrorKind.Validation, new Dictionary<string, string[]> { ["paymentMethod"] = [detail] });

    /// <summary>The CO2e of the order with the configured calculator, or null when none is configured or the lot's mass is unknown.</summary>
    private CarbonFigure? Carbon()
    {
        var calculator = services.GetService<ICarbonCalculator>();
        if (calculator is null || Order.MassKg is not { } mass)
        {
            return null;
        }

        try
        {
            return calculator.Calculate(new CarbonInput(Order.Lot!.Category, Order.Lot.Condition, mass, Order.DistanceKm));
        }
        catch (DomainException e)
        {
            // A category without a factor must not keep a deal from closing: the order completes without a figure.
            logger.LogWarning("Order {OrderId}: no carbon figure for category {Category}: {Reason}", Id, Order.Lot!.Category, e.Message);
            return null;
        }
    }

    /// <summary>Records a completed order's figure in the region's and both firms' ledgers (each ignores a repeated order).</summary>
    private async Task RecordCarbonAsync()
    {
        if (Order.Status != OrderStatus.Completed || Order.Carbon is null || Order.CarbonRecorded)
        {
            return;
        }

        try
        {
            var entry = new CarbonEntry(Id, Order.SellerId, Order.BuyerId, Order.Lot!.Category, Order.Lot.Municipality, Order.ClosedAt!.Value, Order.Carbon);
            await Task.WhenAll(new[] { CarbonLedgers.Region, Order.SellerId, Order.BuyerId }
                .Select(key => GrainFactory.GetGrain<ICarbonLedgerGrain>(key).RecordAsync(entry)));
            Order.MarkCarbonRecorded(Now);
            await WriteAsync();
        }
        catch (Exception e)
        {
            // The order is stored; the reminder records the entry again until it is marked recorded.
            logger.LogWarning(e, "Order {OrderId}: recording its carbon figure in the ledgers failed; it is tried again", Id);
            await ScheduleAsync();
        }
    }

    private async Task<Order> ChangeAsync(Action<Order> change)
    {
        if (!Order.Exists)
        {
            throw DomainException.NotFound("order", Id);
        }

        var before = Order.Version;
        try
        {
            change(Order);
        }
        catch (DomainException) when (Order.Version == before)
        {
            throw;
        }
        catch
        {
            await state.ReadStateAsync();
            throw;
        }

        return await SaveAsync();
    }

    /// <summary>Writes the order, then tells the indexes and sets the reminder; a failure after the write is logged, not answered.</summary>
    private async Task<Order> SaveAsync()
    {
        await WriteAsync();
        await AfterWriteAsync();
        return Order;
    }

    /// <summary>
    /// Tells the firms' order lists and the invoice register of the order and sets its reminder (each repeatable); false
    /// when one of them failed (logged: the order's next change or retry tells them again).
    /// </summary>
    private async Task<bool> AfterWriteAsync()
    {
        try
        {
            var status = Domain.Orders.Order.StatusCode(Order.Status);
            await Task.WhenAll(
                GrainFactory.GetGrain<IOrderIndexGrain>(Order.BuyerId).RecordAsync(new OrderIndexEntry(Id, "buyer", status, Order.Version, Order.PlacedAt)),
                GrainFactory.GetGrain<IOrderIndexGrain>(Order.SellerId).RecordAsync(new OrderIndexEntry(Id, "seller", status, Order.Version, Order.PlacedAt)));
            if (Order.Invoice is { } invoice)
            {
                var open = Order.Status is OrderStatus.Accepted or OrderStatus.HandedOver or OrderStatus.Completed or OrderStatus.Disputed
                           && !Order.InvoiceSettled;
                await GrainFactory.GetGrain<IInvoiceRegisterGrain>("platform").RecordAsync(new InvoiceRegisterEntry(Id, Order.SellerId, invoice.DueDate, open, Order.Version));
            }

            await ScheduleAsync();
            return true;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Order {OrderId} version {Version}: telling its indexes or setting its reminder failed", Id, Order.Version);
            return false;
        }
    }

    private async Task ScheduleAsync()
    {
        var deadline = Order.NextDeadline();
        if (deadline is null)
        {
            var reminder = await this.GetReminder(DeadlineReminder);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        var due = deadline.Value - Now;
        await this.RegisterOrUpdateReminder(DeadlineReminder, due < TimeSpan.Zero ? TimeSpan.Zero : due, options.Value.SweepPeriod);
    }

    /// <summary>Six random digits the buyer shows the seller at pickup.</summary>
    private static string PickupCode() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
}
