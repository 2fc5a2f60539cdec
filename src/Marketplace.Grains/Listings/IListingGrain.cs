using Marketplace.Domain.Listings;
using Orleans.Concurrency;

namespace Marketplace.Grains.Listings;

/// <summary>One lot of material and the holds on it: the only authority on how much of the lot is free.</summary>
public interface IListingGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the lot as a draft for a seller firm. The details (an init-only record, which the lot normalises into
    /// its own copy) are passed without a copy through the JSON codec.
    /// </summary>
    Task<Listing> CreateAsync(string sellerId, [Immutable] ListingDetails details);

    /// <summary>The lot, or null when it does not exist.</summary>
    Task<Listing?> GetAsync();

    /// <summary>What a matching partition re-reads of the lot: its version and summary, without a copy of the whole lot.</summary>
    Task<Matching.LotStanding> StandingAsync();

    /// <summary>The seller changes the lot's details.</summary>
    Task<Listing> UpdateAsync(string actorId, ListingChanges changes);

    /// <summary>The seller puts the draft on the market.</summary>
    Task<Listing> PublishAsync(string actorId);

    /// <summary>The seller takes the lot off the market; active holds are released.</summary>
    Task<Listing> WithdrawAsync(string actorId);

    /// <summary>
    /// A buyer holds part of the lot until a time; answers with the hold and the lot's quantities, not the whole lot.
    /// A matching session names itself in <paramref name="matchId"/>: the hold then changes only through it.
    /// </summary>
    Task<HoldReceipt> PlaceHoldAsync(string buyerId, string holdId, decimal quantity, DateTimeOffset until, string? matchId = null);

    /// <summary>
    /// The buyer or the seller releases a hold (a match's hold only with its <paramref name="matchId"/>, an order's only
    /// with its <paramref name="orderId"/>; an order releasing its already released hold gets it back unchanged).
    /// </summary>
    Task<HoldReceipt> ReleaseHoldAsync(string actorId, string holdId, string? matchId = null, string? orderId = null);

    /// <summary>
    /// The seller confirms a hold: its quantity is sold (a match's hold only with its <paramref name="matchId"/>, an
    /// order's only with its <paramref name="orderId"/>; an order confirming again gets the confirmed hold back).
    /// </summary>
    Task<HoldReceipt> ConfirmHoldAsync(string actorId, string holdId, string? matchId = null, string? orderId = null);

    /// <summary>
    /// Ties the buyer's hold to its order and keeps it at least until <paramref name="until"/>, so it cannot lapse while
    /// the order waits for the seller; idempotent for the same order.
    /// </summary>
    Task<HoldReceipt> AttachOrderAsync(string buyerId, string holdId, string orderId, DateTimeOffset until, string? matchId = null);

    /// <summary>
    /// A bulk import's row for this lot: creates it (remembering <paramref name="externalId"/>) when it does not exist, or
    /// replaces its details as a whole; a row equal to the lot writes nothing. With <paramref name="publish"/> a draft goes
    /// on the market in the same write. A row naming the lot by its own id (<paramref name="externalId"/> null) never
    /// creates it. The importer records new ids with the seller (<c>ITraderGrain.AddListingsAsync</c>) before, and
    /// reports statuses to the seller's index in batches after, so this write does neither.
    /// </summary>
    Task<ImportedLot> ImportAsync(string sellerId, string? externalId, ListingDetails details, bool publish);
    /// <summary>
    /// Stores what time alone has changed (lapsed holds, the end of the availability window) and keeps the lot's own
    /// reminder for its next deadline. The deadline calendar (<see cref="IDeadlineCalendarGrain"/>) calls it for lots a bulk
    /// import stored without their grains.
    /// </summary>
    Task SettleDeadlineAsync();

    /// <summary>A platform admin hides the lot with a reason (it leaves search, public reads and matching); the seller gets a notice.</summary>
    Task<Listing> HideAsync(string adminId, string? reason);

    /// <summary>A platform admin puts a hidden lot back; the seller gets a notice.</summary>
    Task<Listing> UnhideAsync(string adminId);

    /// <summary>
    /// The seller adds an uploaded photo's reference: at most <see cref="Listing.MaxPhotos"/> photos, and at most
    /// <paramref name="maxUploaded"/> uploaded ones (422 <c>too-many-photos</c>).
    /// </summary>
    Task<Listing> AddPhotoAsync(string actorId, string reference, int maxUploaded = Listing.MaxPhotos);

    /// <summary>The seller removes a photo reference (a reference the lot does not have changes nothing).</summary>
    Task<Listing> RemovePhotoAsync(string actorId, string reference);

    /// <summary>A cancelled order gives its sold quantity back to the lot (once per order id; a sold-out lot reopens).</summary>
    Task<Listing> ReturnSoldAsync(string orderId, decimal quantity);

    /// <summary>
    /// Unties the active hold tied to an order that was never stored (only <c>IOrderGrain.ReleaseAbandonedAsync</c>
    /// calls it, having found the order missing); answers false when no active hold is tied to it.
    /// </summary>
    Task<bool> DetachOrderAsync(string orderId);
}

/// <summary>What an import row did to its lot.</summary>
public enum ImportOutcome
{
    /// <summary>The lot was created.</summary>
    Created,

    /// <summary>The lot's details (or status) changed.</summary>
    Updated,

    /// <summary>The row equals the lot: nothing was written.</summary>
    Unchanged,
}

/// <summary>The outcome of an import row, with the lot's status and version after it.</summary>
[GenerateSerializer, Immutable]
public sealed record ImportedLot([property: Id(0)] ImportOutcome Outcome, [property: Id(1)] string Status, [property: Id(2)] long Version);
