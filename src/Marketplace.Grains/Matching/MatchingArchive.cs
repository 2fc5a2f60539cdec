using System.Runtime.CompilerServices;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Reads stored demands and matching sessions straight from grain storage, without activating grains: what the
/// partitions' books and the traders' inboxes are rebuilt from at start.
/// </summary>
public interface IMatchingArchive
{
    /// <summary>False when the storage provider cannot be enumerated (memory storage; Azure Table, for now).</summary>
    bool CanEnumerate { get; }

    /// <summary>Every stored demand.</summary>
    IAsyncEnumerable<Demand> DemandsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored matching session.</summary>
    IAsyncEnumerable<MatchingSession> SessionsAsync(CancellationToken cancellationToken = default);
}

/// <summary>An archive for providers that cannot be enumerated.</summary>
public sealed class UnavailableMatchingArchive : IMatchingArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => false;

    /// <inheritdoc />
    public IAsyncEnumerable<Demand> DemandsAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<Demand>();

    /// <inheritdoc />
    public IAsyncEnumerable<MatchingSession> SessionsAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<MatchingSession>();
}

/// <summary>Demands and sessions in the SQLite grain storage (states <c>demand</c> and <c>match</c>).</summary>
public sealed class SqliteMatchingArchive(SqliteDatabase database, string serviceId) : IMatchingArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => true;

    /// <inheritdoc />
    public async IAsyncEnumerable<Demand> DemandsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var demand in SqliteListingArchive.StatesAsync<Demand>(database, serviceId, "demand", "demand/", null, cancellationToken))
        {
            if (demand.Exists)
            {
                yield return demand;
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MatchingSession> SessionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var session in SqliteListingArchive.StatesAsync<MatchingSession>(database, serviceId, "match", "matchingsession/", null, cancellationToken))
        {
            if (session.Exists)
            {
                yield return session;
            }
        }
    }
}
