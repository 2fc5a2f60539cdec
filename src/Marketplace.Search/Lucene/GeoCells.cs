using Marketplace.Domain.Geo;

namespace Marketplace.Search.Lucene;

/// <summary>
/// A grid of cells over latitude and longitude (0.1° by 0.2°, about 11 km square in Finland), so that a text query with a
/// radius can hand Lucene only the lots in the cells around its circle: the words are then matched inside those lots
/// instead of over the whole index before the distance is checked. The cells covering a circle hold every lot within
/// it (and some beyond, which the exact distance check drops).
/// </summary>
internal static class GeoCells
{
    /// <summary>Cell height, degrees of latitude.</summary>
    public const double LatitudeStep = 0.1;

    /// <summary>Cell width, degrees of longitude.</summary>
    public const double LongitudeStep = 0.2;

    /// <summary>The cell of positions that are not finite numbers: every covering includes it.</summary>
    public const int Nowhere = -1;

    private const int Columns = 2000;
    private const double ToDegrees = 180 / Math.PI;

    /// <summary>The cell of a position in degrees.</summary>
    public static int Of(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || !double.IsFinite(longitude) || Math.Abs(latitude) > 90 || Math.Abs(longitude) > 180)
        {
            return Nowhere;
        }

        return (Row(latitude) * Columns) + Column(longitude);
    }

    /// <summary>
    /// The cells whose lots include every lot within <paramref name="radiusKm"/> of <paramref name="centre"/>, or null when
    /// the circle reaches a pole or the 180th meridian (the caller then searches without cells).
    /// </summary>
    public static List<int>? Covering(GeoPoint centre, double radiusKm)
    {
        // The circle's angular radius, widened well beyond the filter's rounding band (1e-6 of the radius).
        var angle = (radiusKm / GeoPoint.EarthRadiusKm * 1.001) + 1e-6;
        var latitudeReach = angle * ToDegrees;
        var south = centre.Latitude - latitudeReach;
        var north = centre.Latitude + latitudeReach;
        if (south <= -89 || north >= 89)
        {
            return null;
        }

        // A spherical cap of angular radius d around latitude φ spans asin(sin d / cos φ) of longitude either side.
        var longitudeReach = (Math.Asin(Math.Min(1, Math.Sin(angle) / Math.Cos(centre.Latitude * Math.PI / 180))) * ToDegrees * 1.001) + 1e-6;
        var west = centre.Longitude - longitudeReach;
        var east = centre.Longitude + longitudeReach;
        if (west <= -180 || east >= 180)
        {
            return null;
        }

        var cells = new List<int> { Nowhere };
        for (var row = Row(south); row <= Row(north); row++)
        {
            for (var column = Column(west); column <= Column(east); column++)
            {
                cells.Add((row * Columns) + column);
            }
        }

        return cells;
    }

    private static int Row(double latitude) => (int)Math.Floor((latitude + 90) / LatitudeStep);

    private static int Column(double longitude) => (int)Math.Floor((longitude + 180) / LongitudeStep);
}
