using System.Runtime.CompilerServices;

namespace Marketplace.Grains.Storage;

/// <summary>
/// Grain states in <see cref="SqliteGrainStorage"/>'s table, paged by key (<c>grain_id</c> after the last one read), so
/// no read transaction stays open across pages and the WAL can be checkpointed meanwhile.
/// </summary>
public sealed class SqliteGrainStateArchive(SqliteDatabase database, string serviceId) : IGrainStateArchive
{
    /// <inheritdoc />
    public bool CanEnumerate => true;

    /// <inheritdoc />
    public async IAsyncEnumerable<IReadOnlyList<StoredGrainState>> PagesAsync(string grainType, string stateName, int pageSize = IGrainStateArchive.DefaultPageSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var prefix = grainType + "/";
        var after = prefix;
        while (true)
        {
            var page = new List<StoredGrainState>(pageSize);
            await using (var connection = database.Open())
            await using (var command = connection.CreateCommand())
            {
                // The primary key is (service_id, state_name, grain_id): each page is one range read.
                command.CommandText = """
                    SELECT grain_id, payload FROM grain_state
                    WHERE service_id = $s AND state_name = $n AND grain_id > $after AND grain_id < $end
                    ORDER BY grain_id LIMIT $limit
                    """;
                command.Parameters.AddWithValue("$s", serviceId);
                command.Parameters.AddWithValue("$n", stateName);
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$end", grainType + "0"); // '0' follows '/': every id of the type sorts below it
                command.Parameters.AddWithValue("$limit", pageSize);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    after = reader.GetString(0);
                    page.Add(new StoredGrainState(after[prefix.Length..], new BinaryData((byte[])reader.GetValue(1))));
                }
            }

            if (page.Count > 0)
            {
                yield return page;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }
        }
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(string grainType, string stateName, CancellationToken cancellationToken = default)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM grain_state WHERE service_id = $s AND state_name = $n AND grain_id > $after AND grain_id < $end";
        command.Parameters.AddWithValue("$s", serviceId);
        command.Parameters.AddWithValue("$n", stateName);
        command.Parameters.AddWithValue("$after", grainType + "/");
        command.Parameters.AddWithValue("$end", grainType + "0");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
