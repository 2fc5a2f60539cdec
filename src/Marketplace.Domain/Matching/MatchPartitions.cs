namespace Marketplace.Domain.Matching;

/// <summary>
/// The matching partitions: a top-level category and a geohash cell (<see cref="Geohash.PartitionPrecision"/>). A lot
/// lives in the one partition of its category and point; a demand is registered in every cell its radius touches, so a
/// new lot is checked in its own partition only and still meets every demand that can reach it.
/// </summary>
public static class MatchPartitions
{
    /// <summary>The top-level category of a category id (<c>concrete/crushed</c> → <c>concrete</c>).</summary>
    public static string TopLevel(string category) => category.IndexOf('/') is var i and > 0 ? category[..i] : category;

    /// <summary>The partition key of a top-level category and a cell.</summary>
    public static string Key(string category, string cell) => $"{TopLevel(category)}@{cell}";

    /// <summary>The partition of a lot.</summary>
    public static string ForLot(LotSummary lot) => ForPlace(lot.Category, lot.Location.Latitude, lot.Location.Longitude);

    /// <summary>The partition of a lot of <paramref name="category"/> at a place (for a lot not yet summarised, e.g. an import's row).</summary>
    public static string ForPlace(string category, double latitude, double longitude) => Key(category, Geohash.Encode(latitude, longitude));

    /// <summary>Every partition a demand is registered in.</summary>
    public static IReadOnlyList<string> ForDemand(DemandSummary demand)
        => Geohash.CellsWithin(demand.Location.Latitude, demand.Location.Longitude, demand.RadiusKm).Select(c => Key(demand.Category, c)).ToArray();
}
