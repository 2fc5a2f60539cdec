using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Grain states in the table that Orleans' <c>AzureTableGrainStorage</c> writes. Its layout: one row per grain and state,
/// partition key <c>{ServiceId}_{grainType}/{key}</c> and row key the state name, both with <c>/ \ # ?</c> replaced by
/// <c>_</c>; the serialized state in binary properties <c>Data</c>, <c>Data1</c> … <c>Data14</c> (64 KiB each; older
/// rows may hold it in <c>StringData</c> …). So the states of one kind are a range of partition keys (the prefix
/// <c>{ServiceId}_{grainType}_</c>) with one row key, read with a filtered query in pages of up to 1,000 rows.
/// A cleared state (Orleans overwrites it with an empty row unless <c>DeleteStateOnClear</c>) is skipped.
/// </summary>
public sealed class AzureTableGrainStateArchive(TableClient table, string serviceId) : IGrainStateArchive
{
    private const int MaxChunks = 15;
    private static readonly string[] FirstChunk = ["Data", "StringData"];

    /// <inheritdoc />
    public bool CanEnumerate => true;

    /// <inheritdoc />
    public async IAsyncEnumerable<IReadOnlyList<StoredGrainState>> PagesAsync(string grainType, string stateName, int pageSize = IGrainStateArchive.DefaultPageSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var prefix = KeyPrefix(grainType);
        var pages = table.QueryAsync<TableEntity>(Filter(prefix, stateName), Math.Min(pageSize, 1000), cancellationToken: cancellationToken)
            .AsPages(pageSizeHint: Math.Min(pageSize, 1000));
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (await NextAsync(enumerator))
        {
            var page = new List<StoredGrainState>(enumerator.Current.Values.Count);
            foreach (var row in enumerator.Current.Values)
            {
                if (Payload(row) is { } payload)
                {
                    page.Add(new StoredGrainState(row.PartitionKey[prefix.Length..], payload));
                }
            }

            // A page larger than asked for (the service's own page of 1,000) is split to keep the promise.
            foreach (var chunk in page.Chunk(pageSize))
            {
                yield return chunk;
            }
        }
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(string grainType, string stateName, CancellationToken cancellationToken = default)
    {
        var prefix = KeyPrefix(grainType);
        long count = 0;
        try
        {
            // Azure Table has no count: read each row's first chunk only, enough to tell a cleared (empty) row.
            await foreach (var row in table.QueryAsync<TableEntity>(Filter(prefix, stateName), 1000, FirstChunk, cancellationToken))
            {
                if (row.GetBinary("Data") is { Length: > 0 } || row.GetString("StringData") is { Length: > 0 })
                {
                    count++;
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet: nothing was ever written.
        }

        return count;
    }

    /// <summary>Orleans' sanitisation of partition and row keys (<c>AzureTableUtils.SanitizeTableProperty</c>).</summary>
    internal static string Sanitize(string key) => key.Replace('/', '_').Replace('\\', '_').Replace('#', '_').Replace('?', '_');

    private string KeyPrefix(string grainType) => Sanitize($"{serviceId}_{grainType}/");

    private static string Filter(string prefix, string stateName)
    {
        // Every key starting with the prefix sorts at or after it and before the prefix with its last character raised.
        var end = prefix[..^1] + (char)(prefix[^1] + 1);
        return TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {end} and RowKey eq {Sanitize(stateName)}");
    }

    private static async ValueTask<bool> NextAsync(IAsyncEnumerator<Page<TableEntity>> pages)
    {
        try
        {
            return await pages.MoveNextAsync();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static BinaryData? Payload(TableEntity row)
    {
        var chunks = new List<byte[]>();
        for (var i = 0; i < MaxChunks; i++)
        {
            switch (row.TryGetValue(i == 0 ? "Data" : $"Data{i}", out var value) ? value : null)
            {
                case byte[] { Length: > 0 } bytes:
                    chunks.Add(bytes);
                    break;
                case string { Length: > 0 } base64:
                    chunks.Add(Convert.FromBase64String(base64));
                    break;
            }
        }

        if (chunks.Count > 0)
        {
            return new BinaryData(chunks.SelectMany(c => c).ToArray());
        }

        var text = string.Concat(Enumerable.Range(0, MaxChunks)
            .Select(i => row.TryGetValue(i == 0 ? "StringData" : $"StringData{i}", out var value) ? value as string : null));
        return text.Length > 0 ? BinaryData.FromString(text) : null;
    }
}
