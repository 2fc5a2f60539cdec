using System.Diagnostics;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// The searcher refreshes at a bounded rate under a stream of small batches (each refresh writes a segment), and the
/// last batch still becomes searchable without a commit.
/// </summary>
public sealed class LuceneRefreshTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-refresh-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task SmallBatches_WithinTheRefreshInterval_RefreshOnce_AndCommitMakesThemVisible()
    {
        await using var engine = LuceneSearchEngine.Open(_folder, TimeSpan.FromHours(1));
        var before = engine.Refreshes;
        for (var i = 0; i < 20; i++)
        {
            await engine.IndexAsync([Docs.Lot($"brick-{i}", $"Reclaimed clay bricks lot{i}")]);
        }

        // The first batch refreshed at once; the next 19 wait for the interval (an hour here).
        Assert.Equal(before + 1, engine.Refreshes);
        Assert.Equal(["brick-0"], (await engine.SearchAsync(new SearchQuery { Text = "lot0" })).Hits.Select(h => h.Id));
        Assert.Empty((await engine.SearchAsync(new SearchQuery { Text = "lot19" })).Hits);

        await engine.CommitAsync();
        Assert.Equal(["brick-19"], (await engine.SearchAsync(new SearchQuery { Text = "lot19" })).Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task LastBatch_WithinTheRefreshInterval_BecomesSearchable_WithoutACommit()
    {
        await using var engine = LuceneSearchEngine.Open(_folder, TimeSpan.FromMilliseconds(50));
        await engine.IndexAsync([Docs.Lot("brick-a", "Reclaimed clay bricks first")]);
        await engine.IndexAsync([Docs.Lot("brick-b", "Reclaimed clay bricks second")]);
        await engine.DeleteAsync(["brick-a"]);

        var deadline = Stopwatch.StartNew();
        IEnumerable<string> ids;
        do
        {
            ids = (await engine.SearchAsync(new SearchQuery { Text = "reclaimed" })).Hits.Select(h => h.Id);
            if (ids.SequenceEqual(["brick-b"]))
            {
                break;
            }

            await Task.Delay(10);
        }
        while (deadline.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(["brick-b"], ids);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
