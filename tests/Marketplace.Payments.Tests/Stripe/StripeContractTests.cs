using Marketplace.Domain.Common;
using Marketplace.Payments.Stripe;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>
/// The card gateway and onboarding against Stripe's real test mode, run only when <c>STRIPE_TEST_SECRET_KEY</c>
/// (a <c>sk_test_…</c> key of a platform with Connect enabled) is set; the payment flows also need
/// <c>STRIPE_TEST_CONNECTED_ACCOUNT</c>, an onboarded test-mode Express account (<c>acct_…</c>) that can receive transfers.
/// Nothing here runs in CI or on a machine without Stripe: the documented-response tests cover those.
/// </summary>
public sealed class StripeContractTests
{
    private static readonly string? SecretKey = Environment.GetEnvironmentVariable("STRIPE_TEST_SECRET_KEY");
    private static readonly string? ConnectedAccount = Environment.GetEnvironmentVariable("STRIPE_TEST_CONNECTED_ACCOUNT");

    private static string? SkipReason => string.IsNullOrWhiteSpace(SecretKey)
        ? "STRIPE_TEST_SECRET_KEY is not set: the Stripe contract suite runs only against Stripe's test mode (e.g. STRIPE_TEST_SECRET_KEY=sk_test_…)"
        : !SecretKey.StartsWith("sk_test_", StringComparison.Ordinal)
            ? "STRIPE_TEST_SECRET_KEY is not a test-mode key (sk_test_…): the contract suite never runs against live mode"
            : null;

    private static StripeOptions Options => new()
    {
        SecretKey = SecretKey,
        WebhookSecret = "whsec_unused",
        OnboardingReturnUrl = "https://marketplace.example/sell/stripe/done",
        OnboardingRefreshUrl = "https://marketplace.example/sell/stripe/again",
    };

    [SkippableFact]
    public async Task Connect_NewTrader_GetsExpressAccountAndOnboardingLink()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var client = StripeCalls.CreateClient(Options);
        var connect = new StripeConnect(client, Options);
        var traderId = "contract-" + Guid.NewGuid().ToString("N");

        var account = await connect.CreateExpressAccountAsync(traderId, "contract-test@marketplace.example");
        try
        {
            Assert.StartsWith("acct_", account.AccountId);
            Assert.Equal(traderId, account.TraderId);
            Assert.False(account.ChargesEnabled);
            Assert.Equal(account.AccountId, (await connect.CreateExpressAccountAsync(traderId, "contract-test@marketplace.example")).AccountId);

            var url = await connect.CreateOnboardingLinkAsync(account.AccountId);
            Assert.StartsWith("https://connect.stripe.com/", url);
        }
        finally
        {
            await client.V1.Accounts.DeleteAsync(account.AccountId);
        }
    }

    [SkippableFact]
    public async Task Card_AuthorizeConfirmCaptureRefund_MovesTheIntentThroughItsStates()
    {
        RequireConnectedAccount();
        var client = StripeCalls.CreateClient(Options);
        var gateway = new StripePaymentGateway(client);
        var request = Request();

        var authorized = await gateway.AuthorizeAsync(request);
        Assert.Equal("requires_payment_method", authorized.Status);
        Assert.NotNull(authorized.ClientSecret);
        Assert.Equal(authorized.ExternalId, (await gateway.AuthorizeAsync(request)).ExternalId);

        // The buyer's browser confirms with a card; Stripe's test card stands in for it.
        var confirmed = await client.V1.PaymentIntents.ConfirmAsync(authorized.ExternalId!, new global::Stripe.PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });
        Assert.Equal("requires_capture", confirmed.Status);
        Assert.Equal(request.PlatformFee.MinorUnits, confirmed.ApplicationFeeAmount);
        Assert.Equal(ConnectedAccount, confirmed.TransferData.DestinationId);

        var captured = await gateway.CaptureAsync(request.OrderId, authorized.ExternalId);
        Assert.Equal("succeeded", captured.Status);

        var refund = await gateway.RefundAsync(request.OrderId, authorized.ExternalId, Money.Eur(500), "contract-1");
        Assert.Equal(Money.Eur(500), refund.Amount);
        Assert.Contains(refund.Status, new[] { "succeeded", "pending" });
    }

    [SkippableFact]
    public async Task Card_AuthorizeThenCancel_CancelsTheIntent()
    {
        RequireConnectedAccount();
        var gateway = new StripePaymentGateway(StripeCalls.CreateClient(Options));
        var request = Request();

        var authorized = await gateway.AuthorizeAsync(request);
        var cancelled = await gateway.CancelAsync(request.OrderId, authorized.ExternalId);

        Assert.Equal("canceled", cancelled.Status);
    }

    private static void RequireConnectedAccount()
    {
        Skip.If(SkipReason is not null, SkipReason);
        Skip.If(string.IsNullOrWhiteSpace(ConnectedAccount),
            "STRIPE_TEST_CONNECTED_ACCOUNT is not set: payment flows need an onboarded test-mode connected account (acct_…) to transfer to");
    }

    private static PaymentRequest Request()
        => new("contract-" + Guid.NewGuid().ToString("N"), "trader-buyer", "trader-seller", Money.Eur(18_449), Money.Eur(1_476), ConnectedAccount);
}
