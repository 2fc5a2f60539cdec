using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Marketplace.Grains.Matching;

/// <summary>
/// The expiries of the sessions a partition stored itself (see <see cref="MatchPartitionGrain"/>): one page written per
/// partition turn instead of one reminder registered per proposal, and the partition's one reminder
/// (<see cref="MatchPartitionGrain.ExpiryReminder"/>) settles the due ones by calling only their sessions.
/// <para>
/// Pages are numbered and written one at a time, each as a new record (state <see cref="PageStateName"/>, key
/// <c>{partition}/{n}</c>): turns that arrive while a page is being written share the next page, and page n + 1 is
/// written only after page n was stored, so the written pages have no gaps. The record (<see cref="MatchExpiries"/>)
/// says which page is the oldest unsettled one and how many were written when it was last stored; an activation finds
/// the pages written since by reading on until the first missing one. Sessions live the same time, so a later page
/// expires later: the ticks settle pages in order, and once a page's sessions all answered the record is moved past it
/// and then the page deleted (so a crash between the two leaves an unread page, never a gap in the pages read on). Settling a session that was accepted, declined or proposed again meanwhile changes nothing (it
/// expires on its own time, with its own reminder once its grain stored it); with a storage that reads many records in
/// one query (<see cref="IBulkGrainStorage"/>) the due page's sessions are read first and only the open, due ones called.
/// </para>
/// </summary>
internal sealed class MatchExpiryCalendar(
    string partition,
    GrainId partitionId,
    IPersistentState<MatchExpiries> record,
    IGrainStorage storage,
    IGrainFactory grains,
    Func<bool, Task> keepReminder,
    ILogger logger)
{
    /// <summary>The pages' state name.</summary>
    public const string PageStateName = "expiry-page";

    /// <summary>Pages found written by another activation before a write gives up (and its turn falls back to reminders).</summary>
    private const int MaxPagesSkipped = 100;

    /// <summary>Sessions called at once when a page falls due.</summary>
    private const int SettleConcurrency = 64;

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _settleGate = new(1, 1);
    private List<SessionExpiry> _pending = [];
    private TaskCompletionSource _pendingWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _loaded;
    private bool _reminderKept;
    private long _next;

    /// <summary>The page settled first, with the sessions of it already settled.</summary>
    private (long Number, GrainState<MatchExpiryPage> Page, List<SessionExpiry> Sessions, HashSet<string> Settled)? _head;

    /// <summary>
    /// Records the sessions' expiries; answers once they are in a stored page (so call it before storing the sessions:
    /// a session is never stored without its expiry). Calls made while a page is being written share the next one.
    /// </summary>
    public async Task AddAsync(IReadOnlyList<SessionExpiry> sessions)
    {
        if (sessions.Count == 0)
        {
            return;
        }

        var written = _pendingWritten.Task;
        _pending.AddRange(sessions);
        if (await _writeGate.WaitAsync(0) is false)
        {
            // A page is being written: the gate's holder writes these next, or this call does when it gets the gate.
            await _writeGate.WaitAsync();
        }

        try
        {
            if (!written.IsCompleted)
            {
                await WritePendingAsync();
            }
        }
        finally
        {
            _writeGate.Release();
        }

        await written;
    }

    /// <summary>Writes the pending sessions as the next page (the write gate held); completes or fails their callers.</summary>
    private async Task WritePendingAsync()
    {
        var (page, done) = (_pending, _pendingWritten);
        (_pending, _pendingWritten) = ([], new(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await LoadAsync();
            if (!_reminderKept)
            {
                await keepReminder(true);
                _reminderKept = true;
            }

            for (var tries = 1; ; tries++)
            {
                try
                {
                    // No ETag: a new record, refused when the page exists (an activation on a silo declared dead wrote it).
                    await storage.WriteStateAsync(PageStateName, PageId(_next), new GrainState<MatchExpiryPage> { State = new MatchExpiryPage { Sessions = page } });
                    break;
                }
                catch (InconsistentStateException) when (tries < MaxPagesSkipped)
                {
                    _next++;
                }
            }

            _next++;
            done.SetResult();
        }
        catch (Exception e)
        {
            done.SetException(e);
        }
    }

    /// <summary>Reads the record's page numbers and finds the pages written after it was last stored.</summary>
    private async Task LoadAsync()
    {
        if (_loaded)
        {
            return;
        }

        var next = Math.Max(record.State.Next, record.State.First);
        while ((await ReadPageAsync(next)).RecordExists)
        {
            next++;
        }

        _next = next;
        _loaded = true;
        _reminderKept = record.State.First < next;
    }

    /// <summary>
    /// Settles the sessions due by <paramref name="now"/>, oldest page first; the record is moved past the pages whose
    /// sessions all answered, then those pages are deleted. A session that fails is tried again at the next tick. Once every page is
    /// settled and none is being written, the partition's reminder is let go.
    /// </summary>
    public async Task SettleDueAsync(DateTimeOffset now)
    {
        if (!await _settleGate.WaitAsync(0))
        {
            // The previous tick is still at it.
            return;
        }

        try
        {
            await _writeGate.WaitAsync();
            try
            {
                await LoadAsync();
            }
            finally
            {
                _writeGate.Release();
            }

            var first = record.State.First;
            var settledPages = new List<(long Number, GrainState<MatchExpiryPage> Page)>();
            while (first < _next)
            {
                var head = await HeadAsync(first);
                var due = head.Sessions.Where(s => s.ExpiresAt <= now && !head.Settled.Contains(s.SessionId)).ToList();
                await SettleAsync(due, head.Settled, now);
                if (head.Settled.Count < head.Sessions.Select(s => s.SessionId).Distinct().Count())
                {
                    break;
                }

                settledPages.Add((first, head.Page));
                _head = null;
                first++;
            }

            if (first != record.State.First || record.State.Next != _next)
            {
                // The record first, then the deletes: a crash between them leaves pages below First, never read again,
                // rather than a gap that would stop the next activation's reading on. Next also bounds that reading.
                await WriteRecordAsync(first, _next);
            }

            foreach (var (number, page) in settledPages.Where(p => p.Page.RecordExists))
            {
                try
                {
                    await storage.ClearStateAsync(PageStateName, PageId(number), page);
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Partition {Partition}: deleting its settled expiry page {Page} failed; it is left unread", partition, number);
                }
            }

            if (first >= _next)
            {
                await ForgetReminderIfEmptyAsync();
            }
        }
        finally
        {
            _settleGate.Release();
        }
    }

    private async Task ForgetReminderIfEmptyAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            // Under the write gate: a page written after this check registers the reminder again first.
            if (_pending.Count == 0 && record.State.First >= _next && _reminderKept)
            {
                await keepReminder(false);
                _reminderKept = false;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task WriteRecordAsync(long first, long next)
    {
        var mine = new MatchExpiries { First = first, Next = next };
        record.State = mine;
        try
        {
            await record.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // An earlier activation (on a silo declared dead) wrote last: this one's pages are the current ones.
            await record.ReadStateAsync();
            record.State = mine;
            await record.WriteStateAsync();
        }
    }

    private async Task<(long Number, GrainState<MatchExpiryPage> Page, List<SessionExpiry> Sessions, HashSet<string> Settled)> HeadAsync(long number)
    {
        if (_head is { } head && head.Number == number)
        {
            return head;
        }

        var read = await ReadPageAsync(number);
        _head = (number, read, read.State?.Sessions ?? [], new HashSet<string>(StringComparer.Ordinal));
        return _head.Value;
    }

    /// <summary>
    /// Calls each due session's grain to expire it (<see cref="IMatchingSessionGrain.SettleExpiryAsync"/>), adding those
    /// that answered to <paramref name="settled"/>. With a bulk-reading storage, sessions that are no longer open and due
    /// (or were never stored) are settled without a call.
    /// </summary>
    private async Task SettleAsync(List<SessionExpiry> due, HashSet<string> settled, DateTimeOffset now)
    {
        if (due.Count == 0)
        {
            return;
        }

        var calling = due;
        if (storage is IBulkGrainStorage bulk)
        {
            var ids = due.Select(s => grains.GetGrain<IMatchingSessionGrain>(s.SessionId).GetGrainId()).ToArray();
            var stored = await bulk.ReadManyAsync<MatchingSession>(MatchingSessionGrain.StateName, ids);
            calling = due.Where((s, i) => stored.TryGetValue(ids[i], out var session) && session.IsOpen && session.ExpiresAt <= now).ToList();
            settled.UnionWith(due.Except(calling).Select(s => s.SessionId));
        }

        foreach (var chunk in calling.Chunk(SettleConcurrency))
        {
            var calls = chunk.Select(s => grains.GetGrain<IMatchingSessionGrain>(s.SessionId).SettleExpiryAsync()).ToArray();
            for (var i = 0; i < calls.Length; i++)
            {
                try
                {
                    await calls[i];
                    settled.Add(chunk[i].SessionId);
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Partition {Partition}: expiring {Session} failed; the next tick tries again", partition, chunk[i].SessionId);
                }
            }
        }
    }

    private async Task<GrainState<MatchExpiryPage>> ReadPageAsync(long number)
    {
        var page = new GrainState<MatchExpiryPage>();
        await storage.ReadStateAsync(PageStateName, PageId(number), page);
        return page;
    }

    private GrainId PageId(long number)
    {
        // The page being filled is written on every turn that proposes: its id is made once.
        if (number != _lastPageNumber || _lastPageId.IsDefault)
        {
            (_lastPageNumber, _lastPageId) = (number, GrainId.Create(partitionId.Type, $"{partition}/{number}"));
        }

        return _lastPageId;
    }

    private long _lastPageNumber = -1;
    private GrainId _lastPageId;
}

/// <summary>
/// A partition's expiry calendar record (state <c>expiries</c> of grain type <c>matchpartition</c>): the oldest page not
/// yet settled, and how many pages were written when it was last stored (later ones are found by reading on).
/// </summary>
public sealed class MatchExpiries
{
    /// <summary>The oldest page not yet settled; the ones before it are deleted.</summary>
    public long First { get; set; }

    /// <summary>Pages written when the record was stored; pages from here on may exist too.</summary>
    public long Next { get; set; }
}

/// <summary>One stored page of a partition's expiry calendar (state <c>expiry-page</c>, key <c>{partition}/{n}</c>).</summary>
public sealed class MatchExpiryPage
{
    /// <summary>The sessions stored by one or more turns, with when they expire.</summary>
    public List<SessionExpiry> Sessions { get; set; } = [];
}

/// <summary>A session in an expiry calendar.</summary>
/// <param name="SessionId">The session's id (<c>{lotId}-{demandId}</c>).</param>
/// <param name="ExpiresAt">When its proposal expires (market time).</param>
public sealed record SessionExpiry(string SessionId, DateTimeOffset ExpiresAt);
