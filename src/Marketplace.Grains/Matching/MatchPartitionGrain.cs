using System.Numerics;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Telemetry;
using Marketplace.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;
using Orleans.Timers;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Wraps a <see cref="MatchBook"/>: applies lot and demand changes in version order, matches the changed side against
/// the other, and turns each proposal into a session (<see cref="IMatchingSessionGrain"/>): a new pair's first state is
/// written here as a new record, without activating its grain; a pair already stored goes through its grain (which
/// refuses a pair open, declined or confirmed); one demand gets at most <see cref="MatchingOptions.MaxProposalsPerRound"/>
/// proposals per round, the best ranked, and one lot's change proposes to at most as many demands, the best ranked
/// for it (pairs among them whose round is known open are sent nothing and still count, so a lot that changes again
/// does not reach further down its ranking). Reentrant: the book is only touched between awaits, and proposals are stored concurrently.
/// <para>
/// The book lives in memory; which lots and demands are in it (the cell's membership, <see cref="CellMembership"/>) is
/// stored, so an activation anywhere at any time (a failover, a deactivation) first reads its members' current
/// summaries from their grains, and answers nothing else until then. A lot or demand about to enter the cell says so
/// (<see cref="IMatchPartitionGrain.LotJoiningAsync"/>) and waits for that to be stored before it stores itself, so the
/// record never misses a member; the change itself follows one-way. A periodic reconciliation re-reads members that
/// joined but were not heard of, and a slice of the others, so a lost join is applied within
/// <see cref="MatchingOptions.ReconcileInterval"/> and a member's later lost change within
/// <see cref="MatchingOptions.ReconcileSweepPeriod"/>, without a restart. Membership changes are stored
/// coalesced (<see cref="MatchingOptions.MembershipFlushInterval"/>) except joins, which are stored before they answer.
/// A write stores only what changed since the record was last written whole (<see cref="CellChanges"/>, one entry per
/// member changed); the record is rewritten whole, and the changes emptied, once they pass about the square root of the
/// cell's size. A cell of more than twice <see cref="MatchingOptions.MembershipPageSize"/> members keeps its record in pages by a stable hash of the
/// member (<see cref="CellPage"/>), each with its own changes: a join writes only its page's changes, and a page is
/// rewritten whole once its own changes pass about the square root of the page, so a join in a cell of 100,000
/// members writes a kilobyte or two (and now and then its page of about 50 KB), not a changes record of the whole cell
/// and now and then the whole record (0.2 to 2.4 MB at 1M lots).
/// </para>
/// A partition holding lots or demands is kept active (reloading a large cell costs a read per member); an empty one
/// may be collected like any idle grain. Versions are remembered for the entries in the book, and for removed ones only
/// for <see cref="MatchingOptions.RemovedVersionRetention"/> (long enough to ignore a late, older change).
/// </summary>
[Reentrant]
public sealed class MatchPartitionGrain(
    [PersistentState("cell", StorageOptions.StoreName)] IPersistentState<CellMembership> membership,
    [PersistentState("cell-changes", StorageOptions.StoreName)] IPersistentState<CellChanges> journal,
    [PersistentState("expiries", StorageOptions.StoreName)] IPersistentState<MatchExpiries> expiries,
    IMatchEvents events,
    TimeProvider time,
    IOptions<MatchingOptions> options,
    ILogger<MatchPartitionGrain> logger,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    IReminderRegistry reminders,
    [FromKeyedServices(MarketTime.Key)] TimeProvider marketTime,
    IOptions<ListingOptions> listingOptions,
    MarketplaceMetrics metrics,
    WebhookInterest interest)
    : Grain, IMatchPartitionGrain, IRemindable
{
    /// <summary>The name of the partition's reminder that settles its expiry calendar's due sessions.</summary>
    internal const string ExpiryReminder = "expiries";

    private MatchExpiryCalendar? _calendar;

    /// <summary>The expiries of the sessions this partition stored itself (see <see cref="MatchExpiryCalendar"/>).</summary>
    private MatchExpiryCalendar Calendar => _calendar ??= new MatchExpiryCalendar(Key, this.GetGrainId(), expiries, storage, GrainFactory, KeepExpiryReminderAsync, logger);

    /// <summary>
    /// The pairs whose session this activation knows is stored (written here, or a write refused because the pair had
    /// one), and of those the rounds it knows are open, with when each expires. A lot or demand that changes (a hold, a
    /// release, an edit) is matched again and proposes its pairs again: a pair whose round is known open and not yet due
    /// is sent nothing (its session would refuse it: an open round can only be accepted, declined or confirmed, all of
    /// which refuse too, unless it ends early, which its session says, <see cref="IMatchPartitionGrain.RoundEndedAsync"/>,
    /// before it answers); a pair known stored goes straight to its session grain, which refuses an open pair in memory,
    /// instead of a write that the storage refuses first (an exception and a statement in the writer's commit per pair).
    /// Unknown pairs (stored by an earlier activation, or forgotten) are sent as new, once: the refused write makes them
    /// known stored, and their session's answer says until when their round is open. A lot or demand that leaves the book
    /// forgets its pairs; past <see cref="MatchingOptions.RememberedPairs"/> the expired rounds are dropped, then pairs at
    /// random (<see cref="RememberedPairs"/>).
    /// </summary>
    private readonly RememberedPairs _pairs = new(options.Value.RememberedPairs);

    /// <summary>Members read at once when an activation loads its book.</summary>
    private const int LoadConcurrency = 64;

    /// <summary>Changed members a small cell's record gathers before it is rewritten whole.</summary>
    private const int MinCompactionThreshold = 64;

    /// <summary>Changed members a page gathers at least before it is rewritten whole.</summary>
    private const int MinPageCompactionThreshold = 16;

    /// <summary>
    /// Members a cell holds, on average per page, before it is laid out in more pages (a cell of one page keeps the
    /// record it always had): twice <see cref="PageMembers"/>, the members per page a new layout aims at.
    /// </summary>
    private int PagedFrom => 2 * PageMembers;

    /// <summary>Members per page a new layout aims at (<see cref="MatchingOptions.MembershipPageSize"/>).</summary>
    private int PageMembers => options.Value.MembershipPageSize;

    /// <summary>Most pages a cell is laid out in.</summary>
    private const int MaxPages = 1_024;

    /// <summary>State name of a page of a cell laid out in pages (its members, as <see cref="CellMembership"/>).</summary>
    internal const string PageStateName = "cell-page";

    /// <summary>State name of a page's changes since it was last written whole (<see cref="CellChanges"/>).</summary>
    internal const string PageChangesStateName = "cell-page-changes";

    /// <summary>
    /// The cell's members in memory, page by page: one page (stored as the records <c>cell</c> and <c>cell-changes</c>)
    /// or a power of two of them, a member in the page its hash picks (<see cref="PageIndex(string, int)"/>).
    /// </summary>
    private CellPage[] _pages = [];

    /// <summary>The layout the stored record points to (which may lag <see cref="_pages"/> while a new one is written).</summary>
    private CellPage[] _storedLayout = [];

    /// <summary>Pages with changes in no write yet.</summary>
    private readonly HashSet<int> _dirty = [];

    private readonly MatchBook _book = new();
    private readonly ChangeVersions _lotVersions = new(options.Value.RemovedVersionRetention);
    private readonly ChangeVersions _demandVersions = new(options.Value.RemovedVersionRetention);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Queue<(bool IsLot, string Id)> _sweep = new();
    private Task _loaded = Task.CompletedTask;
    private long _changes;
    private long _written;

    /// <summary>Members (<c>lot:id</c>, <c>demand:id</c>) recorded in memory but in no write yet.</summary>
    private HashSet<string> _unwritten = new(StringComparer.Ordinal);

    /// <summary>Members in the write under way, if any.</summary>
    private HashSet<string> _writing = new(StringComparer.Ordinal);

    private string Key => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Which host holds a cell's book, in that host's log (the three-host kill test picks the host to kill by it).
        logger.LogDebug("Partition {Partition} activated", Key);
        await ReadPagesAsync();
        // Not awaited here: joins must be answered while the members are read (a joining lot may be the one being read).
        _loaded = LoadMembersAsync();
        this.RegisterGrainTimer(_ => FlushAsync(), new GrainTimerCreationOptions(options.Value.MembershipFlushInterval, options.Value.MembershipFlushInterval)
        {
            Interleave = true,
            KeepAlive = false,
        });
        this.RegisterGrainTimer(_ => ReconcileAsync(), new GrainTimerCreationOptions(options.Value.ReconcileInterval, options.Value.ReconcileInterval)
        {
            Interleave = true,
            KeepAlive = false,
        });
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync();
        }
        catch (Exception e)
        {
            // The joins are stored already; what is lost here is repaired by the next activation's reconciliation.
            logger.LogWarning(e, "Partition {Partition}: storing its membership on deactivation failed", Key);
        }
    }

    /// <inheritdoc />
    public Task ReceiveReminder(string reminderName, TickStatus status)
        => reminderName == ExpiryReminder ? Calendar.SettleDueAsync(marketTime.GetUtcNow()) : Task.CompletedTask;

    /// <summary>
    /// Registers the calendar's reminder (ticking every <see cref="ListingOptions.SweepPeriod"/>, as a session's own
    /// expiry reminder does) before its first page is stored, or lets it go once every page is settled.
    /// </summary>
    private async Task KeepExpiryReminderAsync(bool keep)
    {
        if (keep)
        {
            var period = listingOptions.Value.SweepPeriod;
            await this.RegisterOrUpdateReminder(ExpiryReminder, period, period);
        }
        else if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <inheritdoc />
    public Task LotJoiningAsync(string lotId) => JoinAsync(["lot:" + lotId]);

    /// <inheritdoc />
    public Task LotsJoiningAsync(IReadOnlyList<string> lotIds) => JoinAsync(lotIds.Select(id => "lot:" + id));

    /// <inheritdoc />
    public Task DemandJoiningAsync(string demandId) => JoinAsync(["demand:" + demandId]);

    /// <summary>
    /// Records members as joining (unless already members) and answers once every one of them is in a stored write.
    /// A member already recorded and stored answers at once, without a write: this is what keeps a bulk import's
    /// lots, joined together first, from rewriting the whole record once each.
    /// </summary>
    private async Task JoinAsync(IEnumerable<string> keys)
    {
        var unstored = false;
        foreach (var key in keys)
        {
            var page = PageOf(key).Members;
            if (!IsMember(page, key) && page.Joining.TryAdd(key, time.GetUtcNow()))
            {
                Changed(key);
                _unwritten.Add(key);
            }

            unstored |= _unwritten.Contains(key) || _writing.Contains(key);
        }

        if (unstored)
        {
            await FlushAsync();
        }
    }

    /// <inheritdoc />
    public async Task LotChangedAsync(string lotId, long version, LotSummary? lot)
    {
        await _loaded;
        Heard("lot:" + lotId);
        await ApplyLotAsync(lotId, version, lot, propose: true);
    }

    /// <inheritdoc />
    public async Task LotsChangedAsync(IReadOnlyList<VersionedLot> lots)
    {
        await _loaded;
        var proposing = new List<Task>();
        foreach (var (version, lot) in lots)
        {
            Heard("lot:" + lot.Id);
            if (ApplyLotAsync(lot.Id, version, lot, propose: true) is { IsCompletedSuccessfully: false } proposal)
            {
                proposing.Add(proposal);
            }
        }

        await Task.WhenAll(proposing);
    }

    /// <inheritdoc />
    public async Task DemandChangedAsync(string demandId, long version, DemandSummary? demand)
    {
        await _loaded;
        Heard("demand:" + demandId);
        await ApplyDemandAsync(demandId, version, demand, propose: true);
    }

    /// <inheritdoc />
    public async Task LoadAsync(IReadOnlyList<VersionedLot> lots, IReadOnlyList<VersionedDemand> demands)
    {
        await _loaded;
        foreach (var (version, lot) in lots)
        {
            await ApplyLotAsync(lot.Id, version, lot, propose: false);
        }

        foreach (var (version, demand) in demands)
        {
            await ApplyDemandAsync(demand.Id, version, demand, propose: false);
        }
    }

    /// <inheritdoc />
    public Task RoundEndedAsync(string lotId, string demandId)
    {
        _pairs.RoundEnded(lotId, demandId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<PartitionCounts> CountsAsync()
    {
        await _loaded;
        return new PartitionCounts(_book.LotCount, _book.DemandCount);
    }

    /// <inheritdoc />
    public async Task<int> RememberedVersionsAsync()
    {
        await _loaded;
        return _lotVersions.Count + _demandVersions.Count;
    }

    /// <summary>Applies a lot's change if it is newer than any seen, keeping the membership in step; proposes when asked.</summary>
    private Task ApplyLotAsync(string lotId, long version, LotSummary? lot, bool propose)
    {
        if (!_lotVersions.Newer(lotId, version, removed: lot is null))
        {
            return Task.CompletedTask;
        }

        if (lot is null)
        {
            _book.RemoveLot(lotId);
            _pairs.ForgetLot(lotId);

            if (PageOf(true, lotId).Members.Lots.Remove(lotId))
            {
                Changed("lot:" + lotId);
            }

            KeepAliveWhileHolding();
            return Task.CompletedTask;
        }

        _book.UpsertLot(lot);
        if (PageOf(true, lotId).Members.Lots.Add(lotId))
        {
            Changed("lot:" + lotId);
            _unwritten.Add("lot:" + lotId);
        }

        KeepAliveWhileHolding();
        if (!propose)
        {
            return Task.CompletedTask;
        }

        var proposals = _book.MatchLot(lotId, options.Value.MaxProposalsPerRound).Select(p => (Proposal: p, Demand: _book.Demand(p.DemandId)!)).ToArray();
        return ProposeAsync("lot", lotId, proposals.Select(x => SessionProposal.From(x.Proposal, lot, x.Demand)));
    }

    /// <summary>Applies a demand's change if it is newer than any seen, keeping the membership in step; proposes when asked.</summary>
    private Task ApplyDemandAsync(string demandId, long version, DemandSummary? demand, bool propose)
    {
        if (!_demandVersions.Newer(demandId, version, removed: demand is null))
        {
            return Task.CompletedTask;
        }

        if (demand is null)
        {
            _book.RemoveDemand(demandId);
            _pairs.ForgetDemand(demandId);
            if (PageOf(false, demandId).Members.Demands.Remove(demandId))
            {
                Changed("demand:" + demandId);
            }

            KeepAliveWhileHolding();
            return Task.CompletedTask;
        }

        _book.UpsertDemand(demand);
        if (PageOf(false, demandId).Members.Demands.Add(demandId))
        {
            Changed("demand:" + demandId);
            _unwritten.Add("demand:" + demandId);
        }

        KeepAliveWhileHolding();
        if (!propose)
        {
            return Task.CompletedTask;
        }

        var proposals = _book.MatchDemand(demandId, options.Value.MaxProposalsPerRound).Select(p => (Proposal: p, Lot: _book.Lot(p.LotId)!)).ToArray();
        return ProposeAsync("demand", demandId, proposals.Select(x => SessionProposal.From(x.Proposal, x.Lot, demand)));
    }

    /// <summary>Reads every stored member's current summary from its grain into the book, without proposing.</summary>
    private async Task LoadMembersAsync()
    {
        var members = _pages.SelectMany(p => p.Members.Lots).Select(id => (IsLot: true, Id: id))
            .Concat(_pages.SelectMany(p => p.Members.Demands).Select(id => (IsLot: false, Id: id)))
            .Concat(_pages.SelectMany(p => p.Members.Joining.Keys).Select(Joining))
            .Distinct()
            .ToArray();
        if (members.Length == 0)
        {
            return;
        }

        foreach (var chunk in members.Chunk(LoadConcurrency))
        {
            await Task.WhenAll(chunk.Select(m => RereadAsync(m.IsLot, m.Id, propose: false)));
        }

        logger.LogInformation("Partition {Partition}: {Lots} lots and {Demands} demands loaded from its {Members} stored members",
            Key, _book.LotCount, _book.DemandCount, members.Length);
    }

    /// <summary>
    /// Repairs what a lost message left wrong: re-reads members that joined but were not heard of for a whole interval,
    /// and the next slice of the other members, applying (and proposing) what is newer than the book.
    /// </summary>
    private async Task ReconcileAsync()
    {
        await _loaded;
        var before = time.GetUtcNow() - options.Value.ReconcileInterval;
        var due = _pages.SelectMany(p => p.Members.Joining).Where(j => j.Value <= before).Select(j => Joining(j.Key)).ToList();
        if (_sweep.Count == 0)
        {
            // Sized at once: a cell of 100,000 members grew the queue's array through every size up to it, each sweep.
            _sweep.EnsureCapacity(MemberCount);
            foreach (var page in _pages)
            {
                foreach (var id in page.Members.Lots)
                {
                    _sweep.Enqueue((true, id));
                }
            }

            foreach (var page in _pages)
            {
                foreach (var id in page.Members.Demands)
                {
                    _sweep.Enqueue((false, id));
                }
            }
        }

        var slice = options.Value.ReconcileSlice(MemberCount);
        for (var i = 0; i < slice && _sweep.TryDequeue(out var member); i++)
        {
            due.Add(member);
        }

        foreach (var chunk in due.Distinct().Chunk(LoadConcurrency))
        {
            await Task.WhenAll(chunk.Select(m => RereadAsync(m.IsLot, m.Id, propose: true)));
        }
    }

    /// <summary>
    /// Reads one member from its grain and applies it as a change (a removal when it no longer belongs here). A join is
    /// settled by what is read when the member is here, or when the join is older than a reconciliation interval (a
    /// younger one may be a write still in flight: its own message, or the next reconciliation, settles it).
    /// </summary>
    private async Task RereadAsync(bool isLot, string id, bool propose)
    {
        try
        {
            var joining = (isLot ? "lot:" : "demand:") + id;
            var settled = !PageOf(joining).Members.Joining.TryGetValue(joining, out var joined) || joined <= time.GetUtcNow() - options.Value.ReconcileInterval;
            bool here, exists;
            if (isLot)
            {
                // Only what the book needs crosses the call: the whole lot would be deep-copied through the JSON codec.
                var (found, version, lot) = await GrainFactory.GetGrain<Listings.IListingGrain>(id).StandingAsync();
                (here, exists) = (lot is not null && MatchPartitions.ForLot(lot) == Key, found);
                await ApplyLotAsync(id, version, here ? lot : null, propose);
            }
            else
            {
                var (found, version, demand) = await GrainFactory.GetGrain<Demands.IDemandGrain>(id).StandingAsync();
                (here, exists) = (demand is not null && MatchPartitions.ForDemand(demand).Contains(Key), found);
                await ApplyDemandAsync(id, version, here ? demand : null, propose);
            }

            if (here || settled)
            {
                Heard(joining);
            }

            // One that does not exist (a join whose write failed) leaves the record.
            if (!exists && settled && (isLot ? PageOf(true, id).Members.Lots.Remove(id) : PageOf(false, id).Members.Demands.Remove(id)))
            {
                Changed(joining);
            }
        }
        catch (Exception e)
        {
            // The member stays recorded: the next reconciliation reads it again.
            logger.LogWarning(e, "Partition {Partition}: reading {Kind} {Id} failed", Key, isLot ? "lot" : "demand", id);
        }
    }

    /// <summary>A joining member has been heard of: its join is settled.</summary>
    private void Heard(string joining)
    {
        if (PageOf(joining).Members.Joining.Remove(joining))
        {
            Changed(joining);
        }
    }

    /// <summary>Notes a member's new standing (member or not, joining since when) among its page's changes to write.</summary>
    private void Changed(string key)
    {
        var index = PageIndex(key, _pages.Length);
        var page = _pages[index];
        var member = IsMember(page.Members, key);
        page.Changes.Members[key] = new CellChange(member, page.Members.Joining.TryGetValue(key, out var since) ? since : null);
        _dirty.Add(index);
        _changes++;
    }

    /// <summary>The page a member (<c>lot:id</c>, <c>demand:id</c>) is in.</summary>
    private CellPage PageOf(string key) => _pages[PageIndex(key, _pages.Length)];

    /// <summary>The page a lot or a demand is in.</summary>
    private CellPage PageOf(bool isLot, string id) => _pages[PageIndex(isLot ? "lot:" : "demand:", id, _pages.Length)];

    /// <summary>Lots and demands in the cell.</summary>
    private int MemberCount
    {
        get
        {
            var count = 0;
            foreach (var page in _pages)
            {
                count += page.Members.Lots.Count + page.Members.Demands.Count;
            }

            return count;
        }
    }

    /// <summary>
    /// The page of <paramref name="count"/> (a power of two) that holds a member: the low bits of a 32-bit FNV-1a hash of
    /// its key's characters, stable across processes and versions (a string's own hash code is neither).
    /// </summary>
    internal static int PageIndex(string key, int count) => PageIndex(string.Empty, key, count);

    private static int PageIndex(string prefix, string id, int count)
    {
        if (count == 1)
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var c in prefix)
        {
            hash = (hash ^ c) * 16777619u;
        }

        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & (uint)(count - 1));
    }

    /// <summary>
    /// Reads the stored membership into <see cref="_pages"/>: the record <c>cell</c> and its changes, or, when the record
    /// says the cell is laid out in pages, every page and its changes; each page's changes replayed over it.
    /// </summary>
    private async Task ReadPagesAsync()
    {
        var count = membership.State.Pages;
        if (count <= 1)
        {
            _pages = [new CellPage(membership.State, journal.State)];
        }
        else
        {
            _pages = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var members = new GrainState<CellMembership>(new CellMembership());
                var changes = new GrainState<CellChanges>(new CellChanges());
                await Task.WhenAll(
                    storage.ReadStateAsync(PageStateName, PageId(count, i), members),
                    storage.ReadStateAsync(PageChangesStateName, PageId(count, i), changes));
                members.State ??= new CellMembership();
                changes.State ??= new CellChanges();
                return new CellPage(members.State, changes.State) { Record = members, ChangesRecord = changes };
            }));
        }

        foreach (var page in _pages)
        {
            Replay(page);
        }

        _storedLayout = _pages;
    }

    /// <summary>The changes stored since a page was last written whole, applied over it (the latest standing of each member wins).</summary>
    private static void Replay(CellPage page)
    {
        foreach (var (key, change) in page.Changes.Members)
        {
            var (isLot, id) = Joining(key);
            var members = isLot ? page.Members.Lots : page.Members.Demands;
            if (change.Member)
            {
                members.Add(id);
            }
            else
            {
                members.Remove(id);
            }

            if (change.JoiningSince is { } since)
            {
                page.Members.Joining[key] = since;
            }
            else
            {
                page.Members.Joining.Remove(key);
            }
        }
    }

    /// <summary>True when the member a key names (<c>lot:id</c>, <c>demand:id</c>) is among a page's lots or demands, looked up without cutting the id out.</summary>
    private static bool IsMember(CellMembership page, string key)
    {
        var isLot = key.StartsWith("lot:", StringComparison.Ordinal);
        var members = isLot ? page.Lots : page.Demands;
        var id = key.AsSpan(isLot ? "lot:".Length : "demand:".Length);
        return members.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup) ? lookup.Contains(id) : members.Contains(id.ToString());
    }

    private static (bool IsLot, string Id) Joining(string key)
        => key.StartsWith("lot:", StringComparison.Ordinal) ? (true, key["lot:".Length..]) : (false, key["demand:".Length..]);

    /// <summary>
    /// Stores the membership if it changed since the last write; concurrent callers share one write. A write stores the
    /// changes of each page changed (after rewriting a page whole when its changes passed its threshold); a cell grown
    /// past <see cref="PagedFrom"/> members a page is laid out in more pages first, every page written whole.
    /// </summary>
    private async Task FlushAsync()
    {
        var wanted = _changes;
        if (_written >= wanted)
        {
            return;
        }

        await _writeGate.WaitAsync();
        try
        {
            if (_written >= wanted)
            {
                return;
            }

            var writing = _changes;
            (_writing, _unwritten) = (_unwritten, _writing);
            _unwritten.Clear();
            var dirty = _dirty.ToArray();
            _dirty.Clear();
            try
            {
                if (PagesWanted() is { } count)
                {
                    Relayout(count);
                }

                if (_pages != _storedLayout)
                {
                    await WriteLayoutAsync();
                }
                else
                {
                    await Task.WhenAll(dirty.Select(WritePageAsync));
                }
            }
            catch
            {
                _unwritten.UnionWith(_writing);
                _dirty.UnionWith(dirty.Where(i => i < _pages.Length));
                throw;
            }
            finally
            {
                _writing.Clear();
            }

            _written = writing;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The page count a cell grown past <see cref="PagedFrom"/> members a page should have; null when it has it.</summary>
    private int? PagesWanted()
    {
        var members = MemberCount;
        if (members <= PagedFrom * _pages.Length || _pages.Length >= MaxPages)
        {
            return null;
        }

        return (int)Math.Min(MaxPages, BitOperations.RoundUpToPowerOf2((uint)((members + PageMembers - 1) / PageMembers)));
    }

    /// <summary>Spreads the members over <paramref name="count"/> new pages, in memory (<see cref="WriteLayoutAsync"/> stores them).</summary>
    private void Relayout(int count)
    {
        var pages = Enumerable.Range(0, count).Select(_ => new CellPage(new CellMembership(), new CellChanges())).ToArray();
        foreach (var page in _pages)
        {
            foreach (var id in page.Members.Lots)
            {
                pages[PageIndex("lot:", id, count)].Members.Lots.Add(id);
            }

            foreach (var id in page.Members.Demands)
            {
                pages[PageIndex("demand:", id, count)].Members.Demands.Add(id);
            }

            foreach (var (key, since) in page.Members.Joining)
            {
                pages[PageIndex(key, count)].Members.Joining[key] = since;
            }
        }

        _pages = pages;
    }

    /// <summary>
    /// Stores the layout in memory: every page whole, with no changes, under names of its page count, then the record
    /// <c>cell</c> saying how many pages there are. Until that last write the stored record points to the previous
    /// layout, which stays whole; once it is written the previous layout's records are cleared (they are no longer read).
    /// A change made meanwhile goes to its page's changes, written by the next flush.
    /// </summary>
    private async Task WriteLayoutAsync()
    {
        var pages = _pages;
        var count = pages.Length;
        foreach (var page in pages)
        {
            page.Changes = new CellChanges();
            page.Record ??= new GrainState<CellMembership>(page.Members);
            page.ChangesRecord ??= new GrainState<CellChanges>(page.Changes);
        }

        // Pages of a new layout have no changes stored: their names are new (a layout is never laid out again at the
        // same count, and a failed attempt at one wrote pages only). The flag is set only once the record points here.

        await Task.WhenAll(pages.Select((page, i) => WriteRecordAsync(PageStateName, PageId(count, i), page.Record!)));
        var record = membership.State;
        membership.State = new CellMembership { Pages = count };
        try
        {
            await WriteAsync(membership);
        }
        catch
        {
            membership.State = record;
            throw;
        }

        var stale = _storedLayout;
        _storedLayout = pages;
        foreach (var page in pages)
        {
            page.ChangesStoredEmpty = page.ChangesRecord!.ETag is null;
        }

        try
        {
            if (stale.Length == 1)
            {
                await journal.ClearStateAsync();
            }
            else
            {
                await Task.WhenAll(stale.Select(async (page, i) =>
                {
                    if (page.Record is { ETag: not null } members)
                    {
                        await storage.ClearStateAsync(PageStateName, PageId(stale.Length, i), members);
                    }

                    if (page.ChangesRecord is { ETag: not null } changes)
                    {
                        await storage.ClearStateAsync(PageChangesStateName, PageId(stale.Length, i), changes);
                    }
                }));
            }
        }
        catch (Exception e)
        {
            // What is left is never read (the record points to the new layout); it only takes space.
            logger.LogWarning(e, "Partition {Partition}: clearing the records of its layout in {Pages} page(s) failed", Key, stale.Length);
        }

        logger.LogInformation("Partition {Partition}: {Members} members laid out in {Pages} pages", Key, MemberCount, count);
    }

    /// <summary>Stores a page's changes, after rewriting the page whole when they passed its threshold.</summary>
    private async Task WritePageAsync(int index)
    {
        var page = _pages[index];
        if (page.Changes.Members.Count > CompactionThreshold(page))
        {
            await CompactAsync(index, page);
        }

        if (_pages.Length == 1)
        {
            journal.State = page.Changes;
            await WriteAsync(journal);
        }
        else if (page.Changes.Members.Count > 0 || !page.ChangesStoredEmpty)
        {
            // A page rewritten whole at every write (a bulk load's) writes no empty changes over empty changes.
            var empty = page.Changes.Members.Count == 0;
            page.ChangesRecord!.State = page.Changes;
            await WriteRecordAsync(PageChangesStateName, PageId(_pages.Length, index), page.ChangesRecord);
            page.ChangesStoredEmpty = empty;
        }
    }

    /// <summary>
    /// How many changed members make a page worth rewriting whole: about the square root of its size (of the cell's,
    /// when it has one page), which keeps the bytes written per change near their least (a change entry is a few times
    /// the size of a member in the record).
    /// </summary>
    private int CompactionThreshold(CellPage page)
        => _pages.Length == 1
            ? Math.Max(MinCompactionThreshold, (int)Math.Sqrt(MemberCount))
            : Math.Max(MinPageCompactionThreshold, (int)Math.Sqrt(page.Members.Lots.Count + page.Members.Demands.Count));

    /// <summary>
    /// Writes a page whole and starts an empty set of its changes. Changes made during the write go to the new set
    /// (the page may hold them too: replaying a member's latest standing over it changes nothing); when the write
    /// fails, the folded changes come back under any newer ones.
    /// </summary>
    private async Task CompactAsync(int index, CellPage page)
    {
        var folded = page.Changes;
        page.Changes = new CellChanges();
        try
        {
            if (_pages.Length == 1)
            {
                await WriteAsync(membership);
            }
            else
            {
                await WriteRecordAsync(PageStateName, PageId(_pages.Length, index), page.Record!);
            }
        }
        catch
        {
            foreach (var (key, change) in folded.Members)
            {
                page.Changes.Members.TryAdd(key, change);
            }

            throw;
        }
    }

    /// <summary>The storage key of page <paramref name="index"/> of a layout in <paramref name="count"/> pages.</summary>
    private GrainId PageId(int count, int index)
    {
        // Made once per page of a layout: a page's changes are written on most turns that change its members.
        if (_pageIds.Length != count)
        {
            _pageIds = new GrainId[count];
        }

        ref var id = ref _pageIds[index];
        if (id.IsDefault)
        {
            id = GrainId.Create(this.GetGrainId().Type, $"{Key}/pages{count}/{index}");
        }

        return id;
    }

    /// <summary>The storage ids of the pages of the last layout asked about (<see cref="PageId"/>).</summary>
    private GrainId[] _pageIds = [];

    /// <summary>Writes one page's record; one stored by an earlier activation, or by a layout write that failed, is overwritten.</summary>
    private Task WriteRecordAsync<T>(string stateName, GrainId id, GrainState<T> record)
        where T : new()
        => PageWrites.WriteAsync(storage, stateName, id, record, overwriteAny: true);

    private static async Task WriteAsync<T>(IPersistentState<T> stored)
    {
        try
        {
            await stored.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // An earlier activation (on a silo declared dead) wrote last: this one's state is the current one.
            var mine = stored.State;
            await stored.ReadStateAsync();
            stored.State = mine;
            await stored.WriteStateAsync();
        }
    }

    /// <summary>A partition with lots or demands is kept active (reloading costs a read per member); an empty one may be collected.</summary>
    private void KeepAliveWhileHolding()
        => DelayDeactivation(_book.LotCount + _book.DemandCount > 0 ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);

    /// <summary>
    /// Stores each proposal, then records the stored sessions in the traders' inboxes: one one-way call per firm for the
    /// whole turn (a demand proposed five lots is one call to its buyer's inbox, not five). A new pair's session is
    /// written here, straight to grain storage as a new record, with its expiry reminder registered for it and its
    /// webhook events in the same write, so its grain is not activated until the match is read, acted on or expires; a
    /// pair whose session is stored already (the write is refused: open, declined, confirmed or expired) goes through
    /// its grain, which decides whether a new round starts.
    /// </summary>
    private async Task ProposeAsync(string kind, string id, IEnumerable<SessionProposal> proposals)
    {
        // A firm is never proposed its own lot; a pair whose round is known open would be refused by its session.
        var now = marketTime.GetUtcNow();
        var kept = new List<SessionProposal>();
        foreach (var p in proposals)
        {
            if (p.SellerId != p.BuyerId && !KnownOpen(p, now))
            {
                kept.Add(p);
            }
        }

        var pairs = kept.ToArray();
        if (pairs.Length == 0)
        {
            events.Matched(kind, id, 0);
            return;
        }

        // The registry reads and the calendar's page at once: both come before the sessions' writes.
        var asking = FirmsWantingAsync(pairs);
        var calendared = await CalendarAsync(pairs, now);
        var wanting = await asking;
        // Loops rather than LINQ on this path: each iterator and closure was an allocation on every turn that proposes.
        var stores = new Task<(MatchingSession? Session, bool Created)>[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            stores[i] = StoreAsync(pairs[i], now, wanting, calendared);
        }

        var stored = new List<MatchingSession>(stores.Length);
        var handOver = new List<MatchingSession>();
        foreach (var store in stores)
        {
            try
            {
                var (session, created) = await store;
                if (session is not null)
                {
                    stored.Add(session);
                    if (created && session.Outbox.Count > 0)
                    {
                        handOver.Add(session);
                    }
                }
            }
            catch (Exception e)
            {
                // Proposals are derived: a failed one is proposed again at the pair's next change.
                logger.LogWarning(e, "Partition {Partition}: storing a proposal for {Kind} {Id} failed", Key, kind, id);
            }
        }

        if (stored.Count > 0)
        {
            // Each firm's inbox gets its sessions of the turn in one call. A turn is one lot or demand, so its own firm is
            // in every session: those get one array for all (passed without a copy, it is never changed).
            MatchingSession[]? all = null;
            foreach (var firm in TurnFirms(stored))
            {
                var count = 0;
                foreach (var session in stored)
                {
                    count += Involves(session, firm) ? 1 : 0;
                }

                MatchingSession[] theirs;
                if (count == stored.Count)
                {
                    theirs = all ??= [.. stored];
                }
                else
                {
                    theirs = new MatchingSession[count];
                    var next = 0;
                    foreach (var session in stored)
                    {
                        if (Involves(session, firm))
                        {
                            theirs[next++] = session;
                        }
                    }
                }

                _ = GrainFactory.GetGrain<IMatchInboxGrain>(firm).RecordAllAsync(theirs);
            }
        }

        HandOver(handOver, wanting);
        events.Matched(kind, id, stored.Count);
    }

    /// <summary>
    /// The firms of the turn's pairs with a subscription to <c>match.proposed</c> (most have none, and a registry drops
    /// what no subscription wants): only their sessions get the event, so the others' stored outbox stays empty and
    /// nothing is handed over for them. From the silo's lease of the <see cref="WebhookDirectoryGrain"/>'s list
    /// (<see cref="WebhookInterest"/>); when the directory cannot answer, every firm of the turn counts as wanting it. A
    /// subscription made while the turn runs counts as made after it, as one made a moment later would.
    /// </summary>
    private async Task<HashSet<string>> FirmsWantingAsync(SessionProposal[] pairs)
    {
        // The silo's lease of the directory (asked at most once per lease for all grains, not once per turn).
        var wanting = await interest.CurrentAsync();
        HashSet<string>? firms = null;
        foreach (var pair in pairs)
        {
            if (wanting.Wants(pair.BuyerId, "match.proposed"))
            {
                (firms ??= new HashSet<string>(StringComparer.Ordinal)).Add(pair.BuyerId);
            }

            if (wanting.Wants(pair.SellerId, "match.proposed"))
            {
                (firms ??= new HashSet<string>(StringComparer.Ordinal)).Add(pair.SellerId);
            }
        }

        return firms ?? NoFirms;
    }

    /// <summary>The firms wanting no event of a turn (most turns): shared, as the sets of firms wanting one are only read.</summary>
    private static readonly HashSet<string> NoFirms = new(StringComparer.Ordinal);

    /// <summary>True when a session's lot is the firm's or its demand is.</summary>
    private static bool Involves(MatchingSession session, string firm) => session.Proposal!.BuyerId == firm || session.Proposal.SellerId == firm;

    /// <summary>
    /// The buyers and sellers of a turn's pairs, each once, in the order first met: looked up in the list while it is
    /// short (a turn has a few firms by default), in a set past <see cref="FirmsListed"/> (a large proposal bound).
    /// </summary>
    internal static List<string> TurnFirms(List<MatchingSession> sessions)
    {
        var firms = new List<string>();
        HashSet<string>? seen = null;
        foreach (var session in sessions)
        {
            Add(session.Proposal!.BuyerId);
            Add(session.Proposal.SellerId);
        }

        return firms;

        void Add(string firm)
        {
            if (seen is null && firms.Count >= FirmsListed)
            {
                seen = new HashSet<string>(firms, StringComparer.Ordinal);
            }

            if (seen is null ? !firms.Contains(firm) : seen.Add(firm))
            {
                firms.Add(firm);
            }
        }
    }

    private const int FirmsListed = 16;

    /// <summary>
    /// Records the expiries of the turn's new pairs (those not known to be stored) in the partition's calendar, one
    /// page for the turn, before their sessions are written, so no session this partition stores lacks its expiry.
    /// False when the page could not be stored: each new session then gets its own reminder, as before the calendar.
    /// </summary>
    private async Task<bool> CalendarAsync(SessionProposal[] pairs, DateTimeOffset now)
    {
        var expiresAt = now + options.Value.SessionLifetime;
        var fresh = pairs.Where(p => !_pairs.IsStored(p.LotId, p.DemandId))
            .Select(p => new SessionExpiry(SessionProposal.SessionId(p.LotId, p.DemandId), expiresAt))
            .ToArray();
        try
        {
            await Calendar.AddAsync(fresh);
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Partition {Partition}: storing the expiries of {Count} proposal(s) failed; each registers a reminder", Key, fresh.Length);
            return false;
        }
    }

    /// <summary>
    /// Stores one proposal: a new pair's first state written as a new record (refused when the pair has one), else
    /// through the pair's grain. The session stored (null when the grain refused the pair) and whether it was written here.
    /// </summary>
    private async Task<(MatchingSession? Session, bool Created)> StoreAsync(SessionProposal proposal, DateTimeOffset now, HashSet<string> wanting, bool calendared)
    {
        var sessionId = SessionProposal.SessionId(proposal.LotId, proposal.DemandId);
        var grain = GrainFactory.GetGrain<IMatchingSessionGrain>(sessionId);
        if (_pairs.IsStored(proposal.LotId, proposal.DemandId))
        {
            return (Answered(proposal, await grain.ProposeAsync(proposal), now), false);
        }

        var session = new MatchingSession();
        session.Propose(sessionId, proposal, now, options.Value.SessionLifetime);
        if (wanting.Contains(proposal.BuyerId) || wanting.Contains(proposal.SellerId))
        {
            // The webhook events in the same write as the proposal, as the session's own writes do.
            session.Outbox.AddRange(WebhookEvents.ForMatch(MatchMark.None, session, now));
        }

        var grainId = grain.GetGrainId();
        try
        {
            // No ETag: a new record, which every store refuses when the pair's session exists (even one never read here).
            await storage.WriteStateAsync(MatchingSessionGrain.StateName, grainId, new GrainState<MatchingSession> { State = session });
        }
        catch (InconsistentStateException)
        {
            RememberStored(proposal, now);
            return (Answered(proposal, await grain.ProposeAsync(proposal), now), false);
        }

        RememberStored(proposal, now);
        Opened(proposal, session, now);
        metrics.ProposalMade();
        if (calendared)
        {
            return (session, true);
        }

        try
        {
            await reminders.RegisterOrUpdateReminder(grainId, MatchingSessionGrain.ExpiryReminder, session.ExpiresAt - now, listingOptions.Value.SweepPeriod);
        }
        catch (Exception e)
        {
            // The proposal is stored: its session registers the reminder itself (activated for it).
            logger.LogWarning(e, "Partition {Partition}: registering the expiry of {Session} failed; the session registers it", Key, sessionId);
            await grain.ScheduleExpiryAsync();
        }

        return (session, true);
    }

    /// <summary>True when the pair's round is known open and not yet due: its session would refuse the proposal.</summary>
    private bool KnownOpen(SessionProposal pair, DateTimeOffset now) => _pairs.IsOpen(pair.LotId, pair.DemandId, now);

    /// <summary>Remembers a round this partition just stored (a new pair, or a new round its session started); passes the session on.</summary>
    private MatchingSession? Opened(SessionProposal pair, MatchingSession? session, DateTimeOffset now)
    {
        if (session is { Status: MatchStatus.Proposed } && InBook(pair))
        {
            _pairs.Opened(pair.LotId, pair.DemandId, session.ExpiresAt, now);
        }

        return session;
    }

    /// <summary>
    /// Remembers what a pair's session answered: the new round it started, or that its round is open until when (a
    /// pair forgotten, or stored by an earlier activation, is then sent nothing more until that round expires).
    /// </summary>
    private MatchingSession? Answered(SessionProposal pair, ProposalAnswer answer, DateTimeOffset now)
    {
        if (answer.OpenUntil is { } until && InBook(pair))
        {
            _pairs.Opened(pair.LotId, pair.DemandId, until, now);
        }

        return Opened(pair, answer.Started, now);
    }

    /// <summary>Remembers a pair whose session is stored.</summary>
    private void RememberStored(SessionProposal pair, DateTimeOffset now)
    {
        if (InBook(pair))
        {
            _pairs.Stored(pair.LotId, pair.DemandId, now);
        }
    }

    /// <summary>
    /// True when both sides of the pair are still in the book: one that left while its proposal was being stored
    /// has forgotten its pairs already, and is not remembered again.
    /// </summary>
    private bool InBook(SessionProposal pair) => _book.Lot(pair.LotId) is not null && _book.Demand(pair.DemandId) is not null;

    /// <summary>
    /// Hands the turn's stored webhook events to the firms that want them, one call per firm, without waiting. When a
    /// registry does not take them, the sessions are activated: each hands its stored outbox over again and retries on
    /// its timer (a subscription drops a repeated event).
    /// </summary>
    private void HandOver(List<MatchingSession> sessions, HashSet<string> wanting)
    {
        if (sessions.Count == 0)
        {
            return;
        }

        var calls = sessions.SelectMany(s => s.Outbox)
            .SelectMany(e => e.Firms.Distinct().Where(wanting.Contains).Select(firm => (Firm: firm, Event: e)))
            .GroupBy(x => x.Firm, StringComparer.Ordinal)
            .Select(g => GrainFactory.GetGrain<IWebhookFirmGrain>(g.Key).PublishAsync(g.Select(x => x.Event).ToArray()))
            .ToArray();
        _ = Task.WhenAll(calls).ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    return;
                }

                logger.LogWarning(t.Exception, "Partition {Partition}: handing over the events of {Count} proposal(s) failed; their sessions hand them over", Key, sessions.Count);
                foreach (var s in sessions)
                {
                    _ = GrainFactory.GetGrain<IMatchingSessionGrain>(s.Id).AsReference<IWebhookOutboxGrain>().HandOverAsync();
                }
            },
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
    }
}

