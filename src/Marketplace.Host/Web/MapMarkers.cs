using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Web;

/// <summary>A point on a page's map.</summary>
/// <param name="Lat">Latitude.</param>
/// <param name="Lon">Longitude.</param>
/// <param name="Title">The lot's title, shown in the marker's popup.</param>
/// <param name="Url">The lot's page, or null for the lot's own map.</param>
public sealed record MapMarker(double Lat, double Lon, string Title, string? Url);

/// <summary>What the map script reads from the map element's data attributes.</summary>
public static class MapData
{
    /// <summary>The markers as JSON.</summary>
    public static string Json(IEnumerable<MapMarker> markers) => JsonSerializer.Serialize(markers, MarketplaceApi.Json);

    /// <summary>The configured tile URL, or empty (markers over a plain background).</summary>
    public static string Tiles(IOptions<WebOptions> options) => options.Value.Map.TileUrl ?? "";

    /// <summary>The tiles' attribution, or empty.</summary>
    public static string Attribution(IOptions<WebOptions> options) => options.Value.Map.Attribution ?? "";
}
