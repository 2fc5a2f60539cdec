using Marketplace.Domain.Geo;

namespace Marketplace.Grains.Common;

/// <summary>
/// Where the marketplace trades (<c>ServiceArea</c> section): a box of latitudes and longitudes in decimal degrees,
/// edges included. Lots and demands whose point lies outside it are refused with 422 naming <c>location</c>. Default:
/// Finland's bounding box (59.3–70.1° N, 19.0–31.6° E). Valid: finite, latitudes −90 to 90 and longitudes −180 to 180,
/// south below north and west below east (a box across the antimeridian is not supported).
/// </summary>
public sealed class ServiceAreaOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "ServiceArea";

    /// <summary>Southern edge, degrees of latitude. Default 59.3.</summary>
    public double South { get; set; } = ServiceArea.Finland.South;

    /// <summary>Western edge, degrees of longitude. Default 19.0.</summary>
    public double West { get; set; } = ServiceArea.Finland.West;

    /// <summary>Northern edge, degrees of latitude. Default 70.1.</summary>
    public double North { get; set; } = ServiceArea.Finland.North;

    /// <summary>Eastern edge, degrees of longitude. Default 31.6.</summary>
    public double East { get; set; } = ServiceArea.Finland.East;

    /// <summary>The box as the domain takes it.</summary>
    public ServiceArea Area => new(South, West, North, East);
}