/// <summary>
/// Which lots and demands a partition holds (state <c>cell</c> of grain type <c>matchpartition</c>): what an activation
/// loads its book from. Ids only; the summaries are read from the lots' and demands' grains.
/// </summary>
public sealed class CellMembership
{
    /// <summary>Ids of the open lots in the cell.</summary>
    public HashSet<string> Lots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Ids of the open demands whose radius reaches the cell.</summary>
    public HashSet<string> Demands { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Lots (<c>lot:id</c>) and demands (<c>demand:id</c>) that said they are entering the cell, with when, until
    /// their change arrives; one not heard of for a reconciliation interval is read from its grain.
    /// </summary>
    public Dictionary<string, DateTimeOffset> Joining { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// 0 (or 1): this record holds the members. More: the cell is laid out in this many pages (a power of two), each a
    /// record of its own (state <c>cell-page</c>, with its changes in <c>cell-page-changes</c>, of key
    /// <c>&lt;partition&gt;/pages&lt;count&gt;/&lt;page&gt;</c>), and this record holds nothing else.
    /// </summary>
    public int Pages { get; set; }
}

/// <summary>One page of a partition's membership in memory: its members and the changes not yet folded into its record.</summary>
internal sealed class CellPage(CellMembership members, CellChanges changes)
{
    /// <summary>The page's members (for a cell of one page, the record <c>cell</c> itself).</summary>
    public CellMembership Members { get; } = members;

    /// <summary>Changes since the page was last written whole.</summary>
    public CellChanges Changes { get; set; } = changes;

    /// <summary>The page's stored record and its ETag (pages of a layout in several pages only).</summary>
    public GrainState<CellMembership>? Record { get; set; }

    /// <summary>The page's stored changes and their ETag (pages of a layout in several pages only).</summary>
    public GrainState<CellChanges>? ChangesRecord { get; set; }

    /// <summary>True when the page's stored changes are known to be empty (a new layout's page, or its last write was empty).</summary>
    public bool ChangesStoredEmpty { get; set; }
}

/// <summary>
/// What changed in a partition's membership since its record (<see cref="CellMembership"/>) was last written whole
/// (state <c>cell-changes</c> of grain type <c>matchpartition</c>): the latest standing of each changed member, replayed
/// over the record when an activation loads.
/// </summary>
public sealed class CellChanges
{
    /// <summary>Changed members (<c>lot:id</c>, <c>demand:id</c>) and their latest standing.</summary>
    public Dictionary<string, CellChange> Members { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A member's standing in a partition's membership.</summary>
/// <param name="Member">True when the lot or demand is among the cell's members.</param>
/// <param name="JoiningSince">When it said it was joining, until its change was heard; null when it is not joining.</param>
public sealed record CellChange(bool Member, DateTimeOffset? JoiningSince);

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
