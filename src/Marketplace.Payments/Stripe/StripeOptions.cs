namespace Marketplace.Payments.Stripe;

/// <summary>
/// Card payments through Stripe Connect, bound from <c>Payments:Stripe</c>. With no <see cref="SecretKey"/> Stripe is
/// off: card checkout and seller onboarding are refused, invoices still work.
/// </summary>
public sealed class StripeOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Payments:Stripe";

    /// <summary>The platform's secret API key (<c>sk_live_…</c>, or <c>sk_test_…</c> in test mode); empty turns Stripe off.</summary>
    public string? SecretKey { get; set; }

    /// <summary>The webhook endpoint's signing secret (<c>whsec_…</c>); required when <see cref="SecretKey"/> is set.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Stripe's API address; only tests change it (to a local server answering as Stripe). Default <c>https://api.stripe.com</c>.</summary>
    public string ApiBase { get; set; } = "https://api.stripe.com";

    /// <summary>Where Stripe sends a seller who finished onboarding (absolute http(s) URL); required when Stripe is on.</summary>
    public string? OnboardingReturnUrl { get; set; }

    /// <summary>Where Stripe sends a seller whose onboarding link expired, to get a new one (absolute http(s) URL); required when Stripe is on.</summary>
    public string? OnboardingRefreshUrl { get; set; }

    /// <summary>Country of new connected accounts (ISO 3166-1 alpha-2). Default <c>FI</c>.</summary>
    public string Country { get; set; } = "FI";

    /// <summary>Oldest webhook signature accepted, in seconds (Stripe's own default is 300); 1 to 3,600.</summary>
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>Retries of a call that failed on the network or with a 5xx/409/429 (with the same idempotency key); 0 to 5. Default 2.</summary>
    public int MaxNetworkRetries { get; set; } = 2;

    /// <summary>True when a secret key is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(SecretKey);

    /// <summary>What is wrong with these options, or an empty list.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Enabled)
        {
            return problems;
        }

        if (string.IsNullOrWhiteSpace(WebhookSecret))
        {
            problems.Add($"{Section}:{nameof(WebhookSecret)} is required when {Section}:{nameof(SecretKey)} is set (the webhook endpoint's signing secret, whsec_…).");
        }

        foreach (var (name, value) in new[] { (nameof(ApiBase), ApiBase), (nameof(OnboardingReturnUrl), OnboardingReturnUrl), (nameof(OnboardingRefreshUrl), OnboardingRefreshUrl) })
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                problems.Add($"{Section}:{name} must be an absolute http(s) URL when Stripe is on, not '{value}'.");
            }
        }

        if (Country is not { Length: 2 } || !Country.All(char.IsAsciiLetterUpper))
        {
            problems.Add($"{Section}:{nameof(Country)} must be an ISO 3166-1 alpha-2 code such as FI, not '{Country}'.");
        }

        if (WebhookToleranceSeconds is < 1 or > 3600)
        {
            problems.Add($"{Section}:{nameof(WebhookToleranceSeconds)} must be 1 to 3,600 seconds.");
        }

        if (MaxNetworkRetries is < 0 or > 5)
        {
            problems.Add($"{Section}:{nameof(MaxNetworkRetries)} must be 0 to 5.");
        }

        return problems;
    }
}
