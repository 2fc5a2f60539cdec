using System.Text.Json;

namespace Marketplace.Host.Seed;

/// <summary>
/// Demo data the seeder draws from: municipalities, firms and lot templates per category; and the region's other
/// municipalities, which the pages offer (<c>Web/Places</c>) but the seeder does not place firms or lots in (so a
/// seed's data stays what it was).
/// </summary>
public sealed record SeedCatalogue(
    IReadOnlyList<SeedMunicipality> Municipalities,
    IReadOnlyList<SeedFirm> Firms,
    IReadOnlyList<SeedLot> Lots,
    IReadOnlyList<SeedMunicipality>? OtherMunicipalities = null)
{
    /// <summary>Loads the catalogue embedded in the host.</summary>
    public static SeedCatalogue Load()
    {
        using var stream = typeof(SeedCatalogue).Assembly.GetManifestResourceStream("Marketplace.Host.Seed.seed-catalogue.json")
                           ?? throw new InvalidOperationException("The embedded seed catalogue is missing from Marketplace.Host.");
        return JsonSerializer.Deserialize<SeedCatalogue>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
               ?? throw new InvalidOperationException("The seed catalogue is empty.");
    }
}

/// <summary>A municipality with its centre and some street names.</summary>
public sealed record SeedMunicipality(string Name, double Lat, double Lon, IReadOnlyList<string> Streets);

/// <summary>A demo firm.</summary>
public sealed record SeedFirm(string Name, string BusinessId, string Municipality, IReadOnlyList<string> Roles);

/// <summary>A template for lots of one category.</summary>
public sealed record SeedLot(
    string Category,
    string Unit,
    IReadOnlyList<string> Titles,
    IReadOnlyList<string> Descriptions,
    IReadOnlyList<int> Quantity,
    IReadOnlyList<int> PriceCents,
    IReadOnlyList<string> Conditions);
