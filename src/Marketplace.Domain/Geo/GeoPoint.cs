using System.Text.Json.Serialization;

namespace Marketplace.Domain.Geo;

/// <summary>A WGS 84 point in decimal degrees.</summary>
public readonly record struct GeoPoint(double Latitude, double Longitude)
{
    /// <summary>Mean Earth radius used for distances, km.</summary>
    public const double EarthRadiusKm = 6371.0088;

    /// <summary>True when both coordinates are finite and in range.</summary>
    [JsonIgnore]
    public bool IsValid => IsLatitude(Latitude) && IsLongitude(Longitude);

    /// <summary>True for a finite latitude in [-90, 90].</summary>
    public static bool IsLatitude(double value) => double.IsFinite(value) && value is >= -90 and <= 90;

    /// <summary>True for a finite longitude in [-180, 180].</summary>
    public static bool IsLongitude(double value) => double.IsFinite(value) && value is >= -180 and <= 180;

    /// <summary>Great-circle (haversine) distance in kilometres.</summary>
    public double DistanceKm(GeoPoint other)
    {
        var dLat = ToRadians(other.Latitude - Latitude);
        var dLon = ToRadians(other.Longitude - Longitude);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
              + Math.Cos(ToRadians(Latitude)) * Math.Cos(ToRadians(other.Latitude)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private static double ToRadians(double degrees) => degrees * Math.PI / 180;
}
