using System.Diagnostics;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Webhooks;

/// <summary>The stored webhook directory: per firm with a subscription, the event-type filters of all its subscriptions.</summary>
public sealed class WebhookDirectoryState
{
    /// <summary>Firm id → the union of its subscriptions' event-type filters (no entry: no subscription).</summary>
    public Dictionary<string, List<string>> Firms { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Which firms have a subscription wanting an event type, for the whole service in one grain (key 0): each silo holds
/// its list for a lease (<see cref="WebhookInterest"/>) instead of asking each firm's registry
/// (<see cref="IWebhookFirmGrain"/>), which activated a registry grain, and read its state, for every firm a change reached,
/// nearly all of them firms without any subscription.
/// <para>
/// It may name more than the registries do, never fewer: a registry widens a firm's entry here before it stores a new
/// or changed subscription, and narrows it after it stored a change or removal (a narrowing that fails leaves the
/// wider entry, which only makes a proposal carry an event the registry then drops). A directory never stored (a
/// database from before it existed) is built from the stored registries when it first activates.
/// </para>
/// <para>
/// Each silo keeps the list of firms and filters for a lease (<see cref="WebhookInterest"/>, <see cref="WebhookOptions.DirectoryLease"/>,
/// counted from before it asked) rather than asking on every change. So that a list without a firm is never used after the
/// firm's subscription answered, a widening answers the time left until every lease lent before it has run out, and the
/// subscription waits that long before it answers (<see cref="WebhookSubscriptionGrain"/>). Leases are known in memory
/// only: an activation after an earlier one (the state was stored) counts a full lease as lent at its start.
/// </para>
/// </summary>
public sealed class WebhookDirectoryGrain(
    [PersistentState("webhook-directory", StorageOptions.StoreName)] IPersistentState<WebhookDirectoryState> state,
    IGrainStateArchive archive,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDirectoryGrain> logger) : Grain, IWebhookDirectoryGrain
{
    /// <summary>When the last lease lent by this activation (or, conservatively, an earlier one) runs out.</summary>
    private long _leasedUntil;

    /// <summary>Per firm widened by this activation: when the leases lent before its widening ran out.</summary>
    private readonly Dictionary<string, long> _widenedUntil = new(StringComparer.Ordinal);

    /// <summary>Until when an earlier activation's leases may still run (0: there was none).</summary>
    private long _earlierLeasesUntil;

    /// <summary>
    /// The list's version: new at random per activation (an asker's version from an earlier one never matches), moved on
    /// by every change, including a failed write's reload.
    /// </summary>
    private long _version = Random.Shared.NextInt64(1, long.MaxValue / 2);

    /// <summary>The list as lent at <see cref="_version"/>, made once for all askers (immutable once made).</summary>
    private WebhookDirectoryLease? _lent;

    private TimeSpan Lease => options.Value.DirectoryLease;

    /// <summary>The key of the service's one directory.</summary>
    public const long Key = 0;

    /// <summary>What a registry grain is stored as (<see cref="WebhookFirmGrain"/>): the type and state names the build reads.</summary>
    internal const string RegistryGrainType = "webhookfirm";

    /// <inheritdoc cref="RegistryGrainType"/>
    internal const string RegistryStateName = "webhook-firm";

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists)
        {
            // An earlier activation stored the state before it lent anything: its leases may run for one more lease.
            _earlierLeasesUntil = _leasedUntil = Now + Ticks(Lease);
            return;
        }

        // Built once: from the registries when the storage can be read through (nothing else has subscriptions yet on a
        // new database, and a registry that widens this directory meanwhile waits for this activation).
        if (archive.CanEnumerate)
        {
            await foreach (var stored in archive.StatesAsync(RegistryGrainType, RegistryStateName, cancellationToken))
            {
                if (stored.As<WebhookFirmState>() is { Subscriptions.Count: > 0 } registry)
                {
                    state.State.Firms[stored.Key] = Union(registry.Subscriptions.Select(s => s.EventTypes));
                }
            }

            logger.LogInformation("Webhooks: the directory was built from the stored registries: {Firms} firm(s) with subscriptions", state.State.Firms.Count);
        }

        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public async Task<TimeSpan> WidenAsync(string firmId, IReadOnlyList<string> eventTypes)
    {
        var known = state.State.Firms.GetValueOrDefault(firmId);
        if (known is not null && eventTypes.All(known.Contains))
        {
            // Wide enough already: a retry of a widening whose wait was cut short still waits out what is left of it.
            return Left(_widenedUntil.GetValueOrDefault(firmId, _earlierLeasesUntil));
        }

        // Every lease lent from now on names the firm (an answer is wholly before or after this turn), so only those
        // lent before count; the entry is in memory first, so a failed write below leaves it wider, never narrower.
        state.State.Firms[firmId] = Union(known is null ? [eventTypes] : [known, eventTypes]);
        _widenedUntil[firmId] = _leasedUntil;
        Changed();
        try
        {
            await state.WriteOrReloadAsync();
        }
        finally
        {
            Changed();
        }

        return Left(_leasedUntil);
    }

    /// <inheritdoc />
    public async Task SetAsync(string firmId, IReadOnlyList<string> eventTypes)
    {
        var known = state.State.Firms.GetValueOrDefault(firmId);
        if (eventTypes.Count == 0 ? known is null : known is not null && known.Count == eventTypes.Count && eventTypes.All(known.Contains))
        {
            return;
        }

        if (eventTypes.Count == 0)
        {
            state.State.Firms.Remove(firmId);
        }
        else
        {
            state.State.Firms[firmId] = Union([eventTypes]);
        }

        Changed();
        try
        {
            await state.WriteOrReloadAsync();
        }
        finally
        {
            Changed();
        }
    }

    /// <inheritdoc />
    public Task<string[]> WantingAsync(string[] firmIds, string eventType)
    {
        var firms = state.State.Firms;
        if (firms.Count == 0)
        {
            return Task.FromResult<string[]>([]);
        }

        return Task.FromResult(firmIds.Where(f => firms.TryGetValue(f, out var filters) && WebhookEventTypes.Matches(filters, eventType)).ToArray());
    }

    /// <inheritdoc />
    public Task<WebhookDirectoryLease> LeaseAsync(long knownVersion)
    {
        var lease = Lease;
        _leasedUntil = Math.Max(_leasedUntil, Now + Ticks(lease));
        if (knownVersion == _version)
        {
            return Task.FromResult(new WebhookDirectoryLease(null, lease, _version));
        }

        // A copy: the state's lists change in place at the next widening, and the answer is not copied by Orleans.
        _lent ??= new WebhookDirectoryLease(
            state.State.Firms.ToDictionary(f => f.Key, f => f.Value.ToArray(), StringComparer.Ordinal), lease, _version);
        return Task.FromResult(_lent);
    }

    /// <summary>The list changed (or may have): a new version, and a new copy for the next asker.</summary>
    private void Changed()
    {
        _version++;
        _lent = null;
    }

    /// <summary>Now on the high-resolution monotonic clock (a lease is a duration measured here, never a time compared across machines).</summary>
    private static long Now => Stopwatch.GetTimestamp();

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan Left(long until) => until <= Now ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Now, until);

    /// <summary>The filters of <paramref name="lists"/>, each once, in a stable order.</summary>
    internal static List<string> Union(IEnumerable<IEnumerable<string>> lists)
        => lists.SelectMany(l => l).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
