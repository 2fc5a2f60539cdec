using Marketplace.Domain.Common;
using Marketplace.Payments.Stripe;
using Marketplace.Testing.Payments;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>
/// Card payment on Stripe's hosted Checkout page through the real Stripe.net client against <see cref="StripeStub"/>:
/// the Checkout Session's form fields (amount, fee, destination, manual capture, the order's metadata on the payment
/// intent), its idempotency key per order and attempt, and reading and expiring it.
/// </summary>
public sealed class StripeHostedCheckoutTests : IDisposable
{
    private const string SessionsPath = "/v1/checkout/sessions";
    private const string ReturnUrl = "https://marketplace.example/orders/ord-7f3a";

    private static readonly PaymentRequest Order = new("ord-7f3a", "trader-buyer", "trader-seller", Money.Eur(18_449), Money.Eur(1_476), StripeAnswers.SellerAccount);

    private readonly StripeStub _stripe = new();
    private readonly StripePaymentGateway _gateway;

    public StripeHostedCheckoutTests() => _gateway = new StripePaymentGateway(StripeCalls.CreateClient(StubOptions.For(_stripe)));

    public void Dispose() => _stripe.Dispose();

    [Fact]
    public async Task StartAsync_Order_CreatesPaymentSessionWhoseIntentCarriesManualCaptureFeeDestinationAndOrderMetadata()
    {
        var page = await _gateway.StartAsync(Order, ReturnUrl, attempt: 1);

        var sent = _stripe.Single("POST", SessionsPath);
        Assert.Equal("payment", sent.Form["mode"]);
        Assert.Equal("1", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("18449", sent.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("eur", sent.Form["line_items[0][price_data][currency]"]);
        Assert.False(string.IsNullOrWhiteSpace(sent.Form["line_items[0][price_data][product_data][name]"]));
        Assert.Equal("manual", sent.Form["payment_intent_data[capture_method]"]);
        Assert.Equal("1476", sent.Form["payment_intent_data[application_fee_amount]"]);
        Assert.Equal(StripeAnswers.SellerAccount, sent.Form["payment_intent_data[transfer_data][destination]"]);
        Assert.Equal("ord-7f3a", sent.Form["payment_intent_data[metadata][order_id]"]);
        Assert.Equal("trader-buyer", sent.Form["payment_intent_data[metadata][buyer_id]"]);
        Assert.Equal("trader-seller", sent.Form["payment_intent_data[metadata][seller_id]"]);
        Assert.Equal(ReturnUrl, sent.Form["success_url"]);
        Assert.Equal(ReturnUrl, sent.Form["cancel_url"]);
        Assert.Equal("ord-7f3a", sent.Form["client_reference_id"]);
        Assert.Equal("order:ord-7f3a:checkout-session:1", sent.IdempotencyKey);
        Assert.Equal($"Bearer {StripeStub.SecretKey}", sent.Authorization);

        var kept = _stripe.Sessions[page.Id];
        Assert.Equal(kept.Url, page.Url);
        Assert.StartsWith("https://checkout.stripe.com/", page.Url);
        Assert.Equal("open", page.Status);
        Assert.Null(page.PaymentIntentId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(kept.ExpiresAt), page.ExpiresAt);
    }

    [Fact]
    public async Task StartAsync_RepeatedAttempt_SendsTheSameKeyAndGetsTheSamePage_ANewAttemptANewOne()
    {
        var first = await _gateway.StartAsync(Order, ReturnUrl, attempt: 1);
        var again = await _gateway.StartAsync(Order, ReturnUrl, attempt: 1);
        var renewed = await _gateway.StartAsync(Order, ReturnUrl, attempt: 2);

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, renewed.Id);
        Assert.Equal(["order:ord-7f3a:checkout-session:1", "order:ord-7f3a:checkout-session:1", "order:ord-7f3a:checkout-session:2"],
            _stripe.Requests.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task GetAsync_AfterTheBuyerPaid_ReportsTheIntentThePageMade()
    {
        var page = await _gateway.StartAsync(Order, ReturnUrl, attempt: 1);
        var intent = _stripe.PayOnCheckoutPage(page.Id);

        var read = await _gateway.GetAsync(page.Id);

        Assert.Equal("complete", read.Status);
        Assert.Equal(intent.Id, read.PaymentIntentId);
        Assert.Equal("requires_capture", intent.Status);
        Assert.Equal("ord-7f3a", intent.OrderId);
        Assert.Equal(1_476, intent.ApplicationFee);
        Assert.Equal(StripeAnswers.SellerAccount, intent.Destination);
    }

    [Fact]
    public async Task ExpireAsync_OpenPage_ClosesIt_ACompletedOneIsRefused()
    {
        var open = await _gateway.StartAsync(Order, ReturnUrl, attempt: 1);
        var paid = await _gateway.StartAsync(Order, ReturnUrl, attempt: 2);
        _stripe.PayOnCheckoutPage(paid.Id);

        var expired = await _gateway.ExpireAsync("ord-7f3a", open.Id);
        var refused = await Assert.ThrowsAsync<PaymentGatewayException>(() => _gateway.ExpireAsync("ord-7f3a", paid.Id));

        Assert.Equal("expired", expired.Status);
        Assert.Equal($"order:ord-7f3a:expire:{open.Id}", _stripe.Single("POST", $"{SessionsPath}/{open.Id}/expire").IdempotencyKey);
        Assert.Equal("checkout_session_unexpected_state", refused.Code);
    }

    [Theory]
    [InlineData("/orders/ord-7f3a")]
    [InlineData("ftp://marketplace.example/orders/ord-7f3a")]
    public async Task StartAsync_ReturnUrlNotAbsoluteHttp_IsRefusedBeforeAnyCall(string returnUrl)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _gateway.StartAsync(Order, returnUrl, attempt: 1));
        Assert.Empty(_stripe.Requests);
    }
}
