using System.Globalization;
using Marketplace.Domain.Geo;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// The slot-to-document table of each new reader, built from the previous reader's when they share their first segments,
/// equals one built from every segment after any sequence of adds, changes, deletes and merges; and text near a place
/// through the cells, and the loaded hits, are those of the lots as last written.
/// </summary>
public sealed class LuceneSlotDocsTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-slotdocs-" + Guid.NewGuid().ToString("N"));
    private LuceneSearchEngine _engine = null!;

    public Task InitializeAsync()
    {
        // No refresh interval: every batch opens a new reader.
        _engine = LuceneSearchEngine.Open(_folder);
        _engine.CellFilterMaxShare = 1;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task TableOfEachRefresh_AfterRandomAddsChangesDeletesAndMerges_EqualsAFullRebuild()
    {
        var random = new Random(14);
        var lots = new Dictionary<string, (long Version, string Title, double Lat, double Lon)>(StringComparer.Ordinal);
        var centre = new GeoPoint(Docs.Helsinki.Lat, Docs.Helsinki.Lon);
        for (var step = 0; step < 60; step++)
        {
            var operation = random.Next(10);
            if (operation < 7)
            {
                // Adds and changes (a change moves the lot, so a new segment holds it and an old one has it deleted).
                var batch = new List<ListingDocument>();
                for (var i = random.Next(1, 6); i > 0; i--)
                {
                    var id = "lot-" + random.Next(80).ToString("D3", CultureInfo.InvariantCulture);
                    var version = (lots.TryGetValue(id, out var old) ? old.Version : 0) + 1;
                    var lot = (version, random.Next(2) == 0 ? "Reclaimed granite" : "Roof tiles", centre.Latitude + ((random.NextDouble() - 0.5) * 0.4), centre.Longitude + ((random.NextDouble() - 0.5) * 0.8));
                    lots[id] = lot;
                    batch.Add(Docs.Lot(id, lot.Item2, version: version, lat: lot.Item3, lon: lot.Item4));
                }

                await _engine.IndexAsync(batch);
            }
            else if (operation < 9)
            {
                var ids = lots.Keys.Order(StringComparer.Ordinal).Where(_ => random.Next(4) == 0).ToArray();
                foreach (var id in ids)
                {
                    lots.Remove(id);
                }

                await _engine.DeleteAsync(ids);
            }
            else
            {
                _engine.ForceMerge(random.Next(1, 4));
            }

            // Most readers build their table at once, from the one before; a third are skipped (the next builds from an older one, after a lot changed and then removed, say).
            if (random.Next(3) == 0)
            {
                continue;
            }

            AssertTableEqualsAFullRebuild();

            // Text near a place through the cells, its hits loaded: the lots as last written.
            var found = await _engine.SearchAsync(new SearchQuery { Text = "granite", Near = centre, RadiusKm = 15, Limit = SearchQuery.MaxLimit });
            var expected = lots.Where(l => l.Value.Title.Contains("granite", StringComparison.Ordinal) && centre.DistanceKm(new GeoPoint(l.Value.Lat, l.Value.Lon)) <= 15)
                .Select(l => l.Key).Order(StringComparer.Ordinal);
            Assert.Equal(expected, found.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
            Assert.All(found.Hits, h => Assert.Equal((lots[h.Id].Lat, lots[h.Id].Lon), (h.Latitude, h.Longitude)));
        }
    }

    [Fact]
    public async Task ALotChangedAndThenRemoved_BetweenTwoTables_HasNoDocument()
    {
        await _engine.IndexAsync([Docs.Lot("lot-a", "Reclaimed granite"), Docs.Lot("lot-b", "Roof tiles")]);
        AssertTableEqualsAFullRebuild();
        // Changed (deleted in the first segment, added to the second beside lot-c), then removed, with no table between.
        await _engine.IndexAsync([Docs.Lot("lot-a", "Reclaimed granite", version: 2), Docs.Lot("lot-c", "Roof tiles")]);
        // The second segment's slots read while lot-a is still known (as a query collecting there does), no table built.
        var searcher = _engine.AcquireSearcher();
        try
        {
            _engine.FullDocsOf(searcher.IndexReader);
        }
        finally
        {
            _engine.ReleaseSearcher(searcher);
        }

        await _engine.DeleteAsync(["lot-a"]);
        AssertTableEqualsAFullRebuild();
        Assert.Empty((await _engine.SearchAsync(new SearchQuery { Text = "granite", Near = new GeoPoint(Docs.Helsinki.Lat, Docs.Helsinki.Lon), RadiusKm = 15 })).Hits);
    }

    private void AssertTableEqualsAFullRebuild()
    {
        var searcher = _engine.AcquireSearcher();
        try
        {
            var full = _engine.FullDocsOf(searcher.IndexReader);
            Assert.Equal(full, Enumerable.Range(0, full.Length).Select(slot => _engine.DocOf(searcher.IndexReader, slot)));
        }
        finally
        {
            _engine.ReleaseSearcher(searcher);
        }
    }
}
