using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
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
/// <see cref="WriteDelay"/> and on deactivation rather than on every change; after a crash the rebuild at start
/// re-records every stored session.
/// </summary>
public sealed class MatchInboxGrain(
    [PersistentState("inbox", StorageOptions.StoreName)] IPersistentState<Dictionary<string, InboxEntry>> state,
    ILogger<MatchInboxGrain> logger) : Grain, IMatchInboxGrain
{
    private readonly Dictionary<string, MatchingSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Longest time a recorded change waits before the inbox is written.</summary>
    public static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(1);

    private readonly ObserverManager<IMatchObserver> _observers = new(TimeSpan.FromMinutes(5), logger);
    private IGrainTimer? _writer;

    /// <inheritdoc />
    public async Task RecordAsync(MatchingSession session)
    {
        if (state.State.TryGetValue(session.Id, out var known) && known.Version >= session.Version)
        {
            return;
        }

        state.State[session.Id] = new InboxEntry(session.Version, session.UpdatedAt);
        _sessions[session.Id] = session;
        _writer ??= this.RegisterGrainTimer(WriteAsync, new GrainTimerCreationOptions(WriteDelay, Timeout.InfiniteTimeSpan));
        await _observers.Notify(o => o.ChangedAsync(session));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<MatchingSession>> ListAsync()
    {
        // After an activation the sessions are read once from their grains (which never wait on an inbox).
        var missing = state.State.Keys.Where(id => !_sessions.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
        {
            var loaded = await Task.WhenAll(missing.Select(id => GrainFactory.GetGrain<IMatchingSessionGrain>(id).GetAsync()));
            foreach (var session in loaded)
            {
                if (session is not null && !(_sessions.TryGetValue(session.Id, out var newer) && newer.Version >= session.Version))
                {
                    _sessions[session.Id] = session;
                }
            }
        }

        return _sessions.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToArray();
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
        if (_writer is not null)
        {
            await WriteAsync(cancellationToken);
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
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // Kept in memory and written with the next change; a crash meanwhile is repaired by the rebuild at start.
            logger.LogWarning(e, "Inbox {Trader}: writing failed", this.GetPrimaryKeyString());
        }
        finally
        {
            timer?.Dispose();
        }
    }
}
