using System.Text.Json.Serialization;

namespace Marketplace.Domain.Geo;

/// <summary>
/// The box of latitudes and longitudes the marketplace serves (decimal degrees, edges included); lots and demands
/// outside it are refused. Passed into the domain by its callers, who read it from configuration.
/// </summary>
/// <param name="South">Southern edge, −90 to 90.</param>
/// <param name="West">Western edge, −180 to 180.</param>
/// <param name="North">Northern edge, above <paramref name="South"/>.</param>
/// <param name="East">Eastern edge, above <paramref name="West"/>.</param>
public sealed record ServiceArea(double South, double West, double North, double East)
{
    /// <summary>Finland's bounding box, Åland and Hanko to Utsjoki and Ilomantsi (with a few km to spare).</summary>
    public static ServiceArea Finland { get; } = new(59.3, 19.0, 70.1, 31.6);

    /// <summary>True when the edges are finite, in range and in order.</summary>
    [JsonIgnore]
    public bool IsValid => GeoPoint.IsLatitude(South) && GeoPoint.IsLatitude(North) && GeoPoint.IsLongitude(West) && GeoPoint.IsLongitude(East)
                           && South < North && West < East;

    /// <summary>True when the point lies in the box.</summary>
    public bool Contains(GeoPoint point)
        => point.Latitude >= South && point.Latitude <= North && point.Longitude >= West && point.Longitude <= East;

    /// <inheritdoc />
    public override string ToString() => $"latitude {South}..{North}, longitude {West}..{East}";
}
