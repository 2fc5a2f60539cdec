using Marketplace.Payments.Stripe;
using Marketplace.Testing.Payments;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>Gateway options pointed at a <see cref="StripeStub"/>, with no retries so every request is one the test made.</summary>
internal static class StubOptions
{
    public static StripeOptions For(StripeStub stub) => new()
    {
        SecretKey = StripeStub.SecretKey,
        WebhookSecret = StripeStub.WebhookSecret,
        ApiBase = stub.Url,
        OnboardingReturnUrl = StripeStub.OnboardingReturnUrl,
        OnboardingRefreshUrl = StripeStub.OnboardingRefreshUrl,
        MaxNetworkRetries = 0,
    };
}
