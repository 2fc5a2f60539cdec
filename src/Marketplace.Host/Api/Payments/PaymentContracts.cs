namespace Marketplace.Host.Api.Payments;

/// <summary>Where to send the seller's admin to onboard (or finish onboarding) the firm's Stripe account.</summary>
/// <param name="TraderId">The firm.</param>
/// <param name="AccountId">Its Stripe connected account (<c>acct_…</c>).</param>
/// <param name="OnboardingUrl">Stripe's single-use onboarding page; it expires within minutes, ask again for a new one.</param>
/// <param name="ChargesEnabled">Stripe lets the account take card payments (onboarding finished).</param>
/// <param name="PayoutsEnabled">Stripe pays out to the firm's bank.</param>
public sealed record StripeOnboardingResponse(string TraderId, string AccountId, string OnboardingUrl, bool ChargesEnabled, bool PayoutsEnabled);

/// <summary>The answer to Stripe for a webhook delivery.</summary>
/// <param name="Received">Always true: the event was verified.</param>
/// <param name="EventId">Stripe's event id.</param>
/// <param name="Duplicate">True when the event had been processed before and nothing was done again.</param>
public sealed record StripeWebhookResponse(bool Received, string EventId, bool Duplicate);
