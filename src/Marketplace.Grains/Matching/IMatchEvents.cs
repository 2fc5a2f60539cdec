namespace Marketplace.Grains.Matching;

/// <summary>
/// Told when a partition has stored every proposal one change produced (benchmarks measure proposal latency here).
/// Called on the partition's turn: return at once.
/// </summary>
public interface IMatchEvents
{
    /// <summary>The change of a lot or a demand has been matched and its proposals stored.</summary>
    /// <param name="kind"><c>lot</c> or <c>demand</c>.</param>
    /// <param name="id">The lot or demand id.</param>
    /// <param name="proposals">New sessions stored.</param>
    void Matched(string kind, string id, int proposals);
}

/// <summary>The events sink when nothing listens.</summary>
public sealed class NoMatchEvents : IMatchEvents
{
    /// <inheritdoc />
    public void Matched(string kind, string id, int proposals)
    {
    }
}
