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
/// ran out, so no change made after that answer uses a list without the firm.
/// <para>
/// A write never waits long for the directory: once a lease ran out, one question is asked for the whole silo and a
/// change waits at most <see cref="Patience"/> for it; past that, or for <see cref="Degraded"/> after the directory
/// failed to answer, every firm counts as wanting (events are made and handed over as before the lease, and the
/// registries drop what their subscriptions do not want), so an unreachable directory costs work, never a change.
/// With a lease of 0 every firm always counts as wanting.
/// </para>
/// </summary>
public sealed class WebhookInterest(IGrainFactory grains, ILogger<WebhookInterest> logger)
{
    /// <summary>The longest a change waits for the silo's question to the directory.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(250);

    /// <summary>How long after a failed question every firm counts as wanting, without asking again.</summary>
    public static readonly TimeSpan Degraded = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private Lent? _lent;
    private Task<Lent?>? _asking;
    private long _failedUntil;

    /// <summary>The firms wanting events now: at once while the lease runs, else after the silo's one question (briefly).</summary>
    public ValueTask<WebhookWanting> CurrentAsync()
    {
        var now = Stopwatch.GetTimestamp();
        var lent = Volatile.Read(ref _lent);
        if (lent is not null && now < lent.Until)
        {
            return new ValueTask<WebhookWanting>(lent.Wanting);
        }

        if (now < Interlocked.Read(ref _failedUntil))
        {
            return new ValueTask<WebhookWanting>(WebhookWanting.Everyone);
        }

        return new ValueTask<WebhookWanting>(AnswerAsync(Ask()));
    }

    /// <summary>The question in flight, or a new one: asked off any grain's turn, once for all the silo's askers.</summary>
    private Task<Lent?> Ask()
    {
        lock (_gate)
        {
            if (_asking is null || _asking.IsCompleted)
            {
                _asking = Task.Run(AskDirectoryAsync);
            }

            return _asking;
        }
    }

    private static async Task<WebhookWanting> AnswerAsync(Task<Lent?> asking)
    {
        try
        {
            var lent = await asking.WaitAsync(Patience);
            return lent is not null && Stopwatch.GetTimestamp() < lent.Until ? lent.Wanting : WebhookWanting.Everyone;
        }
        catch (TimeoutException)
        {
            return WebhookWanting.Everyone;
        }
    }

    private async Task<Lent?> AskDirectoryAsync()
    {
        // Counted from before asking, so the lease never outlives the directory's own count of it.
        var asked = Stopwatch.GetTimestamp();
        try
        {
            var held = Volatile.Read(ref _lent);
            var lease = await grains.GetGrain<IWebhookDirectoryGrain>(WebhookDirectoryGrain.Key).LeaseAsync(held?.Version ?? 0);
            var wanting = lease.Firms is { } firms ? WebhookWanting.Of(firms)
                : held is not null && held.Version == lease.Version ? held.Wanting
                : throw new InvalidOperationException($"The webhook directory answered version {lease.Version} without its list, which this silo does not hold.");
            var lent = new Lent(wanting, asked + (long)(lease.Duration.TotalSeconds * Stopwatch.Frequency), lease.Version);

            // Keep the lease that runs longest (an earlier one stays exact until its own end anyway).
            var known = Volatile.Read(ref _lent);
            while ((known is null || known.Until < lent.Until) && Interlocked.CompareExchange(ref _lent, lent, known) is var seen && seen != known)
            {
                known = seen;
            }

            return lent;
        }
        catch (Exception e)
        {
            Interlocked.Exchange(ref _failedUntil, Stopwatch.GetTimestamp() + (long)(Degraded.TotalSeconds * Stopwatch.Frequency));
            logger.LogWarning(e, "Webhooks: the directory could not be asked which firms want events; for {Seconds} s every change's events go to all its firms' registries", Degraded.TotalSeconds);
            return null;
        }
    }

    private sealed record Lent(WebhookWanting Wanting, long Until, long Version);
}
