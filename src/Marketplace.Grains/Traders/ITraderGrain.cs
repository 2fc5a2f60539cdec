using Marketplace.Grains.Common;
using Marketplace.Domain.Traders;

namespace Marketplace.Grains.Traders;

/// <summary>A firm on the marketplace: its profile, roles and lots.</summary>
public interface ITraderGrain : IGrainWithStringKey
{
    /// <summary>Registers the firm; its business id must not belong to another firm.</summary>
    Task<Trader> RegisterAsync(TraderProfile profile, string registeredBy);

    /// <summary>The firm, or null when it does not exist.</summary>
    Task<Trader?> GetAsync();

    /// <summary>Changes the profile.</summary>
    Task<Trader> UpdateAsync(TraderChanges changes);

    /// <summary>
    /// Records a new lot; refuses a firm that is not a seller. <paramref name="created"/>, when given, is the status the
    /// lot is about to be stored with first, recorded in the same write, so the new lot need not report it again (a
    /// status recorded for a lot whose write then fails is harmless: the firm's index only says which lots may show,
    /// and the lot has the last word).
    /// </summary>
    Task AddListingAsync(string listingId, ListingStatusReport? created = null);

    /// <summary>A lot of the firm reports its status (as of its version) for the firm's index of lots by status.</summary>
    Task ListingStatusChangedAsync(string listingId, string status, long version);

    /// <summary>
    /// Records many new lots in one write (a bulk import, before it creates them), with the statuses they will be
    /// created with when known, so a batch of new lots costs the seller's record one write, not two; refuses a firm
    /// that is not a seller.
    /// </summary>
    Task AddListingsAsync(IReadOnlyList<string> listingIds, IReadOnlyList<ListingStatusReport>? statuses = null);

    /// <summary>Many lots of the firm report their statuses in one write (a bulk import, after it applied them).</summary>
    Task ListingStatusesChangedAsync(IReadOnlyList<ListingStatusReport> reports);

    /// <summary>Records a new demand; refuses a firm that is not a buyer.</summary>
    Task AddDemandAsync(string demandId);

    /// <summary>
    /// Whether the firm may post another demand with at most <paramref name="max"/> open: the demands its record holds
    /// open are counted; at the bound they are listed (<c>Verify</c>) for the caller to read (one whose closing was not
    /// heard of is found closed there), unless a reading found the bound reached moments ago (then refused at once,
    /// <c>Verify</c> empty).
    /// </summary>
    /// <remarks>
    /// An allowed check reserves room for <paramref name="demandId"/> until the demand is recorded (or for a minute), so
    /// posts checked at once cannot pass the bound together; a demand already recorded (a retry) is allowed as it is.
    /// </remarks>
    Task<OpenBoundCheck> CheckOpenDemandsAsync(int max, DateTimeOffset now, string demandId);

    /// <summary>
    /// Records which of the demands read are closed; answers whether <paramref name="demandId"/> fits under
    /// <paramref name="max"/> (and reserves its room), else refuses without reading for <paramref name="standFor"/>.
    /// </summary>
    Task<bool> DemandsClosedAsync(IReadOnlyList<string> closedIds, int max, DateTimeOffset now, TimeSpan standFor, string demandId);

    /// <summary>Gives back the room a check reserved for a demand that was not made (refused, or failed).</summary>
    Task ReleaseDemandReservationAsync(string demandId);

    /// <summary>
    /// A demand of the firm closed (fulfilled, cancelled, expired) or opened again (a purchase given back): told by the
    /// demand after it stored the change, so the open-demand count needs no reading of every demand the firm ever posted.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task DemandOpenChangedAsync(string demandId, bool open);

    /// <summary>Links the firm's Stripe connected account (card onboarding); the same account again changes nothing, another is refused.</summary>
    Task<Trader> LinkStripeAccountAsync(string accountId);

    /// <summary>Takes Stripe's news about the firm's account; false when it changed nothing (older news, another account).</summary>
    Task<bool> UpdateStripeAccountAsync(StripeAccountLink account);

    /// <summary>A platform admin marks the firm as verified (the first verification stands).</summary>
    Task<Trader> VerifyAsync(string adminId);

    /// <summary>A platform admin takes the firm's verification back.</summary>
    Task<Trader> UnverifyAsync();

    /// <summary>Tells the firm something (kept among its latest notices; the same notice id twice is one notice).</summary>
    Task NotifyAsync(TraderNotice notice);

    /// <summary>Refuses unless the firm exists and has the role.</summary>
    Task EnsureRoleAsync(TraderRoles role);
}

/// <summary>Keeps a Finnish business id bound to one firm, so two firms cannot register the same company.</summary>
public interface IBusinessIdGrain : IGrainWithStringKey
{
    /// <summary>Binds the id to the trader, or returns the trader it is already bound to.</summary>
    Task<string> ClaimAsync(string traderId);

    /// <summary>The firm the id is bound to, or null while it is free.</summary>
    Task<string?> OwnerAsync();

    /// <summary>Unbinds the id when it is bound to <paramref name="traderId"/> (whose registration failed to be stored).</summary>
    Task ReleaseAsync(string traderId);
}

/// <summary>A lot's status as of its version, for the firm's index of lots by status.</summary>
[GenerateSerializer, Immutable]
public sealed record ListingStatusReport([property: Id(0)] string ListingId, [property: Id(1)] string Status, [property: Id(2)] long Version);
