using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Marketplace.Identity;

/// <summary>
/// The first line against password guessing: failed sign-ins are counted per client address and account, and after
/// <see cref="MarketplaceIdentityOptions.SignInFailuresPerAddress"/> that address may not try that account for
/// <see cref="MarketplaceIdentityOptions.SignInBlockPeriod"/>. A stranger guessing from their address therefore blocks only
/// themselves; the account-wide lockout (<see cref="MarketplaceIdentityOptions.AccountLockoutFailures"/>) is the second
/// line, against guessing from many addresses. Counts are kept in this host's memory (at most <see cref="Capacity"/>
/// pairs; the oldest are forgotten first).
/// </summary>
public sealed class SignInThrottle(IOptions<MarketplaceIdentityOptions> options, TimeProvider time)
{
    /// <summary>Most (address, account) pairs remembered.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<(string Address, string Account), Failures> _failures = new();

    /// <summary>True when the address may not try the account now.</summary>
    public bool IsBlocked(IPAddress? address, string account)
        => _failures.TryGetValue(Key(address, account), out var f) && f.Count >= options.Value.SignInFailuresPerAddress && time.GetUtcNow() < f.Since + options.Value.SignInBlockPeriod;

    /// <summary>Counts a failed attempt; the count starts again once a period has passed since the first failure.</summary>
    public void Failed(IPAddress? address, string account)
    {
        var now = time.GetUtcNow();
        var period = options.Value.SignInBlockPeriod;
        _failures.AddOrUpdate(Key(address, account), _ => new Failures(1, now), (_, f) => now >= f.Since + period ? new Failures(1, now) : f with { Count = f.Count + 1 });
        if (_failures.Count > Capacity)
        {
            Forget(now - period);
        }
    }

    /// <summary>
    /// Counts a failed attempt at an address that has no account, from anywhere, as the account-wide lockout counts a real
    /// account's; true once <see cref="MarketplaceIdentityOptions.AccountLockoutFailures"/> were counted within a period, so
    /// the page can answer "locked" as it would for a real account (and not tell which addresses have one).
    /// </summary>
    public bool FailedWithoutAccount(string account)
    {
        Failed(null, AnyAddress + account);
        return IsLockedWithoutAccount(account);
    }

    /// <summary>True when an address without an account has had as many failures as lock a real account.</summary>
    public bool IsLockedWithoutAccount(string account)
        => _failures.TryGetValue(Key(null, AnyAddress + account), out var f) && f.Count >= options.Value.AccountLockoutFailures
           && time.GetUtcNow() < f.Since + options.Value.SignInBlockPeriod;

    /// <summary>A successful sign-in clears the address's count for the account.</summary>
    public void Succeeded(IPAddress? address, string account) => _failures.TryRemove(Key(address, account), out _);

    private void Forget(DateTimeOffset before)
    {
        foreach (var (key, f) in _failures)
        {
            if (f.Since < before)
            {
                _failures.TryRemove(key, out _);
            }
        }

        // Still full of fresh entries (an attack from many addresses): drop the oldest half.
        if (_failures.Count > Capacity)
        {
            foreach (var (key, _) in _failures.OrderBy(p => p.Value.Since).Take(_failures.Count / 2))
            {
                _failures.TryRemove(key, out _);
            }
        }
    }

    // Prefix of the account-wide counts kept for addresses without an account ("unknown" stands for a missing client address).
    private const string AnyAddress = "*any*|";

    private static (string, string) Key(IPAddress? address, string account)
        => (address?.ToString() ?? "unknown", Normalized(account.Trim()));

    /// <summary>
    /// The account as the identity store looks it up (Unicode-normalized, upper case): otherwise one address had five
    /// tries per spelling of the same account (a Kelvin sign for its K), and could lock the account for everyone (probe 28).
    /// </summary>
    private static string Normalized(string account)
    {
        try
        {
            return account.Normalize().ToUpperInvariant();
        }
        catch (ArgumentException)
        {
            // Not valid Unicode (a lone surrogate): no account is spelled so.
            return account.ToUpperInvariant();
        }
    }

    private sealed record Failures(int Count, DateTimeOffset Since);
}
