using Marketplace.Domain.Traders;
using Marketplace.Grains.Storage;
using Orleans.Storage;

namespace Marketplace.Grains.Traders;

/// <summary>
/// A firm's stored records: its own record (state <c>trader</c>: profile, roles, notices, the number of lot pages), its
/// lots in pages of <see cref="PageSize"/> (state <c>trader-lots</c>, oldest first, each lot with its status entry) and
/// the lots' changes since the pages were last written (state <c>trader-lot-changes</c>: the lots added after the pages'
/// lots, and the status entries changed since).
/// A seller importing 50,000 lots had one record of about 5 MB rewritten whole for every batch and every status a lot
/// reported; pages made that the pages a change touched, but a new lot still rewrote its seller's last page of up to
/// 500 lots on each of its three writes (added, draft, published: about 60 KB each on a full page). Now a change of a
/// few lots writes the changes record (at most about <see cref="ChangesLimit"/> lots' entries, whatever the firm's
/// size); once the changes would pass <see cref="ChangesLimit"/> lots, the pages they touch are written instead and the
/// changes emptied (as an inbox's changes are), and a change of more lots at once (an import batch) writes its pages
/// straight away.
/// <para>
/// The firm's demand ids (every wanted notice it ever posted, oldest first) are pages of <see cref="PageSize"/> too
/// (state <c>trader-demands</c>), appended to. A new demand writes the firm's record alone (which keeps its open
/// demands anyway): the newest ids ride in it after the pages' until more than <see cref="ChangesLimit"/> have come,
/// then the pages that take them are written before the record that counts them. A page beyond the record's count (the
/// record's write failed) is not read, and is overwritten by the next write of that page; ids a page holds and its
/// record still keeps after the pages are read once. A record stored before demand pages holds its ids itself, and
/// its next write moves them.
/// </para>
/// <para>
/// A record stored before pages holds its lots itself (<see cref="Trader.LotPages"/> 0): it reads as it did, and the
/// next write moves its lots into pages. Pages are written before the firm's record that counts them, and both before
/// the changes are emptied; a page written by a write whose record then failed lies beyond the count: its lots are
/// not read (each is still in the changes, or was reported to the caller as not recorded), and the next write of that
/// page overwrites it. An activation replays the changes over the pages: an added lot the pages hold already is not
/// added twice, and of two entries for a lot the newer version wins. A firm stored before the changes record has none
/// and reads as it did.
/// </para>
/// </summary>
internal sealed class TraderRecords(IGrainStorage storage, string traderId)
{
    /// <summary>The firm's own record's state name (as before pages).</summary>
    public const string StateName = "trader";

    /// <summary>The lot pages' state name.</summary>
    public const string PagesStateName = "trader-lots";

    /// <summary>The state name of the lots' changes since the pages were last written.</summary>
    public const string ChangesStateName = "trader-lot-changes";

    /// <summary>The demand pages' state name.</summary>
    public const string DemandPagesStateName = "trader-demands";

    /// <summary>Lots (and demand ids) per page: one status change rewrites about this many lots' entries (about 80 bytes each).</summary>
    public const int PageSize = 500;

    /// <summary>
    /// Lots (added, or with a changed entry) the changes record holds at most; a change that would pass it writes the
    /// pages instead and empties the changes. So a change of a few lots writes at most about 3 KB (about 120 bytes a
    /// lot), and a new lot's share of its last page's rewrite (up to about 60 KB) is a 24th. The bytes per new lot are
    /// flat between 16 and 32 (the changes rewritten grow as the pages' share shrinks).
    /// </summary>
    public const int ChangesLimit = 24;

    private readonly GrainId _id = GrainId.Create(StateName, traderId);
    private readonly GrainId _changesId = GrainId.Create(ChangesStateName, traderId);
    private readonly GrainState<Trader> _record = new() { State = new Trader() };
    private readonly GrainState<TraderLotChanges> _changes = new() { State = new TraderLotChanges() };

    /// <summary>
    /// The changes record to write, refilled for each write rather than made anew (its list and map keep their
    /// capacity): a seller's lot changes write it on most of their writes. Serialized as the write is asked for.
    /// </summary>
    private readonly TraderLotChanges _toWrite = new();
    private readonly Dictionary<int, string?> _pageETags = [];

    /// <summary>Lots held in the pages whose entries changed since the pages were written.</summary>
    private readonly HashSet<string> _changedPaged = new(StringComparer.Ordinal);

    private Dictionary<string, int>? _positions;
    private int _storedPages;

