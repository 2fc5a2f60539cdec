using Marketplace.Domain.Traders;
using Marketplace.Grains.Storage;
using Orleans.Storage;

namespace Marketplace.Grains.Traders;

/// <summary>
/// A firm's stored records: its own record (state <c>trader</c>: profile, roles, notices, the number of lot pages) and
/// its lots in pages of <see cref="PageSize"/> (state <c>trader-lots</c>, oldest first, each lot with its status entry).
/// A seller importing 50,000 lots had one record of about 5 MB rewritten whole for every batch and every status a lot
/// reported; now a change writes the pages it touched, and the firm's own record only when it changed or gained a page.
/// <para>
/// A record stored before pages holds its lots itself (<see cref="Trader.LotPages"/> 0): it reads as it did, and the
/// next write moves its lots into pages. Pages are written before the firm's record that counts them; a page written
/// by a write whose record then failed lies beyond the count: its lots are not read (each was reported to the caller
/// as not recorded), and the next write of that page overwrites it.
/// </para>
/// </summary>
internal sealed class TraderRecords(IGrainStorage storage, string traderId)
{
    /// <summary>The firm's own record's state name (as before pages).</summary>
    public const string StateName = "trader";

    /// <summary>The lot pages' state name.</summary>
    public const string PagesStateName = "trader-lots";

    /// <summary>Lots per page: one status change rewrites about this many lots' entries (about 80 bytes each).</summary>
    public const int PageSize = 500;

    private readonly GrainId _id = GrainId.Create(StateName, traderId);
    private readonly GrainState<Trader> _record = new() { State = new Trader() };
    private readonly Dictionary<int, string?> _pageETags = [];
    private readonly SortedSet<int> _dirtyPages = [];
    private Dictionary<string, int>? _positions;
    private int _storedPages;
    private bool _recordDirty;

    /// <summary>The firm as read and changed since.</summary>
    public Trader State { get; private set; } = new();

    /// <summary>Reads the firm's record and its lot pages.</summary>
    public async Task ReadAsync()
    {
        _record.State = new Trader();
        await storage.ReadStateAsync(StateName, _id, _record);
        var trader = _record.State ?? new Trader();
        _pageETags.Clear();
        _dirtyPages.Clear();
        _positions = null;
        _storedPages = trader.LotPages;
        _recordDirty = false;
        if (trader.LotPages > 0)
        {
            var pages = Enumerable.Range(0, trader.LotPages).Select(_ => new GrainState<TraderLotPage>()).ToArray();
            await Task.WhenAll(pages.Select((page, p) => storage.ReadStateAsync(PagesStateName, PageId(p), page)));
            var ids = new List<string>(trader.LotPages * PageSize);
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

            trader.RestoreLots(ids, statuses);
        }
        else if (trader.ListingIds.Count > 0)
        {
            // Stored before pages: the next write moves the lots into pages and drops them from the firm's record.
            for (var p = 0; p * PageSize < trader.ListingIds.Count; p++)
            {
                _dirtyPages.Add(p);
            }

            _recordDirty = true;
        }

        State = trader;
    }

    /// <summary>Starts a new firm (not yet stored).</summary>
    public void Reset(Trader trader)
    {
        State = trader;
        _positions = null;
        _dirtyPages.Clear();
        _recordDirty = true;
    }

    /// <summary>The firm's own record changed (not only its lots).</summary>
    public void RecordChanged() => _recordDirty = true;

    /// <summary>Lots were appended to the firm's list, which held <paramref name="countBefore"/> before.</summary>
    public void LotsAdded(int countBefore)
    {
        for (var p = countBefore / PageSize; p <= (State.ListingIds.Count - 1) / PageSize; p++)
        {
            _dirtyPages.Add(p);
        }
    }

    /// <summary>The entry of the firm's lot <paramref name="listingId"/> changed.</summary>
    public void LotChanged(string listingId)
    {
        var ids = State.ListingIds;
        if (_positions is null)
        {
            _positions = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
            for (var i = 0; i < ids.Count; i++)
            {
                _positions.TryAdd(ids[i], i);
            }
        }

        for (var i = _positions.Count; i < ids.Count; i++)
        {
            _positions.TryAdd(ids[i], i);
        }

        if (_positions.TryGetValue(listingId, out var position))
        {
            _dirtyPages.Add(position / PageSize);
        }
    }

    /// <summary>
    /// Writes the pages changed and then, when it changed or the pages are more, the firm's record. When a write fails,
    /// reads everything back before rethrowing, so memory never keeps a change that was not stored.
    /// </summary>
    public async Task WriteAsync()
    {
        try
        {
            await Task.WhenAll(_dirtyPages.Select(WritePageAsync));
            _dirtyPages.Clear();
            var pages = (State.ListingIds.Count + PageSize - 1) / PageSize;
            if (_recordDirty || pages != _storedPages)
            {
                _record.State = State.WithoutLots(pages);
                await storage.WriteStateAsync(StateName, _id, _record);
                (_storedPages, _recordDirty) = (pages, false);
            }
        }
        catch
        {
            await ReadAsync();
            throw;
        }
    }

    /// <summary>Writes the firm's record as new (a registration); leaves memory as it is when that fails.</summary>
    public async Task CreateAsync()
    {
        _record.State = State.WithoutLots(0);
        await storage.WriteStateAsync(StateName, _id, _record);
        (_storedPages, _recordDirty) = (0, false);
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
}

/// <summary>One stored page of a firm's lots (see <see cref="TraderRecords"/>): their ids, oldest first, and the entries they reported.</summary>
public sealed class TraderLotPage
{
    /// <summary>The page's lot ids, oldest first.</summary>
    public List<string> Ids { get; set; } = [];

    /// <summary>The status entries of the page's lots that reported one.</summary>
    public Dictionary<string, ListedLot> Statuses { get; set; } = new(StringComparer.Ordinal);
}
