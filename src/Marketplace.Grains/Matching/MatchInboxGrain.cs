using Marketplace.Domain.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Marketplace.Grains.Matching;

/// <summary>A trader's matches: the latest state of every session it is part of, and its live subscribers.</summary>
public sealed class MatchInboxGrain(
    [PersistentState("inbox", StorageOptions.StoreName)] IPersistentState<Dictionary<string, MatchingSession>> state,
    ILogger<MatchInboxGrain> logger) : Grain, IMatchInboxGrain
{
    private readonly ObserverManager<IMatchObserver> _observers = new(TimeSpan.FromMinutes(5), logger);

    /// <inheritdoc />
    public async Task RecordAsync(MatchingSession session)
    {
        if (state.State.TryGetValue(session.Id, out var known) && known.Version >= session.Version)
        {
            return;
        }

        state.State[session.Id] = session;
        await state.WriteStateAsync();
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
}
