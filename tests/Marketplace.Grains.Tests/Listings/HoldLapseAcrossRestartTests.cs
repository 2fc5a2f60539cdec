using Marketplace.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>A hold whose expiry passes while the silo is down lapses after the restart, with no request touching the lot.</summary>
public sealed class HoldLapseAcrossRestartTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-restart-").FullName;

    [Fact]
    public async Task Hold_ExpiringWhileSiloIsDown_LapsesAfterRestart()
    {
        var settings = TestClusters.Settings("Sqlite");
        var database = Path.Combine(_folder, "marketplace.db");
        settings["Storage:Sqlite:Path"] = database;
        var serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        string lotId;

        await using (var before = await TestClusters.StartAsync(settings, serviceId))
        {
            var seller = await TestClusters.RegisterFirmAsync(before.Client, "seller");
            var buyer = await TestClusters.RegisterFirmAsync(before.Client, "buyer");
            var lot = await TestClusters.ActiveLotAsync(before.Client, seller, 50);
            lotId = lot.GetPrimaryKeyString();
            await lot.PlaceHoldAsync(buyer, "h1", 20, DateTimeOffset.UtcNow.AddSeconds(3));
        }

        Assert.Equal("active", await StoredHoldStatusAsync(database, serviceId, lotId));

        // Only the restarted silo runs; the test reads the database file and never calls the lot's grain.
        await using var after = await TestClusters.StartAsync(settings, serviceId);
        var lapsed = await Eventually.TrueAsync(
            async () => await StoredHoldStatusAsync(database, serviceId, lotId) == "lapsed",
            TimeSpan.FromSeconds(60));

        Assert.True(lapsed, "the hold was not lapsed in storage within 60 s of the restart");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<string?> StoredHoldStatusAsync(string database, string serviceId, string lotId)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM grain_state WHERE service_id = $s AND state_name = 'listing' AND grain_id = $g";
        command.Parameters.AddWithValue("$s", serviceId);
        command.Parameters.AddWithValue("$g", $"listing/{lotId}");
        if (await command.ExecuteScalarAsync() is not byte[] payload)
        {
            return null;
        }

        var listing = new BinaryData(payload).ToObjectFromJson<Domain.Listings.Listing>(Common.MarketplaceJson.Options)!;
        return listing.Holds.Single().Status.ToString().ToLowerInvariant();
    }
}
