using System.Runtime.CompilerServices;
using System.Text.Json;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace Marketplace.Grains.Listings;

/// <summary>
/// Reads every stored lot straight from grain storage, without activating grains: what projections rebuild from
/// (the search index's catch-up after a crash, and <c>reindex</c>).
/// </summary>
public interface IListingArchive
{
    /// <summary>False when the storage provider cannot be enumerated (memory storage; Azure Table, for now).</summary>
    bool CanEnumerate { get; }

    /// <summary>How many lots are stored.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored lot's id and version.</summary>
    IAsyncEnumerable<(string Id, long Version)> VersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored lot (or those in <paramref name="ids"/>).</summary>
    IAsyncEnumerable<Listing> ListingsAsync(IReadOnlySet<string>? ids = null, CancellationToken cancellationToken = default);
}

/// <summary>An archive for providers that cannot be enumerated.</summary>
public sealed class UnavailableListingArchive : IListingArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => false;

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Task.FromResult(0L);

    /// <inheritdoc />
    public IAsyncEnumerable<(string Id, long Version)> VersionsAsync(CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<(string, long)>();

    /// <inheritdoc />
    public IAsyncEnumerable<Listing> ListingsAsync(IReadOnlySet<string>? ids = null, CancellationToken cancellationToken = default) => AsyncEnumerable.Empty<Listing>();
}

/// <summary>Lots in the SQLite grain storage (table <c>grain_state</c>, state <c>listing</c>).</summary>
public sealed class SqliteListingArchive(SqliteDatabase database, string serviceId) : IListingArchive
{
    private const string GrainPrefix = "listing/";

    /// <inheritdoc />
    public bool CanEnumerate => true;

    /// <inheritdoc />
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM grain_state WHERE service_id = $s AND state_name = 'listing'";
        command.Parameters.AddWithValue("$s", serviceId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Id, long Version)> VersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, json_extract(CAST(payload AS TEXT), '$.version') FROM grain_state WHERE service_id = $s AND state_name = 'listing'";
        command.Parameters.AddWithValue("$s", serviceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (Key(reader.GetString(0)), reader.IsDBNull(1) ? 0 : reader.GetInt64(1));
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Listing> ListingsAsync(IReadOnlySet<string>? ids = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var listing in StatesAsync<Listing>(database, serviceId, "listing", GrainPrefix, ids, cancellationToken))
        {
            if (listing.Exists)
            {
                yield return listing;
            }
        }
    }

    /// <summary>Every stored state of one kind (or those whose key is in <paramref name="ids"/>), read without activating grains.</summary>
    internal static async IAsyncEnumerable<T> StatesAsync<T>(SqliteDatabase database, string serviceId, string stateName, string grainPrefix,
        IReadOnlySet<string>? ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, payload FROM grain_state WHERE service_id = $s AND state_name = $n";
        command.Parameters.AddWithValue("$s", serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var grainId = reader.GetString(0);
            if (ids is not null && !ids.Contains(grainId.StartsWith(grainPrefix, StringComparison.Ordinal) ? grainId[grainPrefix.Length..] : grainId))
            {
                continue;
            }

            if (JsonSerializer.Deserialize<T>((byte[])reader.GetValue(1), MarketplaceJson.Options) is { } state)
            {
                yield return state;
            }
        }
    }

    private static string Key(string grainId) => grainId.StartsWith(GrainPrefix, StringComparison.Ordinal) ? grainId[GrainPrefix.Length..] : grainId;
}
