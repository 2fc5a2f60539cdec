using Marketplace.Payments.Stripe;
using Marketplace.Testing.Payments;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>Seller onboarding through the real Stripe.net client against <see cref="StripeStub"/>.</summary>
public sealed class StripeConnectTests : IDisposable
{
    private readonly StripeStub _stripe = new();
    private readonly StripeConnect _connect;

    public StripeConnectTests() => _connect = new StripeConnect(StripeCalls.CreateClient(StubOptions.For(_stripe)), StubOptions.For(_stripe));

    public void Dispose() => _stripe.Dispose();

    [Fact]
    public async Task CreateExpressAccountAsync_Trader_CreatesExpressAccountTaggedWithTheTrader()
    {
        _stripe.Answer("POST", "/v1/accounts", 200, StripeAnswers.Account("trader-seller"));

        var account = await _connect.CreateExpressAccountAsync("trader-seller", "myynti@purkupiste.example");

        Assert.Equal(new StripeAccountStatus(StripeAnswers.SellerAccount, false, false, false, "trader-seller"), account);
        var sent = _stripe.Single("POST", "/v1/accounts");
        Assert.Equal("express", sent.Form["type"]);
        Assert.Equal("FI", sent.Form["country"]);
        Assert.Equal("company", sent.Form["business_type"]);
        Assert.Equal("myynti@purkupiste.example", sent.Form["email"]);
        Assert.Equal("trader-seller", sent.Form["metadata[trader_id]"]);
        Assert.Equal("true", sent.Form["capabilities[card_payments][requested]"]);
        Assert.Equal("true", sent.Form["capabilities[transfers][requested]"]);
        Assert.Equal("trader:trader-seller:connect-account", sent.IdempotencyKey);
        Assert.Equal(global::Stripe.StripeConfiguration.ApiVersion, sent.StripeVersion);
    }

    [Fact]
    public async Task CreateOnboardingLinkAsync_Account_AsksForOnboardingWithConfiguredUrls()
    {
        _stripe.Answer("POST", "/v1/account_links", 200, StripeAnswers.AccountLink());

        var url = await _connect.CreateOnboardingLinkAsync(StripeAnswers.SellerAccount);

        Assert.Equal(StripeAnswers.AccountLinkUrl, url);
        var sent = _stripe.Single("POST", "/v1/account_links");
        Assert.Equal(StripeAnswers.SellerAccount, sent.Form["account"]);
        Assert.Equal("account_onboarding", sent.Form["type"]);
        Assert.Equal(StripeStub.OnboardingReturnUrl, sent.Form["return_url"]);
        Assert.Equal(StripeStub.OnboardingRefreshUrl, sent.Form["refresh_url"]);
    }
}
