namespace Marketplace.Domain.Common;

/// <summary>
/// Comparing a payment provider's event times with the marketplace's own: Stripe stamps events to the whole second, the
/// marketplace's clock is finer, so an event from the same second as a local change is not older than that change.
/// </summary>
public static class ProviderTime
{
    /// <summary>True when an event stamped <paramref name="created"/> (whole seconds) is older than the change made at <paramref name="changedAt"/>.</summary>
    public static bool IsOlderThan(DateTimeOffset created, DateTimeOffset changedAt)
        => created < changedAt.AddTicks(-(changedAt.UtcTicks % TimeSpan.TicksPerSecond));
}
