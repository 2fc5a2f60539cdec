using global::Stripe;

namespace Marketplace.Payments.Stripe;

/// <summary>A connected account as Stripe reports it.</summary>
/// <param name="AccountId">Stripe's id (<c>acct_…</c>).</param>
/// <param name="ChargesEnabled">The account can take charges (onboarding finished).</param>
/// <param name="PayoutsEnabled">Stripe pays out to the account's bank.</param>
/// <param name="DetailsSubmitted">The seller has submitted the onboarding form.</param>
/// <param name="TraderId">The trader in the account's metadata, if any.</param>
public sealed record StripeAccountStatus(string AccountId, bool ChargesEnabled, bool PayoutsEnabled, bool DetailsSubmitted, string? TraderId);

/// <summary>
/// Seller onboarding to Stripe Connect: an Express connected account per selling firm (its trader id in the metadata,
/// so <c>account.updated</c> events lead back to it) and an account link that takes the seller through Stripe's form.
/// </summary>
public sealed class StripeConnect
{
    private readonly StripeClient _client;
    private readonly StripeOptions _options;

    /// <summary>Onboarding over <paramref name="client"/>, with the country and the return and refresh URLs of <paramref name="options"/>.</summary>
    public StripeConnect(StripeClient client, StripeOptions options)
    {
        _client = client;
        _options = options;
    }

    /// <summary>
    /// Creates the firm's Express account with card payments and transfers requested. The idempotency key
    /// (<c>trader:{traderId}:connect-account</c>) makes a repeated request within Stripe's 24 hours return the same account.
    /// </summary>
    public async Task<StripeAccountStatus> CreateExpressAccountAsync(string traderId, string? email, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(traderId);
        var options = new AccountCreateOptions
        {
            Type = "express",
            Country = _options.Country,
            Email = string.IsNullOrWhiteSpace(email) ? null : email,
            BusinessType = "company",
            Capabilities = new AccountCapabilitiesOptions
            {
                CardPayments = new AccountCapabilitiesCardPaymentsOptions { Requested = true },
                Transfers = new AccountCapabilitiesTransfersOptions { Requested = true },
            },
            Metadata = new Dictionary<string, string> { [StripeMetadata.TraderId] = traderId },
        };
        var account = await StripeCalls.CallAsync("create the connected account",
            () => _client.V1.Accounts.CreateAsync(options, StripeCalls.Once("trader", traderId, "connect-account"), cancellationToken));
        return Status(account);
    }

    /// <summary>A single-use onboarding link for the account (Stripe's links expire after a few minutes).</summary>
    public async Task<string> CreateOnboardingLinkAsync(string accountId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        var options = new AccountLinkCreateOptions
        {
            Account = accountId,
            RefreshUrl = _options.OnboardingRefreshUrl,
            ReturnUrl = _options.OnboardingReturnUrl,
            Type = "account_onboarding",
        };
        var link = await StripeCalls.CallAsync("create the onboarding link", () => _client.V1.AccountLinks.CreateAsync(options, cancellationToken: cancellationToken));
        return link.Url;
    }

    internal static StripeAccountStatus Status(Account account)
        => new(account.Id, account.ChargesEnabled, account.PayoutsEnabled, account.DetailsSubmitted,
            account.Metadata is { } metadata && metadata.TryGetValue(StripeMetadata.TraderId, out var traderId) ? traderId : null);
}
