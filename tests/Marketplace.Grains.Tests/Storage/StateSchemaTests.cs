using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>Stored states carry a schema version, and a state stored in an older shape loads after the shape changed.</summary>
public sealed class StateSchemaTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-schema-").FullName;

    /// <summary>Version 2 of a state whose version 1 kept quantity and unit in one text (<c>"amount": "12.5 t"</c>).</summary>
    public sealed record Parcel
    {
        public decimal Quantity { get; init; }

        public string Unit { get; init; } = "";

        public string Name { get; init; } = "";
    }

    private static StateSchemas Schemas { get; } = new StateSchemas().Register<Parcel>(2, v1 =>
    {
        var amount = v1["amount"]!.GetValue<string>().Split(' ');
        v1.Remove("amount");
        v1["quantity"] = decimal.Parse(amount[0], System.Globalization.CultureInfo.InvariantCulture);
        v1["unit"] = amount[1];
        return v1;
    });

    [Fact]
    public async Task StateStoredInThePreviousShape_LoadsUpgraded_AndIsWrittenBackWithTheNewVersion()
    {
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_folder, "marketplace.db") });
        var storage = new SqliteGrainStorage(database, Options.Create(new ClusterOptions { ServiceId = "schema" }), new MarketplaceStorageSerializer(Schemas));
        var grainId = GrainId.Create("parcel", "p1");
        await InsertRawAsync(database, "parcel/p1", """{"name":"bricks","amount":"12.5 t"}""");

        var state = new GrainState<Parcel>();
        await storage.ReadStateAsync("parcel", grainId, state);
        Assert.Equal(new Parcel { Quantity = 12.5m, Unit = "t", Name = "bricks" }, state.State);

        await storage.WriteStateAsync("parcel", grainId, state);
        var stored = JsonNode.Parse(await ReadRawAsync(database, "parcel/p1"))!;
        Assert.Equal(2, stored[MarketplaceStorageSerializer.SchemaProperty]!.GetValue<int>());
        Assert.Null(stored["amount"]);
        var again = new GrainState<Parcel>();
        await storage.ReadStateAsync("parcel", grainId, again);
        Assert.Equal(state.State, again.State);
    }

    [Fact]
    public void StateStoredByANewerVersion_IsRefused_RatherThanReadWithFieldsDropped()
    {
        var serializer = new MarketplaceStorageSerializer(Schemas);
        var newer = BinaryData.FromString("""{"schemaVersion":3,"quantity":1,"unit":"t","name":"x","colour":"red"}""");

        var refused = Assert.Throws<InvalidOperationException>(() => serializer.Deserialize<Parcel>(newer));
        Assert.Contains("schema version 3", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Listing_StoredBeforeVersionsExisted_LoadsAsVersionOne_AndIsNowStoredWithItsVersion()
    {
        var listing = Listing.Create("lot-1", "seller-1", SampleLots.Bricks(100), Marketplace.Domain.Materials.MaterialTaxonomy.Default, DateTimeOffset.UtcNow);
        var unversioned = new BinaryData(JsonSerializer.SerializeToUtf8Bytes(listing, MarketplaceJson.Options));

        var read = MarketplaceStorageSerializer.Instance.Deserialize<Listing>(unversioned);
        var written = JsonNode.Parse(MarketplaceStorageSerializer.Instance.Serialize(read).ToString())!;

        Assert.Equal(unversioned.ToString(), JsonSerializer.Serialize(read, MarketplaceJson.Options));
        Assert.Equal(1, written[MarketplaceStorageSerializer.SchemaProperty]!.GetValue<int>());
    }

    private static async Task InsertRawAsync(SqliteDatabase database, string grainId, string json)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO grain_state (service_id, state_name, grain_id, etag, payload, updated_at) VALUES ('schema', 'parcel', $g, 1, $p, '2026-01-01T00:00:00Z')";
        command.Parameters.AddWithValue("$g", grainId);
        command.Parameters.AddWithValue("$p", System.Text.Encoding.UTF8.GetBytes(json));
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ReadRawAsync(SqliteDatabase database, string grainId)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(payload AS TEXT) FROM grain_state WHERE service_id = 'schema' AND grain_id = $g";
        command.Parameters.AddWithValue("$g", grainId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
