using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Marketplace.Grains.Matching;

/// <summary>
/// A trader's matches: the latest state of every session it is part of, and its live subscribers. The inbox is an
/// index of the sessions (which are the record), so it is written at most once per <see cref="WriteDelay"/> and on
/// deactivation rather than on every change; after a crash the rebuild at start re-records every stored session.
/// </summary>
public sealed class MatchInboxGrain(
    [PersistentState("inbox", StorageOptions.StoreName)] IPersistentState<Dictionary<string, MatchingSession>> state,
    ILogger<MatchInboxGrain> logger) : Grain, IMatchInboxGrain
{
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

        state.State[session.Id] = session;
        _writer ??= this.RegisterGrainTimer(WriteAsync, new GrainTimerCreationOptions(WriteDelay, Timeout.InfiniteTimeSpan));
        await _observers.Notify(o => o.ChangedAsync(session));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MatchingSession>> ListAsync()
        => Task.FromResult<IReadOnlyList<MatchingSession>>(state.State.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToArray());

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
        _writer?.Dispose();
        _writer = null;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception e)
        {
            // Kept in memory and written with the next change; a crash meanwhile is repaired by the rebuild at start.
            logger.LogWarning(e, "Inbox {Trader}: writing failed", this.GetPrimaryKeyString());
        }
    }
}
