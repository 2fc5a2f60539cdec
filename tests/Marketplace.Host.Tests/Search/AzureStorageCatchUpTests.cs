using System.Net;
using Marketplace.Host.Search;
using Marketplace.Search.Lucene;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>
/// With Azure Table grain storage (Azurite) a host whose index has never seen the lots finds them: the catch-up on start
/// and <c>reindex</c> read them from the table, as they read SQLite in the embedded mode.
/// </summary>
public class AzureStorageCatchUpTests
{
    [Fact]
    public async Task CatchUp_OnAzureTableStorage_IndexesLotsWrittenBeforeTheHostStarted()
    {
        var connection = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite.");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["Storage:AzureStorage:ConnectionString"] = connection,
            ["Storage:AzureStorage:TableName"] = "CatchUp" + Guid.NewGuid().ToString("N")[..12],
            ["Cluster:ServiceId"] = "catchup-" + Guid.NewGuid().ToString("N")[..8],
        };

        string seller;
        var lots = new List<string>();
        await using (var first = await MarketplaceServer.StartAsync(settings))
        {
            seller = await RegisterFirmAsync(first, "seller");
            for (var i = 0; i < 3; i++)
            {
                lots.Add(await ActiveLotAsync(first, seller, 10 + i));
            }
        }

        // Another host with its own, empty index (a new data folder), on the same table and ServiceId.
        await using (var second = await MarketplaceServer.StartAsync(settings))
        {
            await second.Services.GetRequiredService<SearchFeed>().CaughtUp.WaitAsync(TimeSpan.FromSeconds(60));
            var page = await ReadAsync(await second.Client().GetAsync($"/api/v1/listings/search?seller={seller}&limit=100"), HttpStatusCode.OK);
            Assert.Equal(lots.Order(), page["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).Order());
        }

        // reindex reads the same table.
        var folder = MarketplaceServer.NewDataPath();
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var rc = await ReindexCommand.RunAsync(["reindex", .. settings.Append(new("DataPath", folder)).Select(kv => $"--{kv.Key}={kv.Value}")], output, error);
            Assert.True(rc == 0, error.ToString());
            Assert.Contains("Indexed 3 lots", output.ToString(), StringComparison.Ordinal);
            await using var engine = LuceneSearchEngine.Open(Path.Combine(folder, "index"));
            Assert.Equal(lots.Order(), (await engine.VersionsAsync()).Keys.Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
