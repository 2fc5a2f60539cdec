using System.Net;
using Marketplace.Host.Search;
using Marketplace.Search.Lucene;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary><c>reindex</c> rebuilds the index from grain storage, with progress, after the index is lost, and ends with it merged into one segment.</summary>
public class ReindexCommandTests
{
    [Fact]
    public async Task Reindex_AfterTheIndexIsDeleted_RebuildsItFromStorage_WithProgress_AndMergesIt()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-reindex-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
            ["DataPath"] = folder,
            ["Cluster:ServiceId"] = "reindex-" + Guid.NewGuid().ToString("N")[..8],
        };
        try
        {
            var lots = new List<string>();
            await using (var server = await MarketplaceServer.StartAsync(settings))
            {
                var seller = await RegisterFirmAsync(server, "seller");
                for (var i = 0; i < 5; i++)
                {
                    lots.Add(await ActiveLotAsync(server, seller, 10 + i));
                }
            }

            Directory.Delete(Path.Combine(folder, "index"), recursive: true);
            using var output = new StringWriter();
            using var error = new StringWriter();
            // Batches of two, each searchable at once, so that the rebuild writes three segments; a bulk load from 3 lots on.
            string[] bulk = ["--Search:BatchSize=2", "--Search:RefreshInterval=00:00:00", "--Search:BulkMergeMinLots=3"];
            var rc = await ReindexCommand.RunAsync(["reindex", .. settings.Select(kv => $"--{kv.Key}={kv.Value}"), .. bulk], output, error);
            Assert.True(rc == 0, error.ToString());
            Assert.Contains("Reindexing into Lucene: 5/5 (100%)", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("Indexed 5 lots", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("Merged the index into one segment", output.ToString(), StringComparison.Ordinal);
            using (var directory = Lucene.Net.Store.FSDirectory.Open(Path.Combine(folder, "index")))
            using (var reader = Lucene.Net.Index.DirectoryReader.Open(directory))
            {
                Assert.Single(reader.Leaves);
            }

            await using var engine = LuceneSearchEngine.Open(Path.Combine(folder, "index"));
            Assert.Equal(lots.Order(), (await engine.VersionsAsync()).Keys.Order());
            var hits = (await engine.SearchAsync(new Marketplace.Search.SearchQuery { Text = "bricks", Limit = 10 })).Hits;
            Assert.Equal(lots.Order(), hits.Select(h => h.Id).Order());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Reindex_WithoutStorage_SaysWhatToDo()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var rc = await ReindexCommand.RunAsync(["reindex", "--Storage:Sqlite:Path=/nonexistent/marketplace.db", "--DataPath=" + Path.GetTempPath()], output, error);
        Assert.Equal(1, rc);
        Assert.Contains("no grain storage", error.ToString(), StringComparison.Ordinal);
    }
}
