using Marketplace.Domain.Common;
using Marketplace.Payments.Stripe;
using Marketplace.Testing.Payments;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>
/// The card gateway through the real Stripe.net client over real HTTP against <see cref="StripeStub"/>: what it sends
/// (form fields, idempotency key, API version) and what it makes of Stripe's documented answers.
/// </summary>
public sealed class StripePaymentGatewayTests : IDisposable
{
    private const string IntentPath = "/v1/payment_intents";
    private const string Intent = StripeAnswers.IntentId;

    private static readonly PaymentRequest Order = new("ord-7f3a", "trader-buyer", "trader-seller", Money.Eur(18_449), Money.Eur(1_476), StripeAnswers.SellerAccount);

    private readonly StripeStub _stripe = new();
    private readonly StripePaymentGateway _gateway;

    public StripePaymentGatewayTests() => _gateway = new StripePaymentGateway(StripeCalls.CreateClient(StubOptions.For(_stripe)));

    public void Dispose() => _stripe.Dispose();

    [Fact]
    public void Method_Always_IsCard() => Assert.Equal(PaymentMethod.Card, _gateway.Method);

    [Fact]
    public async Task AuthorizeAsync_Order_CreatesManualCaptureIntentWithFeeDestinationAndOrderMetadata()
    {
        _stripe.Answer("POST", IntentPath, 200, StripeAnswers.PaymentIntent("requires_payment_method"));

        var state = await _gateway.AuthorizeAsync(Order);

        Assert.Equal(Intent, state.ExternalId);
        Assert.Equal("requires_payment_method", state.Status);
        Assert.Equal($"{Intent}_secret_YrKJUKribcBjcG8HVhfZluoGH", state.ClientSecret);
        var sent = _stripe.Single("POST", IntentPath);
        Assert.Equal("18449", sent.Form["amount"]);
        Assert.Equal("eur", sent.Form["currency"]);
        Assert.Equal("manual", sent.Form["capture_method"]);
        Assert.Equal("1476", sent.Form["application_fee_amount"]);
        Assert.Equal(StripeAnswers.SellerAccount, sent.Form["transfer_data[destination]"]);
        Assert.Equal("ord-7f3a", sent.Form["metadata[order_id]"]);
        Assert.Equal("trader-buyer", sent.Form["metadata[buyer_id]"]);
        Assert.Equal("trader-seller", sent.Form["metadata[seller_id]"]);
        Assert.Equal("order:ord-7f3a:authorize", sent.IdempotencyKey);
        Assert.Equal(global::Stripe.StripeConfiguration.ApiVersion, sent.StripeVersion);
        Assert.StartsWith("20", sent.StripeVersion);
        Assert.Equal($"Bearer {StripeStub.SecretKey}", sent.Authorization);
    }

