using System.Diagnostics;
using Marketplace.Domain.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Webhooks;

/// <summary>Which firms have a subscription wanting an event type, as the webhook directory lent it (or everyone, when unknown).</summary>
public sealed class WebhookWanting
{
    private readonly IReadOnlyDictionary<string, string[]>? _firms;

    private WebhookWanting(IReadOnlyDictionary<string, string[]>? firms) => _firms = firms;

    /// <summary>Every firm counts as wanting every event: the directory could not be asked, so the registries decide.</summary>
    public static WebhookWanting Everyone { get; } = new(null);

    /// <summary>The directory's answer: the firms with subscriptions and the union of their event-type filters.</summary>
    public static WebhookWanting Of(IReadOnlyDictionary<string, string[]> firms) => new(firms);

    /// <summary>True when <paramref name="firm"/> may have a subscription wanting <paramref name="type"/>.</summary>
    public bool Wants(string firm, string type)
        => _firms is null || (_firms.Count > 0 && _firms.TryGetValue(firm, out var filters) && WebhookEventTypes.Matches(filters, type));

    /// <summary>
    /// The firms of <paramref name="a"/> and <paramref name="b"/> (when given) that want <paramref name="type"/>, or null
    /// when none does (then the event is not made at all: no resource, nothing stored, nothing handed over).
    /// </summary>
    public string[]? Recipients(string type, string a, string? b = null)
    {
        var wantsA = Wants(a, type);
        var wantsB = b is not null && Wants(b, type);
        return (wantsA, wantsB) switch
        {
            (true, true) => [a, b!],
            (true, false) => [a],
            (false, true) => [b!],
            _ => null,
        };
    }
}

/// <summary>
/// The webhook directory's firms and filters, lent to this silo for <see cref="WebhookOptions.DirectoryLease"/> and
/// shared by its grains: a lot, demand, order or match makes a change's webhook events only for the firms that want
/// them (nearly always none), and a matching partition puts <c>match.proposed</c> events only in those sessions,
/// without asking the directory on every change. Exact as <see cref="WebhookDirectoryGrain"/> explains: the lease
/// counts from before the question, and a firm's widening subscription answers only after every lease lent before it
/// ran out, so no change made after that answer uses a list without the firm. When the directory cannot answer, every
/// firm counts as wanting (the registries drop what their subscriptions do not want), and the next change asks again.
/// </summary>
public sealed class WebhookInterest(IGrainFactory grains, ILogger<WebhookInterest> logger)
{
    private Lent? _lent;

    /// <summary>The firms wanting events now: at once while the lease runs, else after asking the directory.</summary>
    public ValueTask<WebhookWanting> CurrentAsync()
    {
        var lent = Volatile.Read(ref _lent);
        return lent is not null && Stopwatch.GetTimestamp() < lent.Until ? new ValueTask<WebhookWanting>(lent.Wanting) : new ValueTask<WebhookWanting>(AskAsync());
    }

    private async Task<WebhookWanting> AskAsync()
    {
        var asked = Stopwatch.GetTimestamp();
        try
        {
            var lease = await grains.GetGrain<IWebhookDirectoryGrain>(WebhookDirectoryGrain.Key).LeaseAsync();
            var lent = new Lent(WebhookWanting.Of(lease.Firms), asked + (long)(lease.Duration.TotalSeconds * Stopwatch.Frequency));

            // Concurrent askers: keep the lease that runs longest (an earlier one stays exact until its own end anyway).
            var known = Volatile.Read(ref _lent);
            while ((known is null || known.Until < lent.Until) && Interlocked.CompareExchange(ref _lent, lent, known) is var seen && seen != known)
            {
                known = seen;
            }

            return lent.Wanting;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Webhooks: the directory could not be asked which firms want events; this change's events go to all its firms' registries");
            return WebhookWanting.Everyone;
        }
    }

    private sealed record Lent(WebhookWanting Wanting, long Until);
}
