using Marketplace.Grains.Common;

namespace Marketplace.Grains.Listings;

/// <summary>A hold in its buyer's index: which lot, which hold, when.</summary>
[GenerateSerializer, Immutable]
public sealed record BuyerHoldEntry([property: Id(0)] string ListingId, [property: Id(1)] string HoldId, [property: Id(2)] DateTimeOffset PlacedAt,
    [property: Id(3)] DateTimeOffset? ExpiresAt = null)
{
    /// <summary>When the hold ends at the latest as placed (entries recorded before this field: the longest hold from placing).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset EndsBy => ExpiresAt ?? PlacedAt + Domain.Listings.Listing.MaxHoldDuration;

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

    /// <summary>
    /// Whether the firm may place the hold <paramref name="holdKey"/> (<c>listingId/holdId</c>) with at most
    /// <paramref name="max"/> open: the holds not yet ended by their time and not known closed are counted, and room is
    /// reserved for it. A hold the index already has (a retry whose first answer was lost) is allowed without counting
    /// it twice. At the bound the answer lists the open ones (<see cref="OpenBoundCheck.Verify"/>) for the caller to read
    /// on their lots, unless such a reading found the bound reached moments ago (then refused at once).
    /// </summary>
    Task<OpenBoundCheck> CheckOpenAsync(int max, DateTimeOffset now, string holdKey);

    /// <summary>
    /// Records which of the holds read on their lots are closed; answers whether the hold <paramref name="holdKey"/> fits
    /// under <paramref name="max"/> (reserving its room). When it does not, further checks are refused without reading for
    /// <paramref name="standFor"/>.
    /// </summary>
    Task<bool> ClosedAsync(IReadOnlyList<string> closedKeys, int max, DateTimeOffset now, TimeSpan standFor, string holdKey);

    /// <summary>
    /// Gives back the room a check reserved for the hold <paramref name="holdKey"/> when that hold was refused (a check
    /// that allows reserves room until its hold is recorded, so holds placed at once cannot pass the bound together).
    /// Another hold's reservation is never touched; nothing reserved, nothing changes.
    /// </summary>
    Task ReleaseReservationAsync(string holdKey);
}
