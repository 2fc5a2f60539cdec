using Marketplace.Domain.Matching;

namespace Marketplace.Domain.Tests.Matching;

public class GeohashTests
{
    [Theory]
    [InlineData(57.64911, 10.40744, 11, "u4pruydqqvj")]
    [InlineData(60.1699, 24.9384, 3, "ud9")]
    [InlineData(60.1699, 24.9384, 6, "ud9wr3")]
    [InlineData(61.4978, 23.7610, 3, "udb")]
    public void Encode_KnownPoints_GivesTheirCells(double lat, double lon, int precision, string expected)
        => Assert.Equal(expected, Geohash.Encode(lat, lon, precision));

    [Fact]
    public void Bounds_ContainTheEncodedPoint_AndACellIsAbout78KmWideAt60North()
    {
        var (south, west, north, east) = Geohash.Bounds("ud9");
        Assert.InRange(60.1699, south, north);
        Assert.InRange(24.9384, west, east);
        var width = new Geo.GeoPoint(60.2, west).DistanceKm(new Geo.GeoPoint(60.2, east));
        Assert.InRange(width, 70, 85);
    }

    [Fact]
    public void CellsWithin_ACircleAcrossACellBorder_ListsBothCells_AndOnlyCellsItTouches()
    {
        // 5 km south of the ud9/udc border (latitude 60.46875), radius 10 km: both cells.
        var cells = Geohash.CellsWithin(60.46875 - 0.045, 24.9, 10);
        Assert.Contains("ud9", cells);
        Assert.Contains("udc", cells);
        Assert.All(cells, c => Assert.True(Geohash.NearestDistanceKm(c, 60.46875 - 0.045, 24.9) <= 10));
        // Deep inside a cell with a small radius: only that cell.
        var (south, west, north, east) = Geohash.Bounds("ud9");
        Assert.Equal(["ud9"], Geohash.CellsWithin((south + north) / 2, (west + east) / 2, 5));
    }

    /// <summary>
    /// The cells of circles anywhere (poles and the date line included), of every radius a demand may have and more (finer
    /// precisions with smaller radii), at precisions 1 to 6, against the plain algorithm (each sampled point encoded as text and kept in a sorted set); and
    /// encoding against the plain per-character bisection.
    /// </summary>
    [Fact]
    public void CellsWithin_AndEncode_AgreeWithThePlainAlgorithm_Everywhere()
    {
        var random = new Random(14);
        for (var i = 0; i < 5_000; i++)
        {
            var latitude = random.NextDouble() * 180 - 90;
            var longitude = random.NextDouble() * 360 - 180;
            var precision = 1 + random.Next(6);
            // Radii up to 1.5 times a demand's largest at the partitions' precision and coarser; smaller ones at finer precisions.
            var largest = precision switch { <= 3 => 300, 4 => 50, _ => 5 };
            var radius = random.Next(3) == 0 ? random.NextDouble() : random.NextDouble() * largest;
            Assert.Equal(PlainEncode(latitude, longitude, precision), Geohash.Encode(latitude, longitude, precision));
            Assert.Equal(PlainCellsWithin(latitude, longitude, radius, precision), Geohash.CellsWithin(latitude, longitude, radius, precision));
        }
    }

    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    private static string PlainEncode(double latitude, double longitude, int precision)
    {
        double latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
        var chars = new char[precision];
        var even = true;
        for (var c = 0; c < precision; c++)
        {
            var index = 0;
            for (var bit = 0; bit < 5; bit++)
            {
                if (even)
                {
                    var mid = (lonMin + lonMax) / 2;
                    index = (index << 1) | (longitude >= mid ? 1 : 0);
                    (lonMin, lonMax) = longitude >= mid ? (mid, lonMax) : (lonMin, mid);
                }
                else
                {
                    var mid = (latMin + latMax) / 2;
                    index = (index << 1) | (latitude >= mid ? 1 : 0);
                    (latMin, latMax) = latitude >= mid ? (mid, latMax) : (latMin, mid);
                }

                even = !even;
            }

            chars[c] = Alphabet[index];
        }

        return new string(chars);
    }

    private static string[] PlainCellsWithin(double latitude, double longitude, double radiusKm, int precision)
    {
        const double kmPerDegree = 111.195;
        var latDelta = radiusKm / kmPerDegree;
        var lonDelta = radiusKm / (kmPerDegree * Math.Max(0.01, Math.Cos(latitude * Math.PI / 180)));
        var (s0, w0, n0, e0) = Geohash.Bounds(PlainEncode(latitude, longitude, precision));
        var latStep = (n0 - s0) / 2;
        var lonStep = (e0 - w0) / 2;
        var cells = new SortedSet<string>(StringComparer.Ordinal);
        for (var lat = Math.Max(-90, latitude - latDelta); lat <= Math.Min(90, latitude + latDelta) + latStep; lat += latStep)
        {
            for (var lon = longitude - lonDelta; lon <= longitude + lonDelta + lonStep; lon += lonStep)
            {
                var cell = PlainEncode(Math.Clamp(lat, -90, 89.999999), ((lon + 540) % 360) - 180, precision);
                if (!cells.Contains(cell) && Geohash.NearestDistanceKm(cell, latitude, longitude) <= radiusKm)
                {
                    cells.Add(cell);
                }
            }
        }

        return [.. cells];
    }
}
