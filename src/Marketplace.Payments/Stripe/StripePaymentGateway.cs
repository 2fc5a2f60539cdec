using global::Stripe;
using global::Stripe.Checkout;
using Marketplace.Domain.Common;

namespace Marketplace.Payments.Stripe;

/// <summary>
/// Card payments through Stripe Connect with destination charges: at checkout a PaymentIntent with manual capture,
/// the platform fee as <c>application_fee_amount</c> and the seller's connected account as
/// <c>transfer_data[destination]</c>; captured when the seller accepts, cancelled before, refunded after (reversing the
/// transfer and the fee in proportion). Each call's idempotency key is <c>order:{orderId}:{step}</c>. The same payment
/// can instead be made on Stripe's hosted Checkout page (<see cref="IHostedCardCheckout"/>): a Checkout Session in
/// payment mode whose <c>payment_intent_data</c> carries the same capture method, fee, destination and metadata.
/// </summary>
public sealed class StripePaymentGateway : IPaymentGateway, IHostedCardCheckout
{
    private readonly StripeClient _client;

    /// <summary>A gateway over <paramref name="client"/> (its API key and address).</summary>
    public StripePaymentGateway(StripeClient client) => _client = client;

    /// <inheritdoc />
    public PaymentMethod Method => PaymentMethod.Card;

    /// <inheritdoc />
    public async Task<PaymentState> AuthorizeAsync(PaymentRequest request, CancellationToken cancellationToken = default)
    {
        Validate(request);
        var options = new PaymentIntentCreateOptions
        {
            Amount = request.Amount.MinorUnits,
            Currency = request.Amount.Currency.ToLowerInvariant(),
            CaptureMethod = "manual",
            ApplicationFeeAmount = request.PlatformFee.MinorUnits,
            TransferData = new PaymentIntentTransferDataOptions { Destination = request.SellerAccountId },
            Metadata = Metadata(request),
        };
        var intent = await StripeCalls.CallAsync("authorise the payment",
            () => _client.V1.PaymentIntents.CreateAsync(options, StripeCalls.Once("order", request.OrderId, "authorize"), cancellationToken));
        return new PaymentState(intent.Id, intent.Status, intent.ClientSecret);
    }

    /// <inheritdoc />
    public async Task<PaymentState> GetAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
    {
        var id = RequireIntent(externalId);
        var intent = await StripeCalls.CallAsync("read the payment",
            () => _client.V1.PaymentIntents.GetAsync(id, cancellationToken: cancellationToken));
        return new PaymentState(intent.Id, intent.Status);
    }

    /// <inheritdoc />
    public async Task<PaymentState> CaptureAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
    {
        var id = RequireIntent(externalId);
        var intent = await StripeCalls.CallAsync("capture the payment",
            () => _client.V1.PaymentIntents.CaptureAsync(id, new PaymentIntentCaptureOptions(), StripeCalls.Once("order", orderId, "capture"), cancellationToken));
        return new PaymentState(intent.Id, intent.Status);
    }

    /// <inheritdoc />
    public async Task<PaymentState> CancelAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
    {
        var id = RequireIntent(externalId);
        var intent = await StripeCalls.CallAsync("cancel the payment",
            () => _client.V1.PaymentIntents.CancelAsync(id, new PaymentIntentCancelOptions(), StripeCalls.Once("order", orderId, "cancel"), cancellationToken));
        return new PaymentState(intent.Id, intent.Status);
    }

