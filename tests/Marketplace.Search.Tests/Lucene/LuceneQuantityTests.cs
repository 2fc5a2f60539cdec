using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// A change of only a lot's quantity or status (a hold, its release) updates the columns without analysing the text
/// again; what a search answers is the same as after a whole rewrite, and a restart finds the lot stale.
/// </summary>
public sealed class LuceneQuantityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-quantity-" + Guid.NewGuid().ToString("N"));

    private static ListingDocument Bricks => Docs.Lot("brick-kallio", "Reclaimed red clay bricks", available: 40, version: 1);

    [Fact]
    public async Task IndexAsync_QuantityAndStatusOnly_WritesNoDocument_AndSearchesAnswerTheNewQuantity()
    {
        await using var engine = LuceneSearchEngine.Open(_folder);
        await engine.IndexAsync([Bricks, Docs.Lot("tiles", "Glazed clay roof tiles", category: "roofing/tiles", available: 10)]);
        var written = engine.DocumentsWritten;

        await engine.IndexAsync([Bricks with { Version = 2, Available = 25.5m, DetailsSince = 1 }]);

        Assert.Equal(written, engine.DocumentsWritten);
        Assert.Equal(2, (await engine.VersionsAsync())["brick-kallio"]);
        Assert.Equal(25.5m, (await engine.SearchAsync(new SearchQuery { Text = "bricks" })).Hits.Single().Available);
        Assert.Equal(["brick-kallio"], (await engine.SearchAsync(new SearchQuery { MinQuantity = 20 })).Hits.Select(h => h.Id));
        Assert.Empty((await engine.SearchAsync(new SearchQuery { Text = "bricks", MinQuantity = 30 })).Hits);

        // Sold out, then back: the status alone, still no document written.
        await engine.IndexAsync([Bricks with { Version = 3, Available = 0, Status = "sold-out", DetailsSince = 1 }]);
        Assert.Empty((await engine.SearchAsync(new SearchQuery { Text = "bricks" })).Hits);
        Assert.Equal(["tiles"], (await engine.SearchAsync(new SearchQuery { Text = "clay" })).Hits.Select(h => h.Id));
        await engine.IndexAsync([Bricks with { Version = 4, Available = 40, DetailsSince = 1 }]);
        Assert.Equal(40m, (await engine.SearchAsync(new SearchQuery { Text = "bricks" })).Hits.Single().Available);
        Assert.Equal(written, engine.DocumentsWritten);
    }

    [Fact]
    public async Task IndexAsync_DetailsNewerThanTheIndexedVersion_RewritesTheDocument()
    {
        await using var engine = LuceneSearchEngine.Open(_folder);
        await engine.IndexAsync([Bricks]);

        // Edited at 2, held at 3: the index has 1, older than the details, so the whole document is written.
        await engine.IndexAsync([Bricks with { Version = 3, Title = "Reclaimed yellow bricks", Available = 30, DetailsSince = 2 }]);
        Assert.Equal(30m, (await engine.SearchAsync(new SearchQuery { Text = "yellow" })).Hits.Single().Available);
        Assert.Empty((await engine.SearchAsync(new SearchQuery { Text = "red" })).Hits);

        // Then a release: the quantity alone over the rewritten document.
        var written = engine.DocumentsWritten;
        await engine.IndexAsync([Bricks with { Version = 4, Title = "Reclaimed yellow bricks", Available = 40, DetailsSince = 2 }]);
        Assert.Equal(written, engine.DocumentsWritten);
        Assert.Equal(40m, (await engine.SearchAsync(new SearchQuery { Text = "yellow" })).Hits.Single().Available);
    }

    [Fact]
    public async Task Reopen_AfterQuantityOnlyChange_ReportsTheVersionWrittenWhole_SoTheCatchUpWritesItAgain()
    {
        var engine = LuceneSearchEngine.Open(_folder);
        await engine.IndexAsync([Bricks]);
        await engine.IndexAsync([Bricks with { Version = 2, Available = 25, DetailsSince = 1 }]);
        await engine.CommitAsync();
        await engine.DisposeAsync();

        var reopened = LuceneSearchEngine.Open(_folder);
        Assert.Equal(1, (await reopened.VersionsAsync())["brick-kallio"]);
        Assert.Equal(40m, (await reopened.SearchAsync(new SearchQuery { Text = "bricks" })).Hits.Single().Available);

        // The start-up catch-up hands over the stored lot without its details' age: written whole, durable this time.
        await reopened.IndexAsync([Bricks with { Version = 2, Available = 25 }]);
        Assert.Equal(1, reopened.DocumentsWritten);
        Assert.Equal(25m, (await reopened.SearchAsync(new SearchQuery { Text = "bricks" })).Hits.Single().Available);
        await reopened.CommitAsync();
        await reopened.DisposeAsync();

        await using var again = LuceneSearchEngine.Open(_folder);
        Assert.Equal(2, (await again.VersionsAsync())["brick-kallio"]);
        Assert.Equal(25m, (await again.SearchAsync(new SearchQuery { Text = "bricks" })).Hits.Single().Available);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
