using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Marketplace.Grains.Telemetry;

/// <summary>
/// The marketplace's own meter, <c>Marketplace</c>, and every instrument on it: the one place where business metrics are
/// named. Made through <see cref="IMeterFactory"/>, so each host (and each test's host) has its own meter instance.
/// </summary>
public sealed class MarketplaceMetrics
{
    /// <summary>Name of the meter (and of <see cref="MarketplaceTracing.Source"/>): what an exporter subscribes to.</summary>
    public const string MeterName = "Marketplace";

    private readonly Counter<long> _holdsPlaced;
    private readonly Counter<long> _holdsRefused;
    private readonly Counter<long> _proposals;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Counter<long> _paymentEvents;
    private readonly Histogram<double> _grainState;
    private Func<long>? _searchBacklog;

    /// <summary>Creates the meter and its instruments.</summary>
    public MarketplaceMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        _holdsPlaced = Meter.CreateCounter<long>("marketplace.holds.placed", "{hold}", "Holds placed on lots.");
        _holdsRefused = Meter.CreateCounter<long>("marketplace.holds.refused", "{hold}", "Hold attempts a lot refused, by the refusal's problem type (error.type).");
        _proposals = Meter.CreateCounter<long>("marketplace.proposals.made", "{proposal}", "Proposals the matcher made to buyers and sellers.");
        _webhookDeliveries = Meter.CreateCounter<long>("marketplace.webhooks.deliveries", "{delivery}", "Outgoing webhook delivery attempts, by outcome (delivered, failed, gave-up).");
        _paymentEvents = Meter.CreateCounter<long>("marketplace.payments.events", "{event}", "Payment provider events received, by event type and outcome (processed, duplicate, rejected).");
        _grainState = Meter.CreateHistogram<double>("marketplace.grain_state.duration", "s",
            "Grain state reads, writes and clears that storage completed, by operation (read, write, clear); failures are logged.");
        Meter.CreateObservableGauge("marketplace.search.index.backlog", () => _searchBacklog?.Invoke() ?? 0, "{change}",
            "Stored lot changes not yet in this host's search index: the index lag in changes.");
    }

    /// <summary>The <c>Marketplace</c> meter.</summary>
    public Meter Meter { get; }

    /// <summary>Counts a hold placed on a lot.</summary>
    public void HoldPlaced() => _holdsPlaced.Add(1);

    /// <summary>Counts a hold the lot refused, with the refusal's problem type (such as <c>insufficient-quantity</c>).</summary>
    public void HoldRefused(string reason) => _holdsRefused.Add(1, new KeyValuePair<string, object?>("error.type", reason));

    /// <summary>Counts a proposal made to a buyer and a seller.</summary>
    public void ProposalMade() => _proposals.Add(1);

    /// <summary>Counts one outgoing webhook delivery attempt.</summary>
    /// <param name="outcome"><c>delivered</c> (2xx), <c>failed</c> (to be retried) or <c>gave-up</c> (retries exhausted).</param>
    /// <param name="eventType">The delivered event's type, such as <c>listing.updated</c>.</param>
    public void WebhookDelivered(string outcome, string eventType)
        => _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("event.type", eventType));

    /// <summary>Counts one payment provider event.</summary>
    /// <param name="type">The event's type, such as <c>payment_intent.succeeded</c>.</param>
    /// <param name="outcome"><c>processed</c>, <c>duplicate</c> (seen before) or <c>rejected</c> (signature or age not accepted).</param>
    public void PaymentEvent(string type, string outcome)
        => _paymentEvents.Add(1, new KeyValuePair<string, object?>("event.type", type), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Records one grain state operation storage completed: <c>read</c>, <c>write</c> or <c>clear</c>.</summary>
    public void GrainStateOperation(string operation, TimeSpan took)
        => _grainState.Record(took.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>Reports the search index backlog from <paramref name="pending"/> (the search feed's queued and dirty changes).</summary>
    public void ObserveSearchBacklog(Func<long> pending) => _searchBacklog = pending;
}

/// <summary>The marketplace's own activity source, for spans the frameworks do not make (grain storage).</summary>
public static class MarketplaceTracing
{
    /// <summary>The <c>Marketplace</c> activity source.</summary>
    public static ActivitySource Source { get; } = new(MarketplaceMetrics.MeterName);
}
