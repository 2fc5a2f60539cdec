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

    [Fact]
    public async Task RefreshedSegment_IsSearchable_WithoutItsFilesInTheFolder_UntilACommitWritesThem()
    {
        await using (var engine = LuceneSearchEngine.Open(_folder))
        {
            await engine.IndexAsync([Docs.Lot("brick-a", "Reclaimed clay bricks first")]);
            await engine.CommitAsync();
            var committed = Files();

            await engine.IndexAsync([Docs.Lot("brick-b", "Reclaimed clay bricks second")]);
            Assert.Equal(["brick-b"], (await engine.SearchAsync(new SearchQuery { Text = "second" })).Hits.Select(h => h.Id));
            // The refresh's small segment is held in memory: nothing new in the folder.
            Assert.Empty(Files().Except(committed));

            await engine.CommitAsync();
            Assert.Contains(Files().Except(committed), f => f.EndsWith(".fdt", StringComparison.Ordinal));
        }

        await using var reopened = LuceneSearchEngine.Open(_folder);
        Assert.Equal(["brick-b"], (await reopened.SearchAsync(new SearchQuery { Text = "second" })).Hits.Select(h => h.Id));
    }

    private string[] Files() => [.. Directory.GetFiles(_folder).Select(f => Path.GetFileName(f)!).Where(f => f != "write.lock")];

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
