using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;

namespace Marketplace.Grains.Matching;

/// <summary>One session in a trader's inbox index.</summary>
/// <param name="Version">The newest version of the session the inbox has seen.</param>
/// <param name="UpdatedAt">When that version was stored.</param>
public sealed record InboxEntry(long Version, DateTimeOffset UpdatedAt);

/// <summary>
/// A trader's matches: the latest state of every session it is part of, and its live subscribers. The inbox is an
/// index of the sessions (which are the record): it stores only their ids and versions, keeps the sessions themselves
/// in memory (reading any it lacks from their grains when listed), and is written at most once per
/// <see cref="WriteDelay"/> rather than on every change; a failed write is retried every <see cref="RetryDelay"/>, and
/// unwritten changes are written on deactivation. After a crash the rebuild at start re-records every stored session.
/// <para>
/// A write stores only the entries recorded since the index was last written whole (state <c>inbox-changes</c>); the
/// whole index (state <c>inbox</c>) is rewritten, and the changes emptied, once they pass about the square root of its
/// size (at least <see cref="MinCompactionThreshold"/>), as a partition's membership is. An inbox grows with every
/// match its firm ever had, so writing it whole every second cost bytes (and allocation) in proportion to its age.
/// An activation replays the stored changes over the stored index (the newer version of an entry wins).
/// </para>
/// <para>
/// The sessions in memory are also kept in page order per filter (<see cref="MatchInboxOrder"/>), so a page is read
/// off by position rather than by filtering, sorting and copying every session of the firm on every read.
/// </para>
/// </summary>
public sealed class MatchInboxGrain(
    [PersistentState("inbox", StorageOptions.StoreName)] IPersistentState<Dictionary<string, InboxEntry>> state,
    [PersistentState("inbox-changes", StorageOptions.StoreName)] IPersistentState<Dictionary<string, InboxEntry>> changes,
    IOptions<MatchingOptions> options,
    ILogger<MatchInboxGrain> logger) : Grain, IMatchInboxGrain
{
    private readonly Dictionary<string, MatchingSession> _sessions = new(StringComparer.Ordinal);

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

    /// <summary>Changed entries a small inbox gathers before it is rewritten whole.</summary>
    public const int MinCompactionThreshold = 64;

    private readonly ObserverManager<IMatchObserver> _observers = new(options.Value.ObserverLease, logger);
    private IGrainTimer? _writer;

    /// <summary>True while memory holds changes storage does not.</summary>
    private bool _unwritten;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _order = new MatchInboxOrder(this.GetPrimaryKeyString());

        // The changes stored since the index was last written whole, over it.
        foreach (var (id, entry) in changes.State)
        {
            if (!(state.State.TryGetValue(id, out var known) && known.Version >= entry.Version))
            {
                state.State[id] = entry;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task RecordAsync(MatchingSession session)
    {
        if (Record(session))
        {
            await _observers.Notify(o => o.ChangedAsync(session));
        }
    }

    /// <inheritdoc />
    public async Task RecordAllAsync(IReadOnlyList<MatchingSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (Record(session))
            {
                await _observers.Notify(o => o.ChangedAsync(session));
            }
        }
    }

    /// <summary>Keeps a session's state unless an equal or newer version is known; true when kept (a write is then due).</summary>
    private bool Record(MatchingSession session)
    {
        if (state.State.TryGetValue(session.Id, out var known) && known.Version >= session.Version)
        {
            return false;
        }

        var entry = new InboxEntry(session.Version, session.UpdatedAt);
        state.State[session.Id] = entry;
        changes.State[session.Id] = entry;
        Keep(session);
        _unwritten = true;
        _writer ??= this.RegisterGrainTimer(WriteAsync, new GrainTimerCreationOptions(WriteDelay, Timeout.InfiniteTimeSpan));
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

    private async Task LoadAsync()
    {
        // After an activation the sessions are read once from their grains (which never wait on an inbox); a failed read
        // leaves the activation unloaded, so the next read tries again. A session gone from storage is not asked again.
        if (_loaded)
        {
            return;
        }

        var missing = state.State.Keys.Where(id => !_sessions.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
        {
            var loaded = await Task.WhenAll(missing.Select(id => GrainFactory.GetGrain<IMatchingSessionGrain>(id).GetAsync()));
            foreach (var session in loaded)
            {
                if (session is not null && !(_sessions.TryGetValue(session.Id, out var newer) && newer.Version >= session.Version))
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
        // The timer fires once: forget it first (a change recorded after this write arms a new one), dispose it last
        // (disposing cancels the token its callback was given, so the write must not take that token).
        var timer = _writer;
        _writer = null;
        try
        {
            await StoreAsync();
            _unwritten = false;
        }
        catch (Exception e)
        {
            // Kept in memory and tried again shortly (and on deactivation); a crash meanwhile is repaired by the rebuild at start.
            logger.LogWarning(e, "Inbox {Trader}: writing failed; trying again in {Delay}", this.GetPrimaryKeyString(), RetryDelay);
            _writer = this.RegisterGrainTimer(WriteAsync, new GrainTimerCreationOptions(RetryDelay, Timeout.InfiniteTimeSpan));
        }
        finally
        {
            timer?.Dispose();
        }
    }

    /// <summary>
    /// Stores the entries changed since the index was last written whole; first rewrites the index whole (and empties
    /// the changes) when they have grown past <see cref="CompactionThreshold"/>. A failure leaves the changes in memory
    /// for the next try; a crash between the two writes leaves stored changes that the index holds too, which replay
    /// harmlessly.
    /// </summary>
    private async Task StoreAsync(CancellationToken cancellationToken = default)
    {
        if (changes.State.Count > CompactionThreshold)
        {
            await state.WriteStateAsync(cancellationToken);
            changes.State.Clear();
        }

        await changes.WriteStateAsync(cancellationToken);
    }

    /// <summary>How many changed entries make the index worth rewriting whole: about the square root of its size.</summary>
    private int CompactionThreshold => Math.Max(MinCompactionThreshold, (int)Math.Sqrt(state.State.Count));
}
