using Marketplace.Domain.Common;
using Marketplace.Payments.Stripe;
using Marketplace.Testing.Payments;
using Microsoft.Extensions.Time.Testing;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>Webhook verification (signature, secret, age) and the events read from verified bodies.</summary>
public class StripeWebhooksTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly StripeWebhooks _webhooks;

    public StripeWebhooksTests() => _webhooks = new StripeWebhooks(StripeEvents.Secret, 300, _time);

    private static string Succeeded => StripeEvents.Event("evt_3QxKallio0001", "payment_intent.succeeded", Now.AddSeconds(-5).ToUnixTimeSeconds(),
        StripeAnswers.PaymentIntent("succeeded", amountReceived: 18_449, latestCharge: "ch_3QxKallioBricks"));

    [Fact]
    public void Sign_LocalHeader_IsWhatStripesLibraryGenerates()
    {
        var header = StripeEvents.Sign(Succeeded, Now);

        Assert.Equal(global::Stripe.EventUtility.GenerateSignatureHeader(Succeeded, StripeEvents.Secret, Now.ToUnixTimeSeconds()), header);
    }

    [Fact]
    public void Verify_SignedPaymentIntentSucceeded_GivesThePaymentEvent()
    {
        var verified = _webhooks.Verify(Succeeded, StripeEvents.Sign(Succeeded, Now));

        Assert.Null(verified.Account);
        Assert.Equal(new PaymentEvent("evt_3QxKallio0001", "payment_intent.succeeded", Now.AddSeconds(-5), "ord-7f3a", StripeAnswers.IntentId,
            "succeeded", Money.Eur(18_449)), verified.Payment);
    }

    [Theory]
    [InlineData("payment_intent.amount_capturable_updated", "requires_capture", 18_449)]
    [InlineData("payment_intent.canceled", "canceled", 18_449)]
    [InlineData("payment_intent.payment_failed", "requires_payment_method", 18_449)]
    public void Verify_OtherPaymentIntentEvents_CarryStatusAndAmount(string type, string status, long amount)
    {
        var body = StripeEvents.Event("evt_3QxKallio0002", type, Now.ToUnixTimeSeconds(),
            StripeAnswers.PaymentIntent(status, amountCapturable: status == "requires_capture" ? 18_449 : 0));

        var payment = _webhooks.Verify(body, StripeEvents.Sign(body, Now)).Payment;

        Assert.NotNull(payment);
        Assert.Equal(type, payment.Type);
        Assert.Equal(status, payment.Status);
        Assert.Equal("ord-7f3a", payment.OrderId);
        Assert.Equal(StripeAnswers.IntentId, payment.ExternalId);
        Assert.Equal(Money.Eur(amount), payment.Amount);
    }

    [Theory]
    [InlineData(5_000, false, "partially_refunded")]
    [InlineData(18_449, true, "refunded")]
    public void Verify_ChargeRefunded_GivesTheIntentAndTheRefundedTotal(long refunded, bool whole, string status)
    {
        var body = StripeEvents.Event("evt_3QxKallio0003", "charge.refunded", Now.ToUnixTimeSeconds(), StripeAnswers.Charge(refunded, whole));

        var payment = _webhooks.Verify(body, StripeEvents.Sign(body, Now)).Payment;

        Assert.Equal(new PaymentEvent("evt_3QxKallio0003", "charge.refunded", Now, "ord-7f3a", StripeAnswers.IntentId, status, Money.Eur(refunded)), payment);
    }

    [Fact]
    public void Verify_AccountUpdated_GivesTheAccountAndItsTrader()
    {
        var body = StripeEvents.Event("evt_1QxKallioAcct", "account.updated", Now.ToUnixTimeSeconds(),
            StripeAnswers.Account("trader-seller", chargesEnabled: true), previousAttributes: """{ "charges_enabled": false }""");

        var verified = _webhooks.Verify(body, StripeEvents.Sign(body, Now));

        Assert.Null(verified.Payment);
        Assert.Equal(new StripeAccountEvent("evt_1QxKallioAcct", Now, new StripeAccountStatus(StripeAnswers.SellerAccount, true, false, false, "trader-seller")),
            verified.Account);
    }

    [Fact]
    public void Verify_UnhandledType_IsVerifiedButCarriesNothing()
    {
        var body = StripeEvents.Event("evt_1QxOther", "customer.created", Now.ToUnixTimeSeconds(), """{ "id": "cus_1", "object": "customer", "metadata": {} }""");

        var verified = _webhooks.Verify(body, StripeEvents.Sign(body, Now));

        Assert.Equal(("evt_1QxOther", "customer.created"), (verified.EventId, verified.Type));
        Assert.Null(verified.Payment);
        Assert.Null(verified.Account);
    }

    [Fact]
    public void Verify_TamperedBody_IsRejected()
    {
        var header = StripeEvents.Sign(Succeeded, Now);
        var tampered = Succeeded.Replace("\"amount_received\": 18449", "\"amount_received\": 1", StringComparison.Ordinal);
        Assert.NotEqual(Succeeded, tampered);

        Assert.Throws<StripeWebhookRejectedException>(() => _webhooks.Verify(tampered, header));
    }

    [Fact]
    public void Verify_WrongSecret_IsRejected()
        => Assert.Throws<StripeWebhookRejectedException>(() => _webhooks.Verify(Succeeded, StripeEvents.Sign(Succeeded, Now, "whsec_someoneElse")));

    [Fact]
    public void Verify_SignatureOlderThanTolerance_IsRejected_WithinIsAccepted()
    {
        Assert.Throws<StripeWebhookRejectedException>(() => _webhooks.Verify(Succeeded, StripeEvents.Sign(Succeeded, Now.AddSeconds(-301))));
        Assert.NotNull(_webhooks.Verify(Succeeded, StripeEvents.Sign(Succeeded, Now.AddSeconds(-299))).Payment);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("t=1764417600")]
    [InlineData("v1=00")]
    [InlineData("garbage")]
    public void Verify_MissingOrMalformedHeader_IsRejected(string? header)
        => Assert.Throws<StripeWebhookRejectedException>(() => _webhooks.Verify(Succeeded, header));

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{ "id": "cus_1", "object": "customer" }""")]
    public void Verify_SignedBodyThatIsNotAnEvent_IsRejected(string body)
        => Assert.Throws<StripeWebhookRejectedException>(() => _webhooks.Verify(body, StripeEvents.Sign(body, Now)));
}
