using Marketplace.Payments.Invoice;
using Marketplace.Payments.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Payments.Tests;

/// <summary>What <see cref="PaymentsSetup.AddMarketplacePayments"/> registers, with and without Stripe configured.</summary>
public class PaymentsSetupTests
{
    private static readonly Dictionary<string, string?> Stripe = new()
    {
        ["Payments:Stripe:SecretKey"] = "sk_test_51KallioLocalOnly",
        ["Payments:Stripe:WebhookSecret"] = "whsec_local",
        ["Payments:Stripe:ApiBase"] = "http://127.0.0.1:9",
        ["Payments:Stripe:OnboardingReturnUrl"] = "https://marketplace.example/sell/stripe/done",
        ["Payments:Stripe:OnboardingRefreshUrl"] = "https://marketplace.example/sell/stripe/again",
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings)
        => new ServiceCollection().AddMarketplacePayments(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    [Fact]
    public void AddMarketplacePayments_NoStripeKey_RegistersTheInvoiceRendererAndNoCardGateway()
    {
        using var services = Build([]);

        Assert.IsType<InvoiceRenderer>(services.GetRequiredService<IInvoiceRenderer>());
        Assert.Empty(services.GetServices<IPaymentGateway>());
        Assert.Null(services.GetService<StripeConnect>());
        Assert.Null(services.GetService<StripeWebhooks>());
        Assert.False(services.GetRequiredService<IOptions<StripeOptions>>().Value.Enabled);
    }

    [Fact]
    public void AddMarketplacePayments_StripeConfigured_RegistersCardGatewayOnboardingAndWebhooks()
    {
        using var services = Build(Stripe);

        var gateway = Assert.Single(services.GetServices<IPaymentGateway>());
        Assert.Equal(PaymentMethod.Card, gateway.Method);
        Assert.IsType<StripePaymentGateway>(gateway);
        Assert.NotNull(services.GetService<StripeConnect>());
        Assert.NotNull(services.GetService<StripeWebhooks>());
    }

    [Theory]
    [InlineData("Payments:Stripe:WebhookSecret", "", "WebhookSecret")]
    [InlineData("Payments:Stripe:OnboardingReturnUrl", "not a url", "OnboardingReturnUrl")]
    [InlineData("Payments:Stripe:OnboardingRefreshUrl", "", "OnboardingRefreshUrl")]
    [InlineData("Payments:Stripe:ApiBase", "ftp://stripe.example", "ApiBase")]
    [InlineData("Payments:Stripe:Country", "Finland", "Country")]
    [InlineData("Payments:Stripe:WebhookToleranceSeconds", "0", "WebhookToleranceSeconds")]
    public void AddMarketplacePayments_StripeMisconfigured_FailsValidationNamingTheSetting(string key, string value, string named)
    {
        using var services = Build(new Dictionary<string, string?>(Stripe) { [key] = value });

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StripeOptions>>().Value);
        Assert.Contains(named, e.Message);
    }
}