    [Fact]
    public async Task AuthorizeAsync_Repeated_SendsTheSameIdempotencyKey()
    {
        _stripe.Answer("POST", IntentPath, 200, StripeAnswers.PaymentIntent("requires_payment_method"));

        await _gateway.AuthorizeAsync(Order);
        await _gateway.AuthorizeAsync(Order);

        Assert.Equal(["order:ord-7f3a:authorize", "order:ord-7f3a:authorize"], _stripe.Requests.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task AuthorizeAsync_NoSellerAccount_RefusesWithoutCallingStripe()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.AuthorizeAsync(Order with { SellerAccountId = null }));
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.AuthorizeAsync(Order with { PlatformFee = Money.Eur(20_000) }));
        Assert.Empty(_stripe.Requests);
    }

    [Fact]
    public async Task CaptureAsync_AuthorisedIntent_CapturesWithCaptureKey()
    {
        _stripe.Answer("POST", $"{IntentPath}/{Intent}/capture", 200, StripeAnswers.PaymentIntent("succeeded", amountReceived: 18_449, latestCharge: "ch_3QxKallioBricks"));

        var state = await _gateway.CaptureAsync("ord-7f3a", Intent);

        Assert.Equal(new PaymentState(Intent, "succeeded"), state);
        Assert.Equal("order:ord-7f3a:capture", _stripe.Single("POST", $"{IntentPath}/{Intent}/capture").IdempotencyKey);
    }

    [Fact]
    public async Task CaptureAsync_IntentNotAuthorised_ThrowsGatewayExceptionWithStripesCode()
    {
        _stripe.Answer("POST", $"{IntentPath}/{Intent}/capture", 400, StripeAnswers.CaptureInWrongState());

        var e = await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.CaptureAsync("ord-7f3a", Intent));

        Assert.Equal("payment_intent_unexpected_state", e.Code);
        Assert.False(e.Declined);
        Assert.Contains("requires_capture", e.Message);
    }

    [Fact]
    public async Task CancelAsync_BeforeCapture_CancelsWithCancelKey()
    {
        _stripe.Answer("POST", $"{IntentPath}/{Intent}/cancel", 200, StripeAnswers.PaymentIntent("canceled", canceledAt: 1764489600));

        var state = await _gateway.CancelAsync("ord-7f3a", Intent);

        Assert.Equal(new PaymentState(Intent, "canceled"), state);
        Assert.Equal("order:ord-7f3a:cancel", _stripe.Single("POST", $"{IntentPath}/{Intent}/cancel").IdempotencyKey);
    }

    [Fact]
    public async Task RefundAsync_AfterCapture_ReversesTransferAndFeeWithAKeyPerStep()
    {
        _stripe.Answer("POST", "/v1/refunds", 200, StripeAnswers.Refund(5_000));

        var refund = await _gateway.RefundAsync("ord-7f3a", Intent, Money.Eur(5_000), "dispute-1");

        Assert.Equal(new RefundState("re_3QxKallioRefund01", Money.Eur(5_000), "succeeded"), refund);
        var sent = _stripe.Single("POST", "/v1/refunds");
        Assert.Equal(Intent, sent.Form["payment_intent"]);
        Assert.Equal("5000", sent.Form["amount"]);
        Assert.Equal("true", sent.Form["reverse_transfer"]);
        Assert.Equal("true", sent.Form["refund_application_fee"]);
        Assert.Equal("ord-7f3a", sent.Form["metadata[order_id]"]);
        Assert.Equal("order:ord-7f3a:refund:dispute-1", sent.IdempotencyKey);
    }

    [Fact]
    public async Task RefundAsync_TwoSteps_GetDifferentKeys()
    {
        _stripe.Answer("POST", "/v1/refunds", 200, StripeAnswers.Refund(5_000));

        await _gateway.RefundAsync("ord-7f3a", Intent, Money.Eur(5_000), "dispute-1");
        await _gateway.RefundAsync("ord-7f3a", Intent, Money.Eur(5_000), "cancel");

        Assert.Equal(["order:ord-7f3a:refund:dispute-1", "order:ord-7f3a:refund:cancel"], _stripe.Requests.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task Steps_WithoutIntent_RefuseWithoutCallingStripe()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.CaptureAsync("ord-7f3a", null));
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.CancelAsync("ord-7f3a", " "));
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.RefundAsync("ord-7f3a", null, Money.Eur(1), "cancel"));
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.RefundAsync("ord-7f3a", Intent, Money.Eur(0), "cancel"));
        Assert.Empty(_stripe.Requests);
    }

    [Fact]
    public async Task Flow_AgainstStripesStates_CapturesOnlyAuthorisedMoneyAndRefundsAtMostWhatWasCaptured()
    {
        var order = Order with { OrderId = "ord-flow-1" };
        var intent = (await _gateway.AuthorizeAsync(order)).ExternalId!;
        Assert.Equal(StripeStub.IntentIdFor("ord-flow-1"), intent);

        _stripe.ConfirmByBuyer(intent);
        Assert.Equal("succeeded", (await _gateway.CaptureAsync(order.OrderId, intent)).Status);
        await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.CancelAsync(order.OrderId, intent));

        Assert.Equal(Money.Eur(10_000), (await _gateway.RefundAsync(order.OrderId, intent, Money.Eur(10_000), "dispute-1")).Amount);
        var tooMuch = await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.RefundAsync(order.OrderId, intent, Money.Eur(8_450), "dispute-2"));
        Assert.Equal("amount_too_large", tooMuch.Code);
        Assert.Equal(Money.Eur(8_449), (await _gateway.RefundAsync(order.OrderId, intent, Money.Eur(8_449), "dispute-3")).Amount);
        Assert.Equal(18_449, _stripe.Intents[intent].AmountRefunded);
    }

    [Fact]
    public async Task CaptureAsync_BeforeTheBuyerConfirmed_IsRefused_AndTheRefusalIsReplayedUnderTheSameKey()
    {
        // Stripe stores the answer to an idempotency key once the call ran, errors included: a capture tried before the
        // buyer's card authorised the intent keeps failing under that key, so orders capture only after authorisation.
        var order = Order with { OrderId = "ord-flow-early" };
        var intent = (await _gateway.AuthorizeAsync(order)).ExternalId!;

        var early = await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.CaptureAsync(order.OrderId, intent));
        _stripe.ConfirmByBuyer(intent);
        var again = await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.CaptureAsync(order.OrderId, intent));

        Assert.Equal("payment_intent_unexpected_state", early.Code);
        Assert.Equal("payment_intent_unexpected_state", again.Code);
        Assert.Equal("requires_capture", _stripe.Intents[intent].Status);
    }
}
