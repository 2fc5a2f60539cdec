using Marketplace.Domain.Demands;
using Orleans.Concurrency;

namespace Marketplace.Grains.Demands;

/// <summary>One "wanted" demand of a buyer.</summary>
public interface IDemandGrain : IGrainWithStringKey
{
    /// <summary>
    /// Posts the demand for the buyer; refuses an id that exists. The details (an init-only record of values) are passed
    /// without a copy through the JSON codec.
    /// </summary>
    Task<Demand> CreateAsync(string buyerId, [Immutable] DemandDetails details);

    /// <summary>The demand, or null when it does not exist.</summary>
    Task<Demand?> GetAsync();

    /// <summary>What a matching partition re-reads of the demand: its version and summary, without a copy of the whole demand.</summary>
    Task<Matching.DemandStanding> StandingAsync();

    /// <summary>The buyer changes it: given members replace the current ones (nested ones merged member by member).</summary>
    Task<Demand> UpdateAsync(string actorId, DemandChanges changes);

    /// <summary>The buyer cancels it.</summary>
    Task<Demand> CancelAsync(string actorId);

    /// <summary>Records a confirmed purchase for it (from a matching session).</summary>
    Task<Demand> RecordPurchaseAsync(decimal quantity);

    /// <summary>Takes back the purchase of an order cancelled after acceptance (once per order).</summary>
    Task<Demand> ReturnPurchaseAsync(string orderId, decimal quantity);
}
