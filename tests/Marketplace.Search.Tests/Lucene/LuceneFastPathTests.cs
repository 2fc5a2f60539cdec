using System.Globalization;
using Marketplace.Domain.Geo;
using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// The embedded engine's fast paths give exactly the answers of the plain definitions: the radius test on unit vectors
/// passes the lots whose haversine distance is within the radius, the distance sort skips lots on the haversine term
/// yet pages in exact distance order, and the id tie-break on a 16-byte prefix orders as the ordinal string comparison.
/// </summary>
public sealed class LuceneFastPathTests : IAsyncLifetime
{
    private static readonly GeoPoint Centre = new(Docs.Helsinki.Lat, Docs.Helsinki.Lon);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-fast-" + Guid.NewGuid().ToString("N"));
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
    public async Task Search_LotsAroundTheRadius_PassExactlyWhenTheHaversineDistanceIsWithin()
    {
        // Lots on rays from the centre at distances a hair inside and outside 10 km (and farther), found by bisection on
        // GeoPoint.DistanceKm, so that any rounding difference between the chord and the haversine would show.
        var random = new Random(14);
        var lots = new List<ListingDocument>();
        for (var i = 0; i < 120; i++)
        {
            var bearing = random.NextDouble() * 2 * Math.PI;
            var target = i % 3 == 2 ? 10 + (random.NextDouble() * 0.002) - 0.001 : 10 + ((i % 3 == 0 ? -1 : 1) * 1e-9);
            var point = PointAt(bearing, target);
            lots.Add(Docs.Lot("ray-" + i.ToString("D3", CultureInfo.InvariantCulture), "Ray lot", lat: point.Latitude, lon: point.Longitude));
        }

        await _engine.IndexAsync(lots);
        var expected = lots.Where(l => Centre.DistanceKm(new GeoPoint(l.Latitude, l.Longitude)) <= 10).Select(l => l.Id).Order(StringComparer.Ordinal);
        var result = _engine.Search(new SearchQuery { Near = Centre, RadiusKm = 10, Limit = 100 });
        Assert.Equal(expected.Count(), result.Total);
        var found = new List<string>();
        for (string? cursor = null; ;)
        {
            var page = _engine.Search(new SearchQuery { Near = Centre, RadiusKm = 10, Sort = SearchSort.Distance, Limit = 7, Cursor = cursor });
            found.AddRange(page.Hits.Select(h => h.Id));
            if ((cursor = page.NextCursor) is null)
            {
                break;
            }
        }

        Assert.Equal(expected, found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Search_ByDistanceWithTiesAndWideIds_PagesInDistanceThenOrdinalIdOrder()
    {
        // Many lots share a position (equal distances): the order falls to the ids, some of which differ only after
        // 16 characters or in characters beyond one byte, where the prefix key cannot decide.
        var ids = new[] { "a", "a\u0100b", "a\u0101a", "aÿz", "aÿ", "b", "lot-0000000000000001", "lot-0000000000000001x", "lot-0000000000000002", "Z", "\u00e4", "\u20ac", "lot-000000000000000" };
        var random = new Random(15);
        var lots = new List<ListingDocument>();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var point = PointAt(random.NextDouble() * 2 * Math.PI, 1 + (i % 3));
            lots.Add(Docs.Lot(id, "Tied lot", lat: point.Latitude, lon: point.Longitude));
        }

        await _engine.IndexAsync(lots);
        var expected = lots.Select(l => (Distance: Centre.DistanceKm(new GeoPoint(l.Latitude, l.Longitude)), l.Id))
            .OrderBy(x => x.Distance).ThenBy(x => x.Id, StringComparer.Ordinal).Select(x => x.Id).ToArray();
        var found = new List<string>();
        for (string? cursor = null; ;)
        {
            var page = _engine.Search(new SearchQuery { Near = Centre, RadiusKm = 50, Sort = SearchSort.Distance, Limit = 2, Cursor = cursor });
            found.AddRange(page.Hits.Select(h => h.Id));
            if ((cursor = page.NextCursor) is null)
            {
                break;
            }
        }

        Assert.Equal(expected, found);
    }

    [Fact]
    public void IdOrder_OfAnyTwoIds_NeverContradictsTheOrdinalComparison()
    {
        var alphabet = "ab-0\u00ff\u0100\u20ac\0".ToCharArray();
        var random = new Random(16);
        string Id() => new(Enumerable.Range(0, random.Next(0, 22)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        for (var i = 0; i < 20_000; i++)
        {
            var (a, b) = (Id(), Id());
            var byKey = ListingColumns.IdOrder(a).CompareTo(ListingColumns.IdOrder(b));
            if (byKey != 0)
            {
                Assert.True(Math.Sign(byKey) == Math.Sign(string.CompareOrdinal(a, b)), $"'{a}' vs '{b}'");
            }
        }
    }

    /// <summary>The point at a haversine distance from the centre along a bearing (bisection on the distance).</summary>
    private static GeoPoint PointAt(double bearing, double km)
    {
        var (low, high) = (0.0, 1.0);
        GeoPoint At(double degrees) => new(Centre.Latitude + (degrees * Math.Cos(bearing)), Centre.Longitude + (degrees * Math.Sin(bearing) * 2));
        for (var i = 0; i < 200; i++)
        {
            var mid = (low + high) / 2;
            (low, high) = Centre.DistanceKm(At(mid)) < km ? (mid, high) : (low, mid);
        }

        return At(low);
    }
}
