namespace Marketplace.Grains.Listings;

/// <summary>A hold in its buyer's index: which lot, which hold, when.</summary>
[GenerateSerializer, Immutable]
public sealed record BuyerHoldEntry([property: Id(0)] string ListingId, [property: Id(1)] string HoldId, [property: Id(2)] DateTimeOffset PlacedAt)
{
    /// <summary>The entry's key in the index, <c>listingId/holdId</c>.</summary>
    public string Key => ListingId + "/" + HoldId;
}

/// <summary>
/// A buying firm's holds across all lots (key: the trader id): an index of where to find them, so the buyer can list
/// its holds without reading every lot. The lots stay the record of each hold's quantity and status.
/// </summary>
public interface IBuyerHoldsGrain : IGrainWithStringKey
{
    /// <summary>Records a hold the firm placed; recording the same hold again changes nothing.</summary>
    Task RecordAsync(BuyerHoldEntry entry);

    /// <summary>The firm's holds, newest first, as <c>listingId/holdId</c> keys.</summary>
    Task<IReadOnlyList<string>> ListAsync();
}
