using Marketplace.Host.Seed;

namespace Marketplace.Host.Web;

/// <summary>
/// Places a search can measure distance from, a demand or a delivery goes to, a lot is placed at: the Helsinki region's
/// fourteen municipalities and Porvoo with their centres (those the demo seeder uses and the region's others), so a
/// person picks "Vantaa" instead of typing coordinates.
/// </summary>
public static class Places
{
    private static readonly Lazy<IReadOnlyList<SeedMunicipality>> All = new(() =>
    {
        var catalogue = SeedCatalogue.Load();
        return catalogue.Municipalities.Concat(catalogue.OtherMunicipalities ?? []).OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();
    });

    /// <summary>The municipalities, by name.</summary>
    public static IReadOnlyList<SeedMunicipality> Municipalities => All.Value;

    /// <summary>
    /// The municipality whose centre is at the point (within about a hundred metres: the pages place a demand at its
    /// municipality's centre), or null for a point set another way (through the API).
    /// </summary>
    public static SeedMunicipality? At(double latitude, double longitude)
        => All.Value.FirstOrDefault(m => Math.Abs(m.Lat - latitude) < 0.001 && Math.Abs(m.Lon - longitude) < 0.001);

    /// <summary>The municipality of that name (any case), or null.</summary>
    public static SeedMunicipality? Find(string? name)
        => name is null ? null : All.Value.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
}
