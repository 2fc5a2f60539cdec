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
}
