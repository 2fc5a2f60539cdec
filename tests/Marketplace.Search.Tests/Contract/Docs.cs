using Marketplace.Search;

namespace Marketplace.Search.Tests.Contract;

/// <summary>Documents for engine tests: a small Helsinki-region catalogue with known answers.</summary>
internal static class Docs
{
    public static readonly DateOnly Today = new(2027, 3, 1);

    /// <summary>Helsinki city centre.</summary>
    public static readonly (double Lat, double Lon) Helsinki = (60.1699, 24.9384);

    public static ListingDocument Lot(
        string id,
        string title,
        string category = "masonry/bricks",
        string description = "",
        string condition = "A",
        string unit = "pcs",
        decimal available = 100,
        long price = 50,
        double lat = 60.1699,
        double lon = 24.9384,
        string seller = "seller-1",
        string status = "active",
        long version = 1,
        int listedDaysAgo = 1,
        DateOnly? from = null,
        DateOnly? to = null,
        string? municipality = "Helsinki")
    {
        var path = new List<string>();
        for (var c = category; c.Length > 0; c = c.Contains('/', StringComparison.Ordinal) ? c[..c.LastIndexOf('/')] : "")
        {
            path.Add(c);
        }

        return new ListingDocument
        {
            Id = id,
            SellerId = seller,
            Status = status,
            Version = version,
            Title = title,
            Description = description,
            Category = category,
            CategoryPath = path,
            CategoryNames = Names(category),
            Condition = condition,
            Unit = unit,
            Available = available,
            PriceMinor = price,
            Latitude = lat,
            Longitude = lon,
            Municipality = municipality,
            AvailableFrom = from ?? Today.AddDays(-10),
            AvailableTo = to ?? Today.AddDays(60),
            ListedAt = new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero).AddDays(-listedDaysAgo),
        };
    }

    private static string Names(string category) => category switch
    {
        "masonry/bricks" => "Bricks Tiilet Masonry Muuraus",
        "masonry/blocks" => "Blocks Harkot Masonry Muuraus",
        "concrete/hollow-core-slabs" => "Hollow-core slabs Ontelolaatat Concrete Betoni",
        "concrete/crushed" => "Crushed concrete Betonimurske Concrete Betoni",
        "metals/steel/beams" => "Steel beams Teräspalkit Steel Teräs Metals Metallit",
        "wood/timber" => "Timber Sahatavara Wood Puu",
        "windows" => "Windows Ikkunat",
        _ => category,
    };

    /// <summary>The catalogue most contract tests search.</summary>
    public static IReadOnlyList<ListingDocument> Catalogue() =>
    [
        Lot("brick-kallio", "Reclaimed red clay bricks", description: "Old facade bricks from Kallio, cleaned, on pallets.", price: 45, listedDaysAgo: 3),
        Lot("tiili-espoo", "Punainen tiili, purettu", description: "Purettu Espoon koulusta, lavoilla.", condition: "B", price: 30, lat: 60.2055, lon: 24.6559, municipality: "Espoo", listedDaysAgo: 2),
        Lot("blocks-vantaa", "Lightweight concrete blocks", category: "masonry/blocks", description: "Aerated blocks, unused surplus.", price: 120, lat: 60.2934, lon: 25.0378, municipality: "Vantaa", listedDaysAgo: 5),
        Lot("slabs-vantaa", "Hollow-core slabs 265 mm", category: "concrete/hollow-core-slabs", description: "Ontelolaatat from a demolished warehouse.", unit: "m2", available: 340, price: 2500, lat: 60.3172, lon: 24.9633, municipality: "Vantaa", listedDaysAgo: 1),
        Lot("beams-tampere", "Steel I-beams HEA 200", category: "metals/steel/beams", description: "Teräspalkit, 6 m lengths.", condition: "B", unit: "pcs", available: 12, price: 18000, lat: 61.4978, lon: 23.7610, municipality: "Tampere", listedDaysAgo: 7),
        Lot("crushed-espoo", "Crushed concrete 0-32 mm", category: "concrete/crushed", description: "Betonimurske, tested.", condition: "C", unit: "t", available: 30, price: 800, lat: 60.1841, lon: 24.8301, municipality: "Espoo", listedDaysAgo: 4),
        Lot("timber-helsinki", "Spruce timber 50x100", category: "wood/timber", description: "Sahatavara, kuiva.", unit: "m", available: 800, price: 150, listedDaysAgo: 6),
        Lot("windows-old", "Wooden windows with frames", category: "windows", description: "Ikkunat puitteineen.", condition: "C", available: 8, price: 2000, seller: "seller-2", listedDaysAgo: 10,
            from: Today.AddDays(30), to: Today.AddDays(90)),
        Lot("bricks-draft", "Yellow bricks (draft)", status: "draft"),
        Lot("bricks-withdrawn", "Withdrawn bricks", status: "withdrawn"),
        Lot("bricks-soldout", "Sold-out bricks", status: "sold-out", available: 0),
    ];
}
