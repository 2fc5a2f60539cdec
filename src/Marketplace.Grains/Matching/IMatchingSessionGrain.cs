using Marketplace.Domain.Matching;

namespace Marketplace.Grains.Matching;

/// <summary>One matching session: a proposal pairing a lot with a demand, carried to a deal (see <see cref="MatchingSession"/>).</summary>
public interface IMatchingSessionGrain : IGrainWithStringKey
{
    /// <summary>Stores the proposal; false when the pair already has an open, declined or confirmed session.</summary>
    Task<bool> ProposeAsync(SessionProposal proposal);

    /// <summary>The session, or null when the pair was never proposed.</summary>
    Task<MatchingSession?> GetAsync();

    /// <summary>The buyer accepts: the proposed quantity is held on the lot until the session expires. 409 when it is gone.</summary>
    Task<MatchingSession> AcceptAsync(string actorId);

    /// <summary>The seller confirms an accepted session: the hold is confirmed and the demand records the purchase.</summary>
    Task<MatchingSession> ConfirmAsync(string actorId);

    /// <summary>Either side declines an open session; a hold is released.</summary>
    Task<MatchingSession> DeclineAsync(string actorId);
}

/// <summary>Told of every change to a trader's matches (the server-sent events stream subscribes).</summary>
public interface IMatchObserver : IGrainObserver
{
    /// <summary>A session the trader is part of was proposed or changed.</summary>
    [Orleans.Concurrency.OneWay]
    Task ChangedAsync(MatchingSession session);
}

/// <summary>A trader's matches as buyer and seller, newest change first, and live subscribers to them.</summary>
public interface IMatchInboxGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a session's latest state (older versions are ignored) and tells subscribers. One-way: the session is
    /// the record and this is its index, so a session never waits for two inboxes to be written.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task RecordAsync(MatchingSession session);

    /// <summary>The trader's sessions, most recently changed first.</summary>
    Task<IReadOnlyList<MatchingSession>> ListAsync();

    /// <summary>Subscribes an observer for a few minutes; subscribe again to stay subscribed.</summary>
    Task SubscribeAsync(IMatchObserver observer);

    /// <summary>Ends a subscription.</summary>
    Task UnsubscribeAsync(IMatchObserver observer);
}
