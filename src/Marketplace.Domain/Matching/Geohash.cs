namespace Marketplace.Domain.Matching;

/// <summary>
/// Geohash cells (base-32, interleaved longitude/latitude bits). Precision 3 gives cells of about 156 km × 156 km at
/// the equator (about 78 km wide at 60° N): the matching partitions' coarse geographic key.
/// </summary>
public static class Geohash
{
    /// <summary>Precision of the matching partitions' cells.</summary>
    public const int PartitionPrecision = 3;

    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    /// <summary>The cell containing the point, <paramref name="precision"/> characters long (1 to 12).</summary>
    public static string Encode(double latitude, double longitude, int precision = PartitionPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, 12);
        return Text(Bits(latitude, longitude, precision), precision);
    }

    /// <summary>
    /// The cell's 5 × <paramref name="precision"/> interleaved bits (longitude first), as a number: cells of one
    /// precision compare as numbers as their texts compare ordinally (the alphabet is in ascending order).
    /// </summary>
    private static long Bits(double latitude, double longitude, int precision)
    {
        double latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
        long bits = 0;
        for (var bit = 0; bit < 5 * precision; bit++)
        {
            if (bit % 2 == 0)
            {
                var mid = (lonMin + lonMax) / 2;
                var on = longitude >= mid;
                (lonMin, lonMax) = on ? (mid, lonMax) : (lonMin, mid);
                bits = (bits << 1) | (on ? 1L : 0L);
            }
            else
            {
                var mid = (latMin + latMax) / 2;
                var on = latitude >= mid;
                (latMin, latMax) = on ? (mid, latMax) : (latMin, mid);
                bits = (bits << 1) | (on ? 1L : 0L);
            }
        }

        return bits;
    }

    private static string Text(long bits, int precision) => string.Create(precision, bits, static (chars, rest) =>
    {
        for (var c = chars.Length - 1; c >= 0; c--)
        {
            chars[c] = Alphabet[(int)(rest & 31)];
            rest >>= 5;
        }
    });

    /// <summary>The bounds of the cell of <paramref name="bits"/> (see <see cref="Bits"/>), halved as <see cref="Bounds(string)"/> halves them.</summary>
    private static (double South, double West, double North, double East) Bounds(long bits, int precision)
    {
        double latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
        for (var bit = 0; bit < 5 * precision; bit++)
        {
            var on = ((bits >> (5 * precision - 1 - bit)) & 1) == 1;
            if (bit % 2 == 0)
            {
                var mid = (lonMin + lonMax) / 2;
                (lonMin, lonMax) = on ? (mid, lonMax) : (lonMin, mid);
            }
            else
            {
                var mid = (latMin + latMax) / 2;
                (latMin, latMax) = on ? (mid, latMax) : (latMin, mid);
            }
        }

        return (latMin, lonMin, latMax, lonMax);
    }

    /// <summary>The cell's bounds: south, west, north, east.</summary>
    public static (double South, double West, double North, double East) Bounds(string cell)
    {
        double latMin = -90, latMax = 90, lonMin = -180, lonMax = 180;
        var even = true;
        foreach (var ch in cell)
        {
            var index = Alphabet.IndexOf(ch, StringComparison.Ordinal);
            if (index < 0)
            {
                throw new ArgumentException($"'{cell}' is not a geohash.", nameof(cell));
            }

            for (var bit = 4; bit >= 0; bit--)
            {
                var on = ((index >> bit) & 1) == 1;
                if (even)
                {
                    var mid = (lonMin + lonMax) / 2;
                    (lonMin, lonMax) = on ? (mid, lonMax) : (lonMin, mid);
                }
                else
                {
                    var mid = (latMin + latMax) / 2;
                    (latMin, latMax) = on ? (mid, latMax) : (latMin, mid);
                }

                even = !even;
            }
        }

        return (latMin, lonMin, latMax, lonMax);
    }

    /// <summary>
    /// Every cell a circle touches: the cells of its bounding box, stepped by less than a cell so none is skipped, kept
    /// when the cell's nearest point is within the radius. A demand is registered in each, so a new lot is checked only
    /// in its own cell.
    /// </summary>
    public static IReadOnlyList<string> CellsWithin(double latitude, double longitude, double radiusKm, int precision = PartitionPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, 12);
        const double kmPerDegree = 111.195;
        var latDelta = radiusKm / kmPerDegree;
        var lonDelta = radiusKm / (kmPerDegree * Math.Max(0.01, Math.Cos(latitude * Math.PI / 180)));
        var (s0, w0, n0, e0) = Bounds(Bits(latitude, longitude, precision), precision);
        var latStep = (n0 - s0) / 2;
        var lonStep = (e0 - w0) / 2;
        // Cells as numbers until the end: a demand's change tested a few dozen points, each encoded as a string (with its
        // own array) and looked up in a sorted set, in every partition it touches.
        var tested = new List<long>();
        var kept = new List<long>();
        for (var lat = Math.Max(-90, latitude - latDelta); lat <= Math.Min(90, latitude + latDelta) + latStep; lat += latStep)
        {
            for (var lon = longitude - lonDelta; lon <= longitude + lonDelta + lonStep; lon += lonStep)
            {
                var clampedLat = Math.Clamp(lat, -90, 89.999999);
                var wrappedLon = ((lon + 540) % 360) - 180;
                var cell = Bits(clampedLat, wrappedLon, precision);
                if (tested.Contains(cell))
                {
                    continue;
                }

                tested.Add(cell);
                if (NearestDistanceKm(Bounds(cell, precision), latitude, longitude) <= radiusKm)
                {
                    kept.Add(cell);
                }
            }
        }

        kept.Sort();
        var cells = new string[kept.Count];
        for (var i = 0; i < cells.Length; i++)
        {
            cells[i] = Text(kept[i], precision);
        }

        return cells;
    }

    /// <summary>Distance from a point to the nearest point of a cell (0 inside it), km.</summary>
    public static double NearestDistanceKm(string cell, double latitude, double longitude) => NearestDistanceKm(Bounds(cell), latitude, longitude);

    private static double NearestDistanceKm((double South, double West, double North, double East) bounds, double latitude, double longitude)
    {
        var (south, west, north, east) = bounds;
        var lat = Math.Clamp(latitude, south, north);
        var lon = Math.Clamp(longitude, west, east);
        return new Geo.GeoPoint(latitude, longitude).DistanceKm(new Geo.GeoPoint(lat, lon));
    }
}