    /// <summary>How many of the firm's first lots the stored pages hold; the rest are in the changes.</summary>
    private int _pagedLots;

    /// <summary>The stored changes record holds something (so emptying it takes a write).</summary>
    private bool _changesStored;

    private bool _recordDirty;
    private bool _lotsDirty;

    /// <summary>The demand pages the stored record counts, and how many of the firm's demand ids they hold.</summary>
    private int _storedDemandPages;
    private int _pagedDemands;

    /// <summary>Demand ids were added since the pages were written (or the record holds them itself, from before pages).</summary>
    private bool _demandsDirty;
    private readonly Dictionary<int, string?> _demandPageETags = [];

    /// <summary>The next lots' write writes pages (a record stored before pages).</summary>
    private bool _mustWritePages;

    /// <summary>The firm as read and changed since.</summary>
    public Trader State { get; private set; } = new();

    /// <summary>Reads the firm's record, its lot pages and their changes.</summary>
    public async Task ReadAsync()
    {
        _record.State = new Trader();
        _changes.State = new TraderLotChanges();
        _changes.ETag = null;
        await Task.WhenAll(storage.ReadStateAsync(StateName, _id, _record), storage.ReadStateAsync(ChangesStateName, _changesId, _changes));
        var trader = _record.State ?? new Trader();
        var changes = _changes.State ?? new TraderLotChanges();
        _changes.State = changes;
        _pageETags.Clear();
        _changedPaged.Clear();
        _positions = null;
        _storedPages = trader.LotPages;
        _pagedLots = 0;
        _changesStored = changes.Added.Count > 0 || changes.Statuses.Count > 0;
        (_recordDirty, _lotsDirty, _mustWritePages) = (false, false, false);
        await ReadDemandsAsync(trader);
        if (trader.LotPages > 0 || _changesStored)
        {
            var pages = Enumerable.Range(0, trader.LotPages).Select(_ => new GrainState<TraderLotPage>()).ToArray();
            await Task.WhenAll(pages.Select((page, p) => storage.ReadStateAsync(PagesStateName, PageId(p), page)));
            var ids = new List<string>(trader.LotPages * PageSize + changes.Added.Count);
            var statuses = new Dictionary<string, ListedLot>(StringComparer.Ordinal);
            for (var p = 0; p < pages.Length; p++)
            {
                _pageETags[p] = pages[p].ETag;
                ids.AddRange(pages[p].State?.Ids ?? []);
                foreach (var (id, lot) in pages[p].State?.Statuses ?? [])
                {
                    statuses[id] = lot;
                }
            }

            _pagedLots = ids.Count;
            if (changes.Added.Count > 0)
            {
                // Lots the pages hold already were written by a write of pages whose emptying of the changes failed.
                var paged = new HashSet<string>(ids, StringComparer.Ordinal);
                ids.AddRange(changes.Added.Where(paged.Add));
            }

            foreach (var (id, lot) in changes.Statuses)
            {
                if (!(statuses.TryGetValue(id, out var known) && known.Version > lot.Version))
                {
                    statuses[id] = lot;
                }
            }

            trader.RestoreLots(ids, statuses);
            foreach (var id in changes.Statuses.Keys)
            {
                LotChanged(trader, id);
            }
        }
        else if (trader.ListingIds.Count > 0)
        {
            // Stored before pages: the next write moves the lots into pages and drops them from the firm's record.
            (_recordDirty, _lotsDirty, _mustWritePages) = (true, true, true);
        }

        State = trader;
    }

    /// <summary>
    /// Reads the firm's demand pages into <paramref name="trader"/>, followed by the ids its record keeps after them; a
    /// record from before pages holds all its ids itself, and its next write moves them.
    /// </summary>
    private async Task ReadDemandsAsync(Trader trader)
    {
        _demandPageETags.Clear();
        (_storedDemandPages, _pagedDemands, _demandsDirty) = (trader.DemandPages, 0, false);
        if (trader.DemandIds.Count > 0)
        {
            // Stored before demand pages: the ids inline, none paged yet.
            (_demandsDirty, _recordDirty) = (true, true);
            return;
        }

        var pages = Enumerable.Range(0, trader.DemandPages).Select(_ => new GrainState<TraderDemandPage>()).ToArray();
        await Task.WhenAll(pages.Select((page, p) => storage.ReadStateAsync(DemandPagesStateName, DemandPageId(p), page)));
        var ids = new List<string>(trader.DemandPages * PageSize + trader.DemandsAfterPages.Count);
        for (var p = 0; p < pages.Length; p++)
        {
            _demandPageETags[p] = pages[p].ETag;
            ids.AddRange(pages[p].State?.Ids ?? []);
        }

        _pagedDemands = ids.Count;
        trader.RestoreDemands(ids);
    }

