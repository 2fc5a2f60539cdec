namespace Marketplace.Grains.Common;

/// <summary>
/// The clock grains read for business time (hold expiries, lot windows, demand expiry), registered as a keyed
/// <see cref="TimeProvider"/> so tests can move it without touching the unkeyed one the Orleans runtime itself uses for
/// membership, gateways and timeouts (faking that one made test clients intermittently find no gateway).
/// By default it is the same clock as the runtime's.
/// </summary>
public static class MarketTime
{
    /// <summary>Service key of the business clock.</summary>
    public const string Key = "market";
}
