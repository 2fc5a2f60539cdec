using Marketplace.Grains.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>How the SQLite file lays grain states out.</summary>
public sealed class SqliteFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-sqlite-file-").FullName;

    public void Dispose() => ContractStores.DeleteSqlite(_folder);

    [Fact]
    public async Task LotSizedStates_AreStoredWithoutOverflowPages()
    {
        // A lot is 1.5–2.5 KB of JSON. With 4 KiB pages a WITHOUT ROWID row keeps about 1,000 bytes in the B-tree and
        // the rest on an overflow page of its own: about 5 KB of file (and of write-ahead log, fsynced) per lot.
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_folder, "marketplace.db") });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "file" }), MarketplaceStorageSerializer.Instance);
        const int Lots = 1_000, Bytes = 1_800;
        var payload = new byte[Bytes];
        Array.Fill(payload, (byte)'x');
        await storage.CreateAllAsync(Enumerable.Range(0, Lots).Select(i => new NewGrainState("listing", GrainId.Create("listing", $"lot-{i:D5}"), payload)).ToArray());

        var (pages, pageSize) = await FileSizeAsync(database);

        Assert.True(pages * pageSize < Lots * Bytes * 1.6, $"{Lots:N0} states of {Bytes:N0} bytes take {pages:N0} pages of {pageSize:N0} bytes");
        database.Dispose();
    }

    [Fact]
    public async Task NewStatesWithHashedKeys_WriteAboutTheirOwnBytesToTheLog_NotTheWholeTable()
    {
        // Lot ids are hashes: in a table ordered by key a batch of new lots lands on nearly every leaf page, and each
        // dirtied page goes to the write-ahead log (and is fsynced) whole. Here 400 new states after 4,000.
        var path = Path.Combine(_folder, "marketplace.db");
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = path });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "file" }), MarketplaceStorageSerializer.Instance);
        var payload = new byte[900];
        Array.Fill(payload, (byte)'x');
        NewGrainState[] Lots(int from, int count) => Enumerable.Range(from, count)
            .Select(i => new NewGrainState("listing", GrainId.Create("listing", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))[..32]), payload))
            .ToArray();
        await storage.CreateAllAsync(Lots(0, 4_000));
        await using (var connection = database.OpenForReading())
        {
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync();
        }

        await storage.CreateAllAsync(Lots(4_000, 400));

        var logged = new FileInfo(path + "-wal").Length;
        Assert.True(logged < 400 * payload.Length * 4, $"400 new states of {payload.Length:N0} bytes wrote {logged:N0} bytes of log");
        database.Dispose();
    }

    [Fact]
    public async Task BulkCreateFailingInTheFile_FailsAlone_WritesSharingItsCommitAreStored()
    {
        var path = Path.Combine(_folder, "marketplace.db");
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = path });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "file" }), MarketplaceStorageSerializer.Instance);
        var refused = GrainId.Create("listing", "refused");
        await using var other = new SqliteConnection($"Data Source={path};Pooling=False");
        await other.OpenAsync();
        await using var command = other.CreateCommand();
        command.CommandText = $"CREATE TRIGGER refuse_lot BEFORE INSERT ON grain_state WHEN NEW.grain_id = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
        await command.ExecuteNonQueryAsync();

        // The file's write lock is held elsewhere, so the three writes queue and the last two share a commit.
        command.CommandText = "BEGIN IMMEDIATE";
        await command.ExecuteNonQueryAsync();
        GrainState<Dictionary<string, string>> State(string name) => new(new() { ["name"] = name });
        var first = storage.WriteStateAsync("parcel", GrainId.Create("parcel", "p1"), State("bricks"));
        var bulk = storage.CreateAllAsync([new NewGrainState("listing", GrainId.Create("listing", "fine"), "{}"u8.ToArray()), new NewGrainState("listing", refused, "{}"u8.ToArray())]);
        var neighbour = storage.WriteStateAsync("parcel", GrainId.Create("parcel", "p2"), State("tiles"));
        command.CommandText = "COMMIT";
        await command.ExecuteNonQueryAsync();

        await first;
        await Assert.ThrowsAsync<SqliteException>(() => bulk);
        await neighbour;
        var read = new GrainState<Dictionary<string, string>>();
        await storage.ReadStateAsync("parcel", GrainId.Create("parcel", "p2"), read);
        Assert.Equal("tiles", read.State!["name"]);
        Assert.Empty(await storage.ReadManyAsync<Dictionary<string, string>>("listing", [GrainId.Create("listing", "fine")]));
        database.Dispose();
    }

    [Fact]
    public async Task FileCreatedWithSmallerPages_KeepsThem_AndStillStores()
    {
        var path = Path.Combine(_folder, "old.db");
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            await using var command = old.CreateCommand();
            command.CommandText = "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE made_before (x INTEGER);";
            await command.ExecuteNonQueryAsync();
        }

        var database = new SqliteDatabase(new SqliteStorageOptions { Path = path });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "file" }), MarketplaceStorageSerializer.Instance);
        var grainId = GrainId.Create("parcel", "p1");
        await storage.WriteStateAsync("parcel", grainId, new GrainState<Dictionary<string, string>>(new() { ["name"] = "bricks" }));
        var read = new GrainState<Dictionary<string, string>>();
        await storage.ReadStateAsync("parcel", grainId, read);

        Assert.Equal("bricks", read.State!["name"]);
        Assert.Equal(4096, (await FileSizeAsync(database)).PageSize);
        database.Dispose();
    }

    private static async Task<(long Pages, long PageSize)> FileSizeAsync(SqliteDatabase database)
    {
        await using var connection = database.OpenForReading();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_count";
        var pages = (long)(await command.ExecuteScalarAsync())!;
        command.CommandText = "PRAGMA page_size";
        return (pages, (long)(await command.ExecuteScalarAsync())!);
    }
}