    /// <summary>A demand id was appended to the firm's list.</summary>
    public void DemandAdded() => _demandsDirty = true;

    /// <summary>Starts a new firm (not yet stored).</summary>
    public void Reset(Trader trader)
    {
        State = trader;
        _positions = null;
        _changedPaged.Clear();
        _pagedLots = 0;
        _demandPageETags.Clear();
        (_storedDemandPages, _pagedDemands, _demandsDirty) = (0, 0, false);
        (_recordDirty, _lotsDirty, _mustWritePages) = (true, false, false);
    }

    /// <summary>The firm's own record changed (not only its lots).</summary>
    public void RecordChanged() => _recordDirty = true;

    /// <summary>Lots were appended to the firm's list, which held <paramref name="countBefore"/> before.</summary>
    public void LotsAdded(int countBefore) => _lotsDirty |= State.ListingIds.Count > countBefore;

    /// <summary>The entry of the firm's lot <paramref name="listingId"/> changed.</summary>
    public void LotChanged(string listingId)
    {
        LotChanged(State, listingId);
        _lotsDirty = true;
    }

    /// <summary>
    /// Writes the lots' changes (or, past <see cref="ChangesLimit"/>, the pages they touched and then the emptied
    /// changes) and then, when it changed or the pages are more, the firm's record. When a write fails, reads everything
    /// back before rethrowing, so memory never keeps a change that was not stored.
    /// </summary>
    public async Task WriteAsync()
    {
        try
        {
            var pages = _storedPages;
            if (_lotsDirty)
            {
                var added = State.ListingIds.Count - _pagedLots;
                if (_mustWritePages || added + _changedPaged.Count > ChangesLimit)
                {
                    pages = (State.ListingIds.Count + PageSize - 1) / PageSize;
                    var dirty = new SortedSet<int>(_changedPaged.Select(id => _positions![id] / PageSize));
                    for (var p = _pagedLots / PageSize; p < pages; p++)
                    {
                        dirty.Add(p);
                    }

                    await Task.WhenAll(dirty.Select(WritePageAsync));
                    await WriteRecordAsync(pages);
                    if (_changesStored)
                    {
                        _toWrite.Added.Clear();
                        _toWrite.Statuses.Clear();
                        await WriteChangesAsync(_toWrite);
                    }

                    _pagedLots = State.ListingIds.Count;
                    _changedPaged.Clear();
                    _mustWritePages = false;
                }
                else
                {
                    var changes = _toWrite;
                    changes.Added.Clear();
                    changes.Statuses.Clear();
                    var ids = State.ListingIds;
                    for (var i = _pagedLots; i < ids.Count; i++)
                    {
                        changes.Added.Add(ids[i]);
                    }

                    foreach (var id in _changedPaged)
                    {
                        Put(changes, id);
                    }

                    foreach (var id in changes.Added)
                    {
                        Put(changes, id);
                    }

                    await WriteChangesAsync(changes);
                }

                _lotsDirty = false;
            }

            await WriteDemandPagesAsync();
            await WriteRecordAsync(pages);
        }
        catch
        {
            await ReadAsync();
            throw;
        }
    }

    /// <summary>Puts a lot's status entry in the changes to write (a lot without one has none).</summary>
    private void Put(TraderLotChanges changes, string id)
    {
        if (State.ListedLot(id) is { } lot)
        {
            changes.Statuses[id] = lot;
        }
    }

    /// <summary>
    /// Once more than <see cref="ChangesLimit"/> demand ids are after the pages (kept in the firm's record meanwhile), writes
    /// the pages that take them (the last one or two, or all for a record from before pages); the record follows.
    /// </summary>
    private async Task WriteDemandPagesAsync()
    {
        if (!_demandsDirty)
        {
            return;
        }

        _recordDirty = true;
        var ids = State.DemandIds;
        if (ids.Count - _pagedDemands <= ChangesLimit)
        {
            _demandsDirty = false;
            return;
        }

        var pages = (ids.Count + PageSize - 1) / PageSize;
        for (var p = _pagedDemands / PageSize; p < pages; p++)
        {
            var (from, to) = (p * PageSize, Math.Min(ids.Count, (p + 1) * PageSize));
            var page = new TraderDemandPage { Ids = new List<string>(to - from) };
            for (var i = from; i < to; i++)
            {
                page.Ids.Add(ids[i]);
            }

            var state = new GrainState<TraderDemandPage>(page) { ETag = _demandPageETags.GetValueOrDefault(p) };
            await PageWrites.WriteAsync(storage, DemandPagesStateName, DemandPageId(p), state);
            _demandPageETags[p] = state.ETag;
        }

        _pagedDemands = ids.Count;
        _demandsDirty = false;
    }

