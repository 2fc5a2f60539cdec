using System.Runtime.CompilerServices;
using Marketplace.Domain.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Demands;

/// <summary>Reads every stored demand straight from grain storage, without activating grains (the matching book's rebuild).</summary>
public interface IDemandArchive
{
    /// <summary>False when the storage provider cannot be enumerated (memory storage; Azure Table, for now).</summary>
    bool CanEnumerate { get; }

    /// <summary>Every stored demand.</summary>
    IAsyncEnumerable<Demand> DemandsAsync(CancellationToken cancellationToken = default);
}

/// <summary>An archive for providers that cannot be enumerated.</summary>
public sealed class UnavailableDemandArchive : IDemandArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => false;

    /// <inheritdoc />
    public IAsyncEnumerable<Demand> DemandsAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<Demand>();
}

/// <summary>Demands in the SQLite grain storage (state <c>demand</c>).</summary>
public sealed class SqliteDemandArchive(SqliteDatabase database, string serviceId) : IDemandArchive
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
}
