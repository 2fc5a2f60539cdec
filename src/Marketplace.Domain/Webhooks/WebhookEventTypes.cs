namespace Marketplace.Domain.Webhooks;

/// <summary>The event types a subscription can ask for, and how a subscription's filters match them.</summary>
public static class WebhookEventTypes
{
    /// <summary>The test ping, sent on request to the one subscription whatever its filters.</summary>
    public const string Ping = "ping";

    /// <summary>Every event type the marketplace emits, by resource.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "listing.created", "listing.updated", "listing.published", "listing.sold-out", "listing.withdrawn", "listing.expired",
        "hold.placed", "hold.released", "hold.confirmed", "hold.expired", "hold.ordered",
        "demand.created", "demand.updated", "demand.fulfilled", "demand.cancelled", "demand.expired",
        "match.proposed", "match.accepted", "match.confirmed", "match.declined", "match.expired",
        "order.placed", "order.updated", "order.accepted", "order.handed-over", "order.completed", "order.cancelled", "order.disputed", "order.refunded",
        "invoice.issued", "invoice.payment-recorded", "invoice.paid", "invoice.credited",
    ];

    /// <summary>The resources (the part before the dot), each also a filter with <c>.*</c>.</summary>
    public static IReadOnlyList<string> Resources { get; } = ["listing", "hold", "demand", "match", "order", "invoice"];

    /// <summary>True for a filter a subscription may hold: an event type, <c>resource.*</c>, or <c>*</c>.</summary>
    public static bool IsValidFilter(string? filter)
        => filter is not null
           && (filter == "*" || All.Contains(filter) || (filter.EndsWith(".*", StringComparison.Ordinal) && Resources.Contains(filter[..^2])));

    /// <summary>True when one of <paramref name="filters"/> asks for <paramref name="type"/>.</summary>
    public static bool Matches(IEnumerable<string> filters, string type)
    {
        foreach (var filter in filters)
        {
            // A null filter was once accepted (and stored): it asks for nothing.
            if (filter is null)
            {
                continue;
            }

            if (filter == "*" || filter == type
                || (filter.EndsWith(".*", StringComparison.Ordinal) && type.Length > filter.Length - 1 && type.StartsWith(filter[..^1], StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