    /// <summary>Writes the firm's record as new (a registration); leaves memory as it is when that fails.</summary>
    public async Task CreateAsync()
    {
        _record.State = State.WithoutLots(0, 0);
        await storage.WriteStateAsync(StateName, _id, _record);
        (_storedPages, _recordDirty) = (0, false);
    }

    /// <summary>Notes a paged lot's changed entry (a lot beyond the pages is in the changes anyway).</summary>
    private void LotChanged(Trader trader, string listingId)
    {
        var ids = trader.ListingIds;
        // A lot in the changes (a few: a batch of many goes the map's way) needs no map of every lot's position.
        for (var i = _pagedLots; i < ids.Count && ids.Count - _pagedLots <= ChangesLimit; i++)
        {
            if (ids[i] == listingId)
            {
                return;
            }
        }

        if (_positions is null)
        {
            _positions = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        }

        for (var i = _positions.Count; i < ids.Count; i++)
        {
            _positions.TryAdd(ids[i], i);
        }

        if (_positions.TryGetValue(listingId, out var position) && position < _pagedLots)
        {
            _changedPaged.Add(listingId);
        }
    }

    private async Task WriteRecordAsync(int pages)
    {
        if (_recordDirty || pages != _storedPages)
        {
            var demandPages = (_pagedDemands + PageSize - 1) / PageSize;
            _record.State = State.WithoutLots(pages, demandPages, _pagedDemands);
            await storage.WriteStateAsync(StateName, _id, _record);
            (_storedPages, _storedDemandPages, _recordDirty) = (pages, demandPages, false);
        }
    }

    private async Task WriteChangesAsync(TraderLotChanges changes)
    {
        _changes.State = changes;
        await storage.WriteStateAsync(ChangesStateName, _changesId, _changes);
        _changesStored = changes.Added.Count > 0 || changes.Statuses.Count > 0;
    }

    private async Task WritePageAsync(int p)
    {
        var ids = State.ListingIds;
        var (from, to) = (p * PageSize, Math.Min(ids.Count, (p + 1) * PageSize));
        // Sized at once: grown entry by entry, a page of 500 lots left about as much garbage again in resized arrays.
        var page = new TraderLotPage { Ids = new List<string>(Math.Max(0, to - from)), Statuses = new Dictionary<string, ListedLot>(Math.Max(0, to - from), StringComparer.Ordinal) };
        for (var i = from; i < to; i++)
        {
            page.Ids.Add(ids[i]);
            if (State.ListedLot(ids[i]) is { } lot)
            {
                page.Statuses[ids[i]] = lot;
            }
        }

        var state = new GrainState<TraderLotPage>(page) { ETag = _pageETags.GetValueOrDefault(p) };
        await PageWrites.WriteAsync(storage, PagesStateName, PageId(p), state);

        _pageETags[p] = state.ETag;
    }

    private GrainId PageId(int page) => GrainId.Create(PagesStateName, $"{traderId}/{page}");

    private GrainId DemandPageId(int page) => GrainId.Create(DemandPagesStateName, $"{traderId}/{page}");
}

/// <summary>One stored page of a firm's demand ids (see <see cref="TraderRecords"/>), oldest first.</summary>
public sealed class TraderDemandPage
{
    /// <summary>The page's demand ids, oldest first.</summary>
    public List<string> Ids { get; set; } = [];
}

/// <summary>One stored page of a firm's lots (see <see cref="TraderRecords"/>): their ids, oldest first, and the entries they reported.</summary>
public sealed class TraderLotPage
{
    /// <summary>The page's lot ids, oldest first.</summary>
    public List<string> Ids { get; set; } = [];

    /// <summary>The status entries of the page's lots that reported one.</summary>
    public Dictionary<string, ListedLot> Statuses { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A firm's lots' changes since its pages were last written (see <see cref="TraderRecords"/>).</summary>
public sealed class TraderLotChanges
{
    /// <summary>The lots added after the pages' lots, oldest first.</summary>
    public List<string> Added { get; set; } = [];

    /// <summary>The status entries changed since the pages were written (of paged and added lots).</summary>
    public Dictionary<string, ListedLot> Statuses { get; set; } = new(StringComparer.Ordinal);
}
