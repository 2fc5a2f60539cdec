using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Orleans.Utilities;

namespace Marketplace.Grains.Matching;

/// <summary>
/// One session in a trader's inbox index. A value, not an object: an inbox keeps one per session it has seen for as long
/// as it is active (two per proposal: the buyer's and the seller's), inside its dictionary's entries.
/// </summary>
/// <param name="Version">The newest version of the session the inbox has seen.</param>
/// <param name="UpdatedAt">When that version was stored.</param>
public readonly record struct InboxEntry(long Version, DateTimeOffset UpdatedAt);

/// <summary>
/// A trader's matches: the latest state of every session it is part of, and its live subscribers. The inbox is an
/// index of the sessions (which are the record): it stores only their ids and versions, keeps the sessions themselves
/// in memory once it has been listed (reading them from storage, or their grains, at its activation's first read), and is written at most once per
/// <see cref="WriteDelay"/> rather than on every change; a failed write is retried every <see cref="RetryDelay"/>, and
/// unwritten changes are written on deactivation. After a crash the rebuild at start re-records every stored session.
/// <para>
/// A small inbox (at most <see cref="MatchingOptions.InboxPageSize"/> entries) is one record (state <c>inbox</c>,
/// <see cref="MatchInboxIndex"/>): a write stores only the entries recorded since it was last written whole (state
/// <c>inbox-changes</c>), and the whole record is rewritten, and the changes emptied, once they pass about the square
/// root of its size (at least <see cref="MinCompactionThreshold"/>). An activation replays the stored changes over the
/// record (the newer version of an entry wins).
/// </para>
/// <para>
/// A larger inbox is stored in pages (state <see cref="PageStateName"/>, key <c>{firm}/pages/{n}</c>, each a
/// <see cref="MatchInboxIndex"/> of at most <see cref="MatchingOptions.InboxPageSize"/> entries) in the order its
/// entries were first recorded, and its record holds only how many pages there are. An entry's page never changes, so
/// old pages hold old sessions and are rarely written. An inbox holds every match its firm ever had (60,000 entries,
/// 8 MB of JSON, in a two-minute API mix), and rewriting it whole every few seconds cost bytes and large-object-heap
/// allocation in proportion to its age. As a one-record inbox does, it stores the entries recorded since its pages
/// were last written in its changes, and writes the pages holding them (the last among them, for new entries) only
/// once they pass about the square root of the page size (<see cref="CompactionThreshold"/>): writing the last page on
/// every write cost about half a page (33 KB at 500 entries) per new entry to an inbox gaining one a write.
/// An activation replays the changes over the pages: the newer version of an entry wins, and an entry no page holds is
/// appended in the changes' order (the order it was recorded in), so it lands on the page its write will store it in.
/// </para>
/// <para>
/// Crashes: pages are written before the record that counts them, and both before the changes are emptied. A page
/// beyond the stored count is never read (its entries are still in the stored changes, or were recorded since the last
/// write, as a one-record inbox's unwritten changes are, and the rebuild at start re-records them), and the next write
/// of that page overwrites it; a page within the count holds each of its entries once, whichever version was written
/// last. A changes record left stale by a crash before its emptying holds entries the pages hold at the same or a newer
/// version: replayed, they change nothing. So a crash between the writes loses no stored entry and lists none twice.
/// An inbox laid out in pages for the first time writes every page, then the record (until then the one record and its
/// changes are what is read), then clears its changes (were that to fail, the pages hold all they hold).
/// </para>
/// <para>
/// The sessions in memory are also kept in page order per filter (<see cref="MatchInboxOrder"/>), so a page is read
/// off by position rather than by filtering, sorting and copying every session of the firm on every read.
/// </para>
/// </summary>
public sealed class MatchInboxGrain(
    [PersistentState("inbox", StorageOptions.StoreName)] IPersistentState<MatchInboxIndex> state,
    [PersistentState("inbox-changes", StorageOptions.StoreName)] IPersistentState<Dictionary<string, InboxEntry>> changes,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    IOptions<MatchingOptions> options,
    ILogger<MatchInboxGrain> logger) : Grain, IMatchInboxGrain
{
    /// <summary>State name of a page of an inbox stored in pages.</summary>
    internal const string PageStateName = "inbox-page";

    private readonly Dictionary<string, MatchingSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Every entry of the inbox (for a one-record inbox, the record's own entries).</summary>
    private Dictionary<string, InboxEntry> _entries = null!;

    /// <summary>The ids of each page, first recorded first; empty while the inbox is one record.</summary>
    private readonly List<List<string>> _pageIds = [];

    /// <summary>The page of each entry of an inbox in pages.</summary>
    private readonly Dictionary<string, int> _pageOf = new(StringComparer.Ordinal);

    /// <summary>The stored ETag of each page (null: never written by this activation nor read).</summary>
    private readonly List<string?> _pageETags = [];

    /// <summary>The sessions of <see cref="_sessions"/> in page order, per filter (set on activation).</summary>
    private MatchInboxOrder _order = null!;

    /// <summary>
    /// True once this activation read its sessions: from then on <see cref="Record"/> keeps <see cref="_sessions"/> in step
    /// with the index, so a read need not look every id up again (that look-up was 12–13 % of the API mix's CPU).
    /// </summary>
    private bool _loaded;

    /// <summary>Longest time a recorded change waits before the inbox is written.</summary>
    public static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long after a failed write the inbox tries again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>Sessions read from a bulk-reading storage in one query when an activation first lists its inbox.</summary>
    internal const int LoadChunk = 1_000;

    /// <summary>Changed entries a small inbox gathers before it is rewritten whole.</summary>
    public const int MinCompactionThreshold = 64;

    private readonly ObserverManager<IMatchObserver> _observers = new(options.Value.ObserverLease, logger);
    /// <summary>The write-behind timer: one per activation, armed (<see cref="ArmWriter"/>) while changes wait to be written.</summary>
    private IGrainTimer? _writer;

    /// <summary>True while <see cref="_writer"/> is armed or its write is running.</summary>
    private bool _writeDue;

    /// <summary>True while memory holds changes storage does not.</summary>
    private bool _unwritten;

    private int PageSize => options.Value.InboxPageSize;

    private bool Paged => _pageIds.Count > 0;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _order = new MatchInboxOrder(this.GetPrimaryKeyString());
        if (state.State.Pages > 0)
        {
            await ReadPagesAsync(state.State.Pages);
        }
        else
        {
            _entries = state.State.Entries;
        }

        // The changes stored since the record or the pages were last written, over them.
        foreach (var (id, entry) in changes.State)
        {
            Apply(id, entry);
        }
    }

    /// <summary>Reads every page of an inbox stored in pages; an entry keeps the page it was read from.</summary>
    private async Task ReadPagesAsync(int count)
    {
        var pages = Enumerable.Range(0, count).Select(_ => new GrainState<MatchInboxIndex>(new MatchInboxIndex())).ToArray();
        await Task.WhenAll(pages.Select((page, i) => storage.ReadStateAsync(PageStateName, PageId(i), page)));
        _entries = new Dictionary<string, InboxEntry>(pages.Sum(p => p.State?.Entries.Count ?? 0), StringComparer.Ordinal);
        for (var i = 0; i < pages.Length; i++)
        {
            var stored = pages[i].State?.Entries ?? [];
            var ids = new List<string>(Math.Max(stored.Count, PageSize));
            foreach (var (id, entry) in stored)
            {
                // An entry is written to one page only; should two hold it, the first keeps it and the newer version wins.
                if (_entries.TryAdd(id, entry))
                {
                    ids.Add(id);
                    _pageOf[id] = i;
                }
                else if (_entries[id].Version < entry.Version)
                {
                    _entries[id] = entry;
                }
            }

            _pageIds.Add(ids);
            _pageETags.Add(pages[i].ETag);
        }
    }

    /// <inheritdoc />
    public async Task RecordAsync(MatchingSession session)
    {
        if (Record(session))
        {
            await NotifyAsync(session);
        }
    }

    /// <inheritdoc />
    public async Task RecordAllAsync(IReadOnlyList<MatchingSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (Record(session))
            {
                await NotifyAsync(session);
            }
        }
    }

    /// <summary>
    /// Tells the live subscribers of a kept change. Most inboxes have none: then nothing is made (the closure lives
    /// here, not in the callers' loops, where it would be allocated for every session).
    /// </summary>
    private Task NotifyAsync(MatchingSession session)
        => _observers.Count == 0 ? Task.CompletedTask : _observers.Notify(o => o.ChangedAsync(session));

    /// <summary>Keeps a session's state unless an equal or newer version is known; true when kept (a write is then due).</summary>
    private bool Record(MatchingSession session)
    {
        var entry = new InboxEntry(session.Version, session.UpdatedAt);
        if (!Apply(session.Id, entry))
        {
            return false;
        }

        changes.State[session.Id] = entry;
        if (_loaded)
        {
            Keep(session);
        }

        _unwritten = true;
        ArmWriter(WriteDelay);
        return true;
    }

    /// <summary>
    /// Takes an entry unless an equal or newer version is known; true when taken. A new entry of an inbox in pages goes
    /// at the end of its last page (or of a new one).
    /// </summary>
    private bool Apply(string id, InboxEntry entry)
    {
        if (_entries.TryGetValue(id, out var known) && known.Version >= entry.Version)
        {
            return false;
        }

        if (!_entries.TryAdd(id, entry))
        {
            _entries[id] = entry;
        }
        else if (Paged)
        {
            AddToPage(id);
        }

        return true;
    }

    /// <inheritdoc />
    public Task ImportChangedAsync(Imports.ImportProgress progress) => _observers.Notify(o => o.ImportChangedAsync(progress));

    /// <inheritdoc />
    public async Task<IReadOnlyList<MatchingSession>> ListAsync()
    {
        await LoadAsync();
        return _order.All();
    }

    /// <inheritdoc />
    public async Task<MatchInboxPage> PageAsync(string? status, string? role, int start, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        await LoadAsync();

        // Read off the filter's list by position (an unknown status or role matches nothing); the page is a copy, as
        // the list changes with the next record.
        var list = _order.For(status, role);
        if (list is null || start >= list.Count)
        {
            return new MatchInboxPage(Array.Empty<MatchingSession>(), null);
        }

        return new MatchInboxPage(MatchInboxOrder.Page(list, start, size), (long)start + size < list.Count ? start + size : null);
    }

    /// <summary>Holds a session in memory and in page order, in place of any version of it held before.</summary>
    private void Keep(MatchingSession session)
    {
        if (_sessions.Remove(session.Id, out var old))
        {
            _order.Remove(old);
        }

        _sessions[session.Id] = session;
        _order.Add(session);
    }

    /// <summary>
    /// Reads the sessions once per activation, at its first read: until then the inbox keeps only its entries (ids and
    /// versions), not the sessions recorded (an inbox nobody reads, most of them, gained two sessions in memory per
    /// proposal for as long as proposals kept it active); from then on <see cref="Record"/> keeps them in step. The
    /// sessions are read from grain storage, not their grains (storage is the authority: a session is stored before any
    /// inbox records it, and a proposal's session is never activated for it): with a bulk-reading storage in one query
    /// per <see cref="LoadChunk"/> ids. A failed read leaves the activation unloaded, so the next read tries again. A
    /// session gone from storage is not asked again.
    /// </summary>
    private async Task LoadAsync()
    {
        if (_loaded)
        {
            return;
        }

        var missing = _entries.Keys.Where(id => !_sessions.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
        {
            var loaded = new List<MatchingSession>(missing.Length);
            foreach (var chunk in missing.Chunk(LoadChunk))
            {
                var ids = chunk.Select(id => GrainFactory.GetGrain<IMatchingSessionGrain>(id).GetGrainId()).ToArray();
                if (storage is IBulkGrainStorage bulk)
                {
                    loaded.AddRange((await bulk.ReadManyAsync<MatchingSession>(MatchingSessionGrain.StateName, ids)).Values);
                }
                else
                {
                    var states = ids.Select(_ => new GrainState<MatchingSession>(new MatchingSession())).ToArray();
                    await Task.WhenAll(ids.Select((id, i) => storage.ReadStateAsync(MatchingSessionGrain.StateName, id, states[i])));
                    loaded.AddRange(states.Where(s => s.RecordExists && s.State is not null).Select(s => s.State!));
                }
            }

            foreach (var session in loaded)
            {
                if (session.Exists && !(_sessions.TryGetValue(session.Id, out var newer) && newer.Version >= session.Version))
                {
                    Keep(session);
                }
            }
        }

        _loaded = true;
    }

    /// <inheritdoc />
    public Task SubscribeAsync(IMatchObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UnsubscribeAsync(IMatchObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _writer?.Dispose();
        _writer = null;
        _writeDue = false;
        if (_unwritten)
        {
            try
            {
                await StoreAsync(cancellationToken);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Inbox {Trader}: writing on deactivation failed; the rebuild at the next start restores it", this.GetPrimaryKeyString());
            }
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        // Changes recorded from here on arm the timer again (it fires once per arming). The write does not take the
        // callback's token: disposing the timer on deactivation cancels it, and that write must still happen.
        _writeDue = false;
        try
        {
            await StoreAsync();
            _unwritten = false;
        }
        catch (Exception e)
        {
            // Kept in memory and tried again shortly (and on deactivation); a crash meanwhile is repaired by the rebuild at start.
            logger.LogWarning(e, "Inbox {Trader}: writing failed; trying again in {Delay}", this.GetPrimaryKeyString(), RetryDelay);
            ArmWriter(RetryDelay);
        }
    }

    /// <summary>
    /// Makes the write-behind timer fire once after <paramref name="delay"/>, unless it is armed already (later changes
    /// do not put the write off). The timer is made once and re-armed with <see cref="IGrainTimer.Change"/>: a timer
    /// per write was an object graph (timer, invoker, cancellation source, registration) for every inbox write.
    /// </summary>
    private void ArmWriter(TimeSpan delay)
    {
        if (_writeDue)
        {
            return;
        }

        _writeDue = true;
        if (_writer is null)
        {
            _writer = this.RegisterGrainTimer(WriteAsync, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
        }
        else
        {
            _writer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Puts a new entry in the last page, or in a new one when the last is full.</summary>
    private void AddToPage(string id)
    {
        if (_pageIds[^1].Count >= PageSize)
        {
            _pageIds.Add(new List<string>(PageSize));
            _pageETags.Add(null);
        }

        _pageIds[^1].Add(id);
        _pageOf[id] = _pageIds.Count - 1;
    }

    /// <summary>
    /// Stores what changed: one record past <see cref="MatchingOptions.InboxPageSize"/> entries is laid out in pages;
    /// otherwise the entries changed since the record (or the pages) were last written, first writing the record whole
    /// (or the pages holding the changed entries) and emptying the changes when they have grown past
    /// <see cref="CompactionThreshold"/>. A failure leaves the changes in memory for the next try; a crash between the
    /// writes leaves stored changes that the record or the pages hold too, which replay harmlessly.
    /// </summary>
    private async Task StoreAsync(CancellationToken cancellationToken = default)
    {
        if (!Paged && _entries.Count > PageSize)
        {
            await LayOutAsync();
            return;
        }

        if (changes.State.Count > CompactionThreshold)
        {
            await (Paged ? StorePagesAsync() : state.WriteStateAsync(cancellationToken));
            changes.State.Clear();
        }

        await changes.WriteStateAsync(cancellationToken);
    }

    /// <summary>
    /// Lays a one-record inbox out in pages, its entries in their order in the record (first recorded first): every
    /// page, then the record saying how many (until it is written the one record and its changes are what an activation
    /// reads, and pages left by a failed attempt are beyond its count: never read, overwritten by the next), then the
    /// changes cleared (a failure there leaves changes the pages hold too, which replay to no change).
    /// </summary>
    private async Task LayOutAsync()
    {
        var pages = _entries.Keys.Chunk(PageSize).Select(ids => new List<string>(ids)).ToList();
        var etags = new string?[pages.Count];
        await Task.WhenAll(pages.Select(async (ids, i) => etags[i] = await WritePageAsync(i, ids, null)));

        var whole = state.State;
        state.State = new MatchInboxIndex { Pages = pages.Count };
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = whole;
            throw;
        }

        for (var i = 0; i < pages.Count; i++)
        {
            _pageIds.Add(pages[i]);
            _pageETags.Add(etags[i]);
            foreach (var id in pages[i])
            {
                _pageOf[id] = i;
            }
        }

        changes.State.Clear();
        try
        {
            await changes.ClearStateAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Inbox {Trader}: clearing its changes after laying it out in {Pages} pages failed", this.GetPrimaryKeyString(), pages.Count);
        }

        logger.LogInformation("Inbox {Trader}: {Entries} entries laid out in {Pages} pages", this.GetPrimaryKeyString(), _entries.Count, pages.Count);
    }

    /// <summary>
    /// Writes the pages holding changed entries, then, when there are more pages than it counts, the record: a page
    /// beyond the stored count is never read, so a crash between leaves its new entries to the stored changes, never
    /// listed twice. The changes stay until every write succeeded.
    /// </summary>
    private async Task StorePagesAsync()
    {
        // Each page's new ETag kept as it is written, so a page written by a write that failed elsewhere is not refused next time.
        var pages = changes.State.Keys.Select(id => _pageOf[id]).Distinct().ToArray();
        await Task.WhenAll(pages.Select(async page => _pageETags[page] = await WritePageAsync(page, _pageIds[page], _pageETags[page])));

        if (_pageIds.Count > state.State.Pages)
        {
            var stored = state.State.Pages;
            state.State.Pages = _pageIds.Count;
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.Pages = stored;
                throw;
            }
        }
    }

    /// <summary>Writes one page's entries over the ETag known for it (a page left by an earlier activation or a failed write is overwritten); returns the new ETag.</summary>
    private async Task<string?> WritePageAsync(int index, List<string> ids, string? etag)
    {
        var page = new MatchInboxIndex { Entries = new Dictionary<string, InboxEntry>(ids.Count, StringComparer.Ordinal) };
        foreach (var id in ids)
        {
            page.Entries[id] = _entries[id];
        }

        var record = new GrainState<MatchInboxIndex>(page) { ETag = etag };
        await PageWrites.WriteAsync(storage, PageStateName, PageId(index), record, overwriteAny: true);
        return record.ETag;
    }

    /// <summary>The storage key of page <paramref name="index"/>.</summary>
    private GrainId PageId(int index) => GrainId.Create(this.GetGrainId().Type, $"{this.GetPrimaryKeyString()}/pages/{index}");

    /// <summary>
    /// How many changed entries make a one-record inbox worth rewriting whole (about the square root of its size), or an
    /// inbox in pages worth writing its pages (the square root of the page size; 8 at the smallest): at one new entry a
    /// write, a cycle of k + 1 writes stores 1 + … + k entries of changes and a page write of half a page on average, so
    /// (k/2 + size/2k) entries per new entry, least at k = √size. At 500 a page (22) and 130 bytes an entry (a full
    /// page is 65 KB) that is about 2.8 KB per new entry, where writing the last page on every write cost 33 KB.
    /// </summary>
    private int CompactionThreshold => Paged
        ? (int)Math.Sqrt(PageSize)
        : Math.Max(MinCompactionThreshold, (int)Math.Sqrt(_entries.Count));
}

/// <summary>
/// A trader's inbox index as stored (state <c>inbox</c> of grain type <c>matchinbox</c>), and one page of it (state
/// <c>inbox-page</c>): the entries, or, in the record of an inbox stored in pages, how many pages there are.
/// </summary>
public sealed class MatchInboxIndex
{
    /// <summary>The entries by session id (none in the record of an inbox stored in pages).</summary>
    public Dictionary<string, InboxEntry> Entries { get; set; } = new(StringComparer.Ordinal);

    /// <summary>0: the record holds the entries. More: the inbox is stored in this many pages, and the record holds nothing else.</summary>
    public int Pages { get; set; }
}
