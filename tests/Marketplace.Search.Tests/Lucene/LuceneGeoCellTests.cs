using System.Globalization;
using Marketplace.Domain.Geo;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// Text near a place matched only among the lots in the cells around the circle gives exactly the answers of matching
/// the words everywhere and checking the distance after: the same hits, order, scores, totals and facets, and the lots a
/// brute-force distance check keeps, with lots on the circle, on cell borders and at the covering's edges.
/// </summary>
public sealed class LuceneGeoCellTests : IAsyncLifetime
{
    private static readonly string[] Titles = ["Reclaimed red bricks", "Clean bricks", "Reclaimed roof tiles", "Reclaimed bricks from a school"];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-cells-" + Guid.NewGuid().ToString("N"));
    private LuceneSearchEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = LuceneSearchEngine.Open(_folder);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Search_TextNearAPlaceThroughCells_EqualsTheWordsEverywhereAndBruteForceDistance()
    {
        // Centres in a cell's middle and on a cell corner; radii from inside one cell to many cells.
        GeoPoint[] centres = [new(Docs.Helsinki.Lat, Docs.Helsinki.Lon), new(60.0, 25.0), new(61.4978, 23.7610)];
        double[] radii = [0.5, 7, 23.4, 60];
        var random = new Random(30);
        var lots = new List<ListingDocument>();
        void Add(double lat, double lon) => lots.Add(Docs.Lot("lot-" + lots.Count.ToString("D5", CultureInfo.InvariantCulture), Titles[lots.Count % Titles.Length],
            category: lots.Count % 3 == 0 ? "masonry/bricks" : "masonry/blocks", condition: ((char)('A' + (lots.Count % 3))).ToString(), lat: lat, lon: lon,
            status: lots.Count % 11 == 0 ? "sold-out" : "active"));
        foreach (var centre in centres)
        {
            foreach (var radius in radii)
            {
                // On the circle, a hair inside and outside, due north, east, south and west (the covering's edges) and on random rays.
                for (var i = 0; i < 24; i++)
                {
                    var bearing = i < 8 ? i * Math.PI / 4 : random.NextDouble() * 2 * Math.PI;
                    foreach (var factor in new[] { 1 - 1e-9, 1 + 1e-9, 0.999 })
                    {
                        var point = PointAt(centre, bearing, radius * factor);
                        Add(point.Latitude, point.Longitude);
                    }
                }
            }

            // On cell borders and corners around the centre, and scattered.
            for (var row = -12; row <= 12; row++)
            {
                for (var column = -4; column <= 4; column++)
                {
                    Add(Math.Round(centre.Latitude, 1) + (row * GeoCells.LatitudeStep), Math.Round(centre.Longitude / 0.2) * 0.2 + (column * 3 * GeoCells.LongitudeStep));
                }
            }

            for (var i = 0; i < 200; i++)
            {
                Add(centre.Latitude + ((random.NextDouble() - 0.5) * 2.5), centre.Longitude + ((random.NextDouble() - 0.5) * 5));
            }
        }

        // Several batches: several segments, each numbering its documents from its own first one.
        foreach (var batch in lots.Chunk(700))
        {
            await _engine.IndexAsync(batch);
        }

        var byId = lots.ToDictionary(l => l.Id, StringComparer.Ordinal);
        var texts = new[] { "reclaimed bricks", "bricks" };
        var anywhere = texts.ToDictionary(t => t, t => Pages(new SearchQuery { Text = t, Limit = SearchQuery.MaxLimit }).Hits.Select(h => byId[h.Id]).ToArray());
        foreach (var centre in centres)
        {
            foreach (var radius in radii)
            {
                foreach (var text in texts)
                {
                    // Brute force: the words' matches anywhere (more than a page: no relaxed second pass), then the haversine distance.
                    var query = new SearchQuery { Text = text, Near = centre, RadiusKm = radius, Limit = SearchQuery.MaxLimit };
                    var expected = anywhere[text].Where(l => centre.DistanceKm(new GeoPoint(l.Latitude, l.Longitude)) <= radius)
                        .Select(l => l.Id).Order(StringComparer.Ordinal).ToArray();

                    _engine.CellFilterMaxShare = 0;
                    var everywhere = Pages(query);
                    _engine.CellFilterMaxShare = 1;
                    var cells = Pages(query);
                    _engine.CellFilterRandomAccess = false;
                    var leapFrog = Pages(query);
                    _engine.CellFilterRandomAccess = true;

                    var what = $"'{text}' within {radius} km of {centre.Latitude}, {centre.Longitude}";
                    // Fewer than a page of two words within the radius searches again for most of the words (both paths do).
                    Assert.True(expected.Length > 0, what);
                    if (expected.Length >= query.Limit || !text.Contains(' ', StringComparison.Ordinal))
                    {
                        Assert.Equal(expected, everywhere.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
                        Assert.Equal(expected, cells.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
                    }

                    foreach (var found in new[] { cells, leapFrog })
                    {
                        Assert.Equal(everywhere.Total, found.Total);
                        Assert.Equal(everywhere.Hits.Select(h => (h.Id, h.Score, h.DistanceKm)), found.Hits.Select(h => (h.Id, h.Score, h.DistanceKm)));
                        Assert.Equal(Facets(everywhere.Facets), Facets(found.Facets));
                    }
                }
            }
        }
    }

    [Fact]
    public void Covering_ACircleReachingAPoleOrThe180thMeridian_HasNoCells()
    {
        Assert.Null(GeoCells.Covering(new GeoPoint(89.5, 10), 100));
        Assert.Null(GeoCells.Covering(new GeoPoint(-60, 179.9), 50));
        Assert.NotNull(GeoCells.Covering(new GeoPoint(60, 25), 100));
    }

    /// <summary>Every page of a query (cursor after cursor): the hits in order, the first page's total and facets.</summary>
    private (List<SearchHit> Hits, long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets) Pages(SearchQuery query)
        => EnginePages.Read(_engine, query);

    private static string Facets(IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> facets) => EnginePages.Facets(facets);

    /// <summary>The point at a haversine distance from a centre along a bearing (bisection on the distance).</summary>
    private static GeoPoint PointAt(GeoPoint centre, double bearing, double km)
    {
        var (low, high) = (0.0, 2.0);
        GeoPoint At(double degrees) => new(centre.Latitude + (degrees * Math.Cos(bearing)), centre.Longitude + (degrees * Math.Sin(bearing) * 2));
        for (var i = 0; i < 200; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = centre.DistanceKm(At(mid)) < km ? (mid, high) : (low, mid);
        }

        return At(low);
    }
}
