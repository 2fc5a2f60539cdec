using Marketplace.Grains.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>
/// The SQLite storage reuses one prepared statement per kind of read and write: each use must store and find its own
/// values, never one left bound by the use before it (a refused write's, a larger payload's, another grain's id).
/// </summary>
public sealed class SqliteStatementReuseTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-sqlite-reuse-").FullName;

    public void Dispose() => ContractStores.DeleteSqlite(_folder);

    [Fact]
    public async Task WritesAfterRefusedAndLargerOnes_InOneGroupAndTheNext_StoreTheirOwnValues()
    {
        var path = Path.Combine(_folder, "marketplace.db");
        var (database, storage) = Open(path);
        GrainId Id(string key) => GrainId.Create("parcel", key);
        GrainState<Dictionary<string, string>?> State(string name, int size = 1) => new(new() { ["name"] = name, ["fill"] = new string('x', size) });
        var (big, small, gone, stale) = (State("big", 200_000), State("small"), State("gone"), State("stale"));
        stale.ETag = "7";

        // The file's write lock is held elsewhere while the writes queue, so the ones after the first share a group.
        await using var writeLock = await HoldWriteLockAsync(path);
        var opener = storage.WriteStateAsync("parcel", Id("opener"), State("opener"));
        var writes = new[]
        {
            storage.WriteStateAsync("parcel", Id("big"), big),
            storage.WriteStateAsync("parcel", Id("stale"), stale),
            storage.WriteStateAsync("parcel", Id("small"), small),
            storage.WriteStateAsync("parcel", Id("gone"), gone),
        };
        await writeLock.DisposeAsync();
        await opener;
        await writes[0];
        await Assert.ThrowsAsync<InconsistentStateException>(() => writes[1]);
        await Task.WhenAll(writes[2], writes[3]);

        // The next group: a null state after the large one, an update after the refused write, a delete after them.
        big.State = null;
        await storage.WriteStateAsync("parcel", Id("big"), big);
        small.State!["name"] = "small again";
        await storage.WriteStateAsync("parcel", Id("small"), small);
        await storage.ClearStateAsync("parcel", Id("gone"), gone);

        Assert.Equal(
            new (string, long, string)[]
            {
                ("parcel/big", 2, "null"),
                ("parcel/opener", 1, """{"name":"opener","fill":"x"}"""),
                ("parcel/small", 2, """{"name":"small again","fill":"x"}"""),
            },
            await RowsAsync(path));
        database.Dispose();
    }

    [Fact]
    public async Task WriteFailingAfterItsInsert_FailsTheGroupUnstored_AndTheNextGroupCommits()
    {
        var path = Path.Combine(_folder, "marketplace.db");
        var (database, storage) = Open(path);

        // Not an ETag refusal: the group's transaction is given up, its insert with it, and the writer starts afresh.
        var failing = database.WriteAsync<bool>(batch =>
        {
            batch.Command("INSERT INTO grain_state VALUES ('reuse', 'parcel', 'parcel/undone', 1, x'7b7d', 'now')").ExecuteNonQuery();
            throw new InvalidOperationException("failed after its insert");
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await storage.WriteStateAsync("parcel", GrainId.Create("parcel", "after"), new GrainState<Dictionary<string, string>>(new() { ["name"] = "after" }));

        Assert.Equal(["parcel/after"], (await RowsAsync(path)).Select(row => row.Item1));
        database.Dispose();
    }

    [Fact]
    public async Task WritesQueuedTogether_EachStoresItsOwnBytes_ThoughTheirBuffersArePooled()
    {
        var path = Path.Combine(_folder, "marketplace.db");
        var (database, storage) = Open(path);
        await using var writeLock = await HoldWriteLockAsync(path);
        string Name(int i) => new((char)('a' + (i % 26)), 10 + i);

        // Serialized one after another on this thread while none is stored yet: a buffer given back before its write
        // ran would be rented and overwritten by the next.
        var writes = Enumerable.Range(0, 40)
            .Select(i => storage.WriteStateAsync("parcel", GrainId.Create("parcel", $"p{i:D2}"), new GrainState<Dictionary<string, string>>(new() { ["name"] = Name(i) })))
            .ToArray();
        await writeLock.DisposeAsync();
        await Task.WhenAll(writes);

        Assert.Equal(
            Enumerable.Range(0, 40).Select(i => ($"parcel/p{i:D2}", 1L, $$"""{"name":"{{Name(i)}}"}""")),
            await RowsAsync(path));
        database.Dispose();
    }

    [Fact]
    public async Task ReadsAfterOtherReads_FindTheirOwnRowOrNone()
    {
        var (database, storage) = Open(Path.Combine(_folder, "marketplace.db"));
        await storage.WriteStateAsync("parcel", GrainId.Create("parcel", "p1"), new GrainState<Dictionary<string, string>>(new() { ["name"] = "bricks" }));
        await storage.WriteStateAsync("photos", GrainId.Create("parcel", "p2"), new GrainState<Dictionary<string, string>>(new() { ["name"] = "tiles" }));

        var (found, missing, otherState, otherName) = (new GrainState<Dictionary<string, string>>(), new GrainState<Dictionary<string, string>>(),
            new GrainState<Dictionary<string, string>>(), new GrainState<Dictionary<string, string>>());
        await storage.ReadStateAsync("parcel", GrainId.Create("parcel", "p1"), found);
        await storage.ReadStateAsync("parcel", GrainId.Create("parcel", "p2"), missing);
        await storage.ReadStateAsync("photos", GrainId.Create("parcel", "p2"), otherState);
        await storage.ReadStateAsync("photos", GrainId.Create("parcel", "p1"), otherName);

        Assert.Equal(("bricks", "1", true), (found.State!["name"], found.ETag, found.RecordExists));
        Assert.Equal((0, (string?)null, false), (missing.State!.Count, missing.ETag, missing.RecordExists));
        Assert.Equal(("tiles", "1", true), (otherState.State!["name"], otherState.ETag, otherState.RecordExists));
        Assert.False(otherName.RecordExists);
        database.Dispose();
    }

    [Fact]
    public async Task SerializerWithoutPooledCalls_WritesAndReadsThroughItsArrays()
    {
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_folder, "marketplace.db") });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "reuse" }), new ArraysOnly());
        var grainId = GrainId.Create("parcel", "p1");
        await storage.WriteStateAsync("parcel", grainId, new GrainState<Dictionary<string, string>>(new() { ["name"] = "bricks" }));

        var read = new GrainState<Dictionary<string, string>>();
        await storage.ReadStateAsync("parcel", grainId, read);

        Assert.Equal(("bricks", "1"), (read.State!["name"], read.ETag));
        database.Dispose();
    }

    /// <summary>A serializer with only <see cref="IGrainStorageSerializer"/>'s calls (as Orleans' own are).</summary>
    private sealed class ArraysOnly : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => MarketplaceStorageSerializer.Instance.Serialize(input);

        public T Deserialize<T>(BinaryData input) => MarketplaceStorageSerializer.Instance.Deserialize<T>(input);
    }

    private static (SqliteDatabase Database, SqliteGrainStorage Storage) Open(string path)
    {
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = path });
        return (database, new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "reuse" }), MarketplaceStorageSerializer.Instance));
    }

    /// <summary>Takes the file's write lock on a connection of its own, so that the writes made meanwhile queue; disposing it releases it (its transaction changed nothing).</summary>
    private static async Task<SqliteConnection> HoldWriteLockAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "BEGIN IMMEDIATE";
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task<List<(string, long, string)>> RowsAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, etag, CAST(payload AS TEXT) FROM grain_state WHERE service_id = 'reuse' ORDER BY grain_id";
        var rows = new List<(string, long, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
        }

        return rows;
    }
}
