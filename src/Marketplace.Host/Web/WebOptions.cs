namespace Marketplace.Host.Web;

/// <summary>Settings of the web pages (section <c>Web</c>).</summary>
public sealed class WebOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Web";

    /// <summary>The map under search results and on a lot's page.</summary>
    public MapOptions Map { get; set; } = new();

    /// <summary>
    /// Address of this host's own API as the pages call it (with the signed-in person's token). Empty (default): the
    /// first address the host listens on, with a wildcard host read as <c>localhost</c>.
    /// </summary>
    public string? ApiBaseAddress { get; set; }
}

/// <summary>Map settings (section <c>Web:Map</c>).</summary>
public sealed class MapOptions
{
    /// <summary>
    /// Leaflet tile URL template such as <c>https://tile.openstreetmap.org/{z}/{x}/{y}.png</c>. Empty (default): no tiles;
    /// the markers are drawn over a plain background, so the map works without any tile server.
    /// </summary>
    public string? TileUrl { get; set; }

    /// <summary>Attribution shown with the tiles (HTML allowed by Leaflet), e.g. <c>© OpenStreetMap contributors</c>.</summary>
    public string? Attribution { get; set; }
}
