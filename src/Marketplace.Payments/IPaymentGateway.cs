using Marketplace.Domain.Common;

namespace Marketplace.Payments;

/// <summary>What a gateway needs to authorise the payment of an order.</summary>
/// <param name="OrderId">The order; every external call's idempotency key derives from it and the step.</param>
/// <param name="BuyerId">The buying firm.</param>
/// <param name="SellerId">The selling firm.</param>
/// <param name="Amount">What the buyer pays in total (goods, delivery and VAT).</param>
/// <param name="PlatformFee">The platform's fee, charged to the seller out of <paramref name="Amount"/>.</param>
/// <param name="SellerAccountId">The seller's payment-provider account (a Stripe connected account), when the method needs one.</param>
public sealed record PaymentRequest(string OrderId, string BuyerId, string SellerId, Money Amount, Money PlatformFee, string? SellerAccountId);

/// <summary>A payment as a gateway knows it after a step.</summary>
/// <param name="ExternalId">The provider's id (a PaymentIntent id), or null for invoices.</param>
/// <param name="Status">The provider's status code after the step, e.g. <c>requires_payment_method</c>, <c>requires_capture</c>, <c>succeeded</c>, <c>canceled</c>, <c>invoiced</c>.</param>
/// <param name="ClientSecret">What a browser needs to complete a card payment (only after authorisation).</param>
public sealed record PaymentState(string? ExternalId, string Status, string? ClientSecret = null);

/// <summary>A refund as the provider recorded it.</summary>
/// <param name="ExternalId">The provider's refund id, or null for invoices.</param>
/// <param name="Amount">Refunded amount.</param>
/// <param name="Status">Provider status, e.g. <c>succeeded</c>, <c>pending</c>, <c>credited</c>.</param>
public sealed record RefundState(string? ExternalId, Money Amount, string Status);

/// <summary>
/// One way of taking payment for orders. Calls are safe to repeat: each carries an idempotency key derived from the
/// order id and the step, so a retried grain turn never charges twice.
/// </summary>
public interface IPaymentGateway
{
    /// <summary>The method this gateway serves.</summary>
    PaymentMethod Method { get; }

    /// <summary>At checkout: reserves the buyer's money without taking it (card: a PaymentIntent with manual capture).</summary>
    Task<PaymentState> AuthorizeAsync(PaymentRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the payment's current state from the provider (no change, no idempotency key): what a missed or delayed
    /// notification would have said.
    /// </summary>
    Task<PaymentState> GetAsync(string orderId, string? externalId, CancellationToken cancellationToken = default);

    /// <summary>When the seller accepts: takes the authorised money.</summary>
    Task<PaymentState> CaptureAsync(string orderId, string? externalId, CancellationToken cancellationToken = default);

    /// <summary>Before capture: drops the authorisation.</summary>
    Task<PaymentState> CancelAsync(string orderId, string? externalId, CancellationToken cancellationToken = default);

    /// <summary>
    /// After capture: returns part or all of the money to the buyer (card: reversing the transfer and the platform
    /// fee in proportion). <paramref name="step"/> names the refund within the order (e.g. <c>cancel</c>,
    /// <c>dispute-1</c>) so that two different refunds of one order get different idempotency keys.
    /// </summary>
    Task<RefundState> RefundAsync(string orderId, string? externalId, Money amount, string step, CancellationToken cancellationToken = default);
}

/// <summary>A payment provider's notification, verified and parsed (e.g. a Stripe webhook event).</summary>
/// <param name="EventId">The provider's event id; each is processed once.</param>
/// <param name="Type">The provider's event type, e.g. <c>payment_intent.succeeded</c>, <c>charge.refunded</c>.</param>
/// <param name="Created">When the provider created the event (orders ignore events older than their last payment change).</param>
/// <param name="OrderId">The order the payment belongs to (from the payment's metadata), or null.</param>
/// <param name="ExternalId">The payment's provider id (PaymentIntent id).</param>
/// <param name="Status">The payment's provider status in the event.</param>
/// <param name="Amount">The amount the event reports (captured or refunded), when it reports one.</param>
public sealed record PaymentEvent(string EventId, string Type, DateTimeOffset Created, string? OrderId, string? ExternalId, string? Status, Money? Amount);

/// <summary>Where verified payment events go (the orders apply them); implemented next to the orders.</summary>
public interface IPaymentEventSink
{
    /// <summary>Applies one verified event; false when it changed nothing (old, unknown order, already applied).</summary>
    Task<bool> ApplyAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken = default);
}

/// <summary>A hosted card checkout page (a Stripe Checkout Session) as the provider reports it.</summary>
/// <param name="Id">The provider's id (<c>cs_…</c>).</param>
/// <param name="Url">Where the buyer's browser goes to pay.</param>
/// <param name="ExpiresAt">When the page stops taking payment.</param>
/// <param name="Status"><c>open</c>, <c>complete</c> or <c>expired</c>.</param>
/// <param name="PaymentIntentId">The payment intent the page made, once the buyer paid (null before).</param>
public sealed record HostedCheckoutState(string Id, string Url, DateTimeOffset ExpiresAt, string Status, string? PaymentIntentId);

/// <summary>
/// Card payment on the provider's own page (Stripe Checkout), for browsers that must not load the provider's script:
/// the page makes the payment intent, with the same capture, fee, destination and metadata as
/// <see cref="IPaymentGateway.AuthorizeAsync"/>, so its events reach the order as any other card payment's.
/// </summary>
public interface IHostedCardCheckout
{
    /// <summary>
    /// Makes a page where the buyer pays <paramref name="request"/>; the provider sends the browser back to
    /// <paramref name="returnUrl"/> whether the buyer paid or gave up. <paramref name="attempt"/> numbers the order's pages
    /// (the idempotency key is <c>order:{orderId}:checkout-session:{attempt}</c>).
    /// </summary>
    Task<HostedCheckoutState> StartAsync(PaymentRequest request, string returnUrl, int attempt, CancellationToken cancellationToken = default);

    /// <summary>Reads a page's state (no change).</summary>
    Task<HostedCheckoutState> GetAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Closes an open page so that nobody can pay on it any more (the order was cancelled).</summary>
    Task<HostedCheckoutState> ExpireAsync(string orderId, string sessionId, CancellationToken cancellationToken = default);
}