    /// <inheritdoc />
    public async Task<RefundState> RefundAsync(string orderId, string? externalId, Money amount, string step, CancellationToken cancellationToken = default)
    {
        var id = RequireIntent(externalId);
        if (amount.MinorUnits <= 0)
        {
            throw new ArgumentException("A refund must be positive.", nameof(amount));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        var options = new RefundCreateOptions
        {
            PaymentIntent = id,
            Amount = amount.MinorUnits,
            ReverseTransfer = true,
            RefundApplicationFee = true,
            Metadata = new Dictionary<string, string> { [StripeMetadata.OrderId] = orderId },
        };
        var refund = await StripeCalls.CallAsync("refund the payment",
            () => _client.V1.Refunds.CreateAsync(options, StripeCalls.Once("order", orderId, $"refund:{step}"), cancellationToken));
        return new RefundState(refund.Id, new Money(refund.Amount, refund.Currency.ToUpperInvariant()), refund.Status);
    }

    /// <inheritdoc />
    public async Task<HostedCheckoutState> StartAsync(PaymentRequest request, string returnUrl, int attempt, CancellationToken cancellationToken = default)
    {
        Validate(request);
        if (!Uri.TryCreate(returnUrl, UriKind.Absolute, out var back) || (back.Scheme != Uri.UriSchemeHttps && back.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("The return URL must be an absolute http(s) URL.", nameof(returnUrl));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var currency = request.Amount.Currency.ToLowerInvariant();
        var options = new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = request.OrderId,
            SuccessUrl = returnUrl,
            CancelUrl = returnUrl,
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = currency,
                        UnitAmount = request.Amount.MinorUnits,
                        ProductData = new SessionLineItemPriceDataProductDataOptions { Name = $"Order {request.OrderId}" },
                    },
                },
            ],
            PaymentIntentData = new SessionPaymentIntentDataOptions
            {
                CaptureMethod = "manual",
                ApplicationFeeAmount = request.PlatformFee.MinorUnits,
                TransferData = new SessionPaymentIntentDataTransferDataOptions { Destination = request.SellerAccountId },
                Metadata = Metadata(request),
            },
            Metadata = new Dictionary<string, string> { [StripeMetadata.OrderId] = request.OrderId },
        };
        var session = await StripeCalls.CallAsync("open the card checkout page",
            () => _client.V1.Checkout.Sessions.CreateAsync(options, StripeCalls.Once("order", request.OrderId, $"checkout-session:{attempt}"), cancellationToken));
        return State(session);
    }

    /// <inheritdoc />
    public async Task<HostedCheckoutState> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        var session = await StripeCalls.CallAsync("read the card checkout page", () => _client.V1.Checkout.Sessions.GetAsync(sessionId, cancellationToken: cancellationToken));
        return State(session);
    }

    /// <inheritdoc />
    public async Task<HostedCheckoutState> ExpireAsync(string orderId, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        var session = await StripeCalls.CallAsync("close the card checkout page",
            () => _client.V1.Checkout.Sessions.ExpireAsync(sessionId, new SessionExpireOptions(), StripeCalls.Once("order", orderId, $"expire:{sessionId}"), cancellationToken));
        return State(session);
    }

    private static HostedCheckoutState State(Session session)
        => new(session.Id, session.Url ?? "", session.ExpiresAt, session.Status, session.PaymentIntentId);

    private static void Validate(PaymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.SellerAccountId))
        {
            throw new ArgumentException("A card payment needs the seller's Stripe connected account.", nameof(request));
        }

        if (request.Amount.MinorUnits <= 0 || request.PlatformFee.MinorUnits < 0 || request.PlatformFee.MinorUnits > request.Amount.MinorUnits
            || request.PlatformFee.Currency != request.Amount.Currency)
        {
            throw new ArgumentException("The amount must be positive and the fee between zero and the amount, in the same currency.", nameof(request));
        }
    }

    /// <summary>The order, buyer and seller on the payment intent, so that its events lead back to the order.</summary>
    private static Dictionary<string, string> Metadata(PaymentRequest request) => new()
    {
        [StripeMetadata.OrderId] = request.OrderId,
        [StripeMetadata.BuyerId] = request.BuyerId,
        [StripeMetadata.SellerId] = request.SellerId,
    };

    private static string RequireIntent(string? externalId)
        => string.IsNullOrWhiteSpace(externalId)
            ? throw new ArgumentException("A card payment step needs the PaymentIntent id from authorisation.", nameof(externalId))
            : externalId;
}
