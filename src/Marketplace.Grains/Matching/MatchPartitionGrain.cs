using Marketplace.Domain.Matching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Wraps a <see cref="MatchBook"/>: applies lot and demand changes in version order, matches the changed side against
/// the other, and turns each proposal into a <see cref="IMatchingSessionGrain"/> (which refuses a pair already open,
/// declined or confirmed); one demand gets at most <see cref="MatchingOptions.MaxProposalsPerRound"/> proposals per
/// round, the best ranked. Reentrant: the book is only touched between awaits, and proposals are stored concurrently.
/// The book lives only in memory and is rebuilt only at start, so a partition holding lots or demands is kept active;
/// an empty one may be collected like any idle grain (it is empty again when it next activates, which is right).
/// Versions are remembered for the entries in the book, and for removed ones only for
/// <see cref="MatchingOptions.RemovedVersionRetention"/> (long enough to ignore a late, older change).
/// </summary>
[Reentrant]
public sealed class MatchPartitionGrain(IMatchEvents events, IOptions<MatchingOptions> options, ILogger<MatchPartitionGrain> logger)
    : Grain, IMatchPartitionGrain
{
    private readonly MatchBook _book = new();
    private readonly ChangeVersions _lotVersions = new(options.Value.RemovedVersionRetention);
    private readonly ChangeVersions _demandVersions = new(options.Value.RemovedVersionRetention);

    /// <inheritdoc />
    public Task LotChangedAsync(string lotId, long version, LotSummary? lot)
    {
        if (!_lotVersions.Newer(lotId, version, removed: lot is null))
        {
            return Task.CompletedTask;
        }

        if (lot is null)
        {
            _book.RemoveLot(lotId);
            KeepAliveWhileHolding();
            return Task.CompletedTask;
        }

        _book.UpsertLot(lot);
        KeepAliveWhileHolding();
        var proposals = _book.MatchLot(lotId).Select(p => (Proposal: p, Demand: _book.Demand(p.DemandId)!)).ToArray();
        return ProposeAsync("lot", lotId, proposals.Select(x => SessionProposal.From(x.Proposal, lot, x.Demand)));
    }

    /// <inheritdoc />
    public Task DemandChangedAsync(string demandId, long version, DemandSummary? demand)
    {
        if (!_demandVersions.Newer(demandId, version, removed: demand is null))
        {
            return Task.CompletedTask;
        }

        if (demand is null)
        {
            _book.RemoveDemand(demandId);
            KeepAliveWhileHolding();
            return Task.CompletedTask;
        }

        _book.UpsertDemand(demand);
        KeepAliveWhileHolding();
        var proposals = _book.MatchDemand(demandId, options.Value.MaxProposalsPerRound).Select(p => (Proposal: p, Lot: _book.Lot(p.LotId)!)).ToArray();
        return ProposeAsync("demand", demandId, proposals.Select(x => SessionProposal.From(x.Proposal, x.Lot, demand)));
    }

    /// <inheritdoc />
    public Task LoadAsync(IReadOnlyList<VersionedLot> lots, IReadOnlyList<VersionedDemand> demands)
    {
        foreach (var (version, lot) in lots)
        {
            if (_lotVersions.Newer(lot.Id, version, removed: false))
            {
                _book.UpsertLot(lot);
            }
        }

        foreach (var (version, demand) in demands)
        {
            if (_demandVersions.Newer(demand.Id, version, removed: false))
            {
                _book.UpsertDemand(demand);
            }
        }

        KeepAliveWhileHolding();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<PartitionCounts> CountsAsync() => Task.FromResult(new PartitionCounts(_book.LotCount, _book.DemandCount));

    /// <inheritdoc />
    public Task<int> RememberedVersionsAsync() => Task.FromResult(_lotVersions.Count + _demandVersions.Count);

    /// <summary>A partition with lots or demands must not be collected (its book would be lost); an empty one may be.</summary>
    private void KeepAliveWhileHolding()
        => DelayDeactivation(_book.LotCount + _book.DemandCount > 0 ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);

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

/// <summary>
/// The newest version seen of each entry in a partition's book, and of each removed entry for a while (so a late, older
/// change does not bring it back); removed entries are forgotten after the retention, so the map does not grow with
/// every lot and demand that ever passed through the partition.
/// </summary>
internal sealed class ChangeVersions(TimeSpan retention)
{
    private readonly Dictionary<string, long> _live = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _removed = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long Version, long At)> _removals = new();

    /// <summary>Entries remembered, in the book and recently removed.</summary>
    public int Count
    {
        get
        {
            Forget();
            return _live.Count + _removed.Count;
        }
    }

    /// <summary>True (and the version is recorded) when <paramref name="version"/> is newer than any seen for the entry.</summary>
    public bool Newer(string id, long version, bool removed)
    {
        Forget();
        if ((_live.TryGetValue(id, out var seen) || _removed.TryGetValue(id, out seen)) && seen >= version)
        {
            return false;
        }

        if (removed)
        {
            _live.Remove(id);
            _removed[id] = version;
            _removals.Enqueue((id, version, Environment.TickCount64));
        }
        else
        {
            _removed.Remove(id);
            _live[id] = version;
        }

        return true;
    }

    private void Forget()
    {
        var before = Environment.TickCount64 - (long)retention.TotalMilliseconds;
        while (_removals.TryPeek(out var oldest) && oldest.At <= before)
        {
            _removals.Dequeue();
            if (_removed.TryGetValue(oldest.Id, out var version) && version == oldest.Version)
            {
                _removed.Remove(oldest.Id);
            }
        }
    }
}
