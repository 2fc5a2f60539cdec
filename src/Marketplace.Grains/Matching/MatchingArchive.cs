using System.Runtime.CompilerServices;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Reads stored demands and matching sessions straight from grain storage, without activating grains: what the
/// partitions' books and the traders' inboxes are rebuilt from at start.
/// </summary>
public interface IMatchingArchive
{
    /// <summary>False when the storage provider cannot be enumerated (memory storage).</summary>
    bool CanEnumerate { get; }

    /// <summary>Every stored demand.</summary>
    IAsyncEnumerable<Demand> DemandsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored matching session.</summary>
    IAsyncEnumerable<MatchingSession> SessionsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Demands (state <c>demand</c>) and sessions (state <c>match</c>) in whichever grain storage <paramref name="states"/> reads.</summary>
public sealed class MatchingArchive(IGrainStateArchive states) : IMatchingArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => states.CanEnumerate;

    /// <inheritdoc />
    public async IAsyncEnumerable<Demand> DemandsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var state in states.StatesAsync("demand", "demand", cancellationToken))
        {
            if (state.As<Demand>() is { Exists: true } demand)
            {
                yield return demand;
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MatchingSession> SessionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var state in states.StatesAsync("matchingsession", "match", cancellationToken))
        {
            if (state.As<MatchingSession>() is { Exists: true } session)
            {
                yield return session;
            }
        }
    }
}
