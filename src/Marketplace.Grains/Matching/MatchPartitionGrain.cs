using Marketplace.Domain.Matching;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Wraps a <see cref="MatchBook"/>: applies lot and demand changes in version order, matches the changed side against
/// the other, and turns each proposal into a <see cref="IMatchingSessionGrain"/> (which refuses a pair already open,
/// declined or confirmed). Reentrant: the book is only touched between awaits, and proposals are stored concurrently.
/// Always active: the book lives only in memory and is rebuilt only at start, so an idle partition must not be collected.
/// </summary>
[Reentrant]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed class MatchPartitionGrain(IMatchEvents events, ILogger<MatchPartitionGrain> logger) : Grain, IMatchPartitionGrain
{
    private readonly MatchBook _book = new();
    private readonly Dictionary<string, long> _lotVersions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _demandVersions = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task LotChangedAsync(string lotId, long version, LotSummary? lot)
    {
        if (!Newer(_lotVersions, lotId, version))
        {
            return Task.CompletedTask;
        }

        if (lot is null)
        {
            _book.RemoveLot(lotId);
            return Task.CompletedTask;
        }

        _book.UpsertLot(lot);
        var proposals = _book.MatchLot(lotId).Select(p => (Proposal: p, Demand: _book.Demand(p.DemandId)!)).ToArray();
        return ProposeAsync("lot", lotId, proposals.Select(x => SessionProposal.From(x.Proposal, lot, x.Demand)));
    }

    /// <inheritdoc />
    public Task DemandChangedAsync(string demandId, long version, DemandSummary? demand)
    {
        if (!Newer(_demandVersions, demandId, version))
        {
            return Task.CompletedTask;
        }

        if (demand is null)
        {
            _book.RemoveDemand(demandId);
            return Task.CompletedTask;
        }

        _book.UpsertDemand(demand);
        var proposals = _book.MatchDemand(demandId).Select(p => (Proposal: p, Lot: _book.Lot(p.LotId)!)).ToArray();
        return ProposeAsync("demand", demandId, proposals.Select(x => SessionProposal.From(x.Proposal, x.Lot, demand)));
    }

    /// <inheritdoc />
    public Task LoadAsync(IReadOnlyList<VersionedLot> lots, IReadOnlyList<VersionedDemand> demands)
    {
        foreach (var (version, lot) in lots)
        {
            if (Newer(_lotVersions, lot.Id, version))
            {
                _book.UpsertLot(lot);
            }
        }

        foreach (var (version, demand) in demands)
        {
            if (Newer(_demandVersions, demand.Id, version))
            {
                _book.UpsertDemand(demand);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<PartitionCounts> CountsAsync() => Task.FromResult(new PartitionCounts(_book.LotCount, _book.DemandCount));

    private static bool Newer(Dictionary<string, long> versions, string id, long version)
    {
        if (versions.TryGetValue(id, out var seen) && seen >= version)
        {
            return false;
        }

        versions[id] = version;
        return true;
    }

    private async Task ProposeAsync(string kind, string id, IEnumerable<SessionProposal> proposals)
    {
        // A firm is never proposed its own lot.
        var stores = proposals.Where(p => p.SellerId != p.BuyerId)
            .Select(p => GrainFactory.GetGrain<IMatchingSessionGrain>(SessionProposal.SessionId(p.LotId, p.DemandId)).ProposeAsync(p))
            .ToArray();
        var stored = 0;
        try
        {
            stored = (await Task.WhenAll(stores)).Count(s => s);
        }
        catch (Exception e)
        {
            // Proposals are derived: a failed one is proposed again at the pair's next change.
            logger.LogWarning(e, "Partition {Partition}: storing proposals for {Kind} {Id} failed", this.GetPrimaryKeyString(), kind, id);
        }

        events.Matched(kind, id, stored);
    }
}
