using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Orleans.Concurrency;

namespace Marketplace.Grains.Matching;

/// <summary>One matching session: a proposal pairing a lot with a demand, carried to a deal (see <see cref="MatchingSession"/>).</summary>
public interface IMatchingSessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores the proposal (a pair whose session is already stored: a partition stores new pairs itself) and answers
    /// the stored session (a snapshot it never changes, so it crosses without a copy) for the proposing partition to
    /// record in both traders' inboxes, one call per firm for all the proposals of its turn; no session when the pair
    /// already has an open, declined or confirmed session, and, when its round is proposed, until when it stays so
    /// (the partition then sends the pair nothing until then). The proposal is an immutable record made for this call,
    /// so it is passed without a copy.
    /// </summary>
    Task<ProposalAnswer> ProposeAsync([Immutable] SessionProposal proposal);

    /// <summary>The session, or null when the pair was never proposed.</summary>
    Task<MatchingSession?> GetAsync();

    /// <summary>
    /// Registers the expiry reminder of an open session: for a proposal its partition stored without activating the
    /// session, when the partition could store neither its expiry in its calendar nor a reminder for it.
    /// </summary>
    Task ScheduleExpiryAsync();

    /// <summary>
    /// Expires the session if it is open and due, as its own expiry reminder would: called by its partition's expiry
    /// calendar for a proposal the partition stored. Nothing for a session not stored, closed, or not due (a later round).
    /// </summary>
    Task SettleExpiryAsync();

    /// <summary>
    /// The buyer accepts: the proposed quantity is held on the lot until the session expires (409 when it is gone), and
    /// the order for that hold is placed with <paramref name="checkout"/> (missing details: the buyer firm's defaults,
    /// see <see cref="MatchingSession.CheckoutFor"/>). Refused checkout details let the hold go and leave the session proposed.
    /// </summary>
    Task<MatchingSession> AcceptAsync(string actorId, Checkout? checkout = null, OrderActor? actor = null);

    /// <summary>
    /// The seller confirms an accepted session: its order is accepted (which sells the hold) and the demand records the
    /// purchase; a session accepted before orders existed confirms its hold directly.
    /// </summary>
    Task<MatchingSession> ConfirmAsync(string actorId, OrderActor? actor = null);

    /// <summary>Either side declines an open session; its order is cancelled (or a hold released).</summary>
    Task<MatchingSession> DeclineAsync(string actorId, OrderActor? actor = null);
}

/// <summary>
/// A session's answer to a proposal (<see cref="IMatchingSessionGrain.ProposeAsync"/>): the session stored when the
/// proposal started a new round (a snapshot never changed, passed without a copy); else, when the pair's round is
/// proposed and not yet due, when it expires (it refuses every proposal until then, unless it ends early, which the
/// session tells its partition before it answers anything else).
/// </summary>
/// <param name="Started">The session of the new round; null when the proposal was refused.</param>
/// <param name="OpenUntil">When a refusing session's proposed round expires; null when no round is proposed.</param>
[GenerateSerializer, Immutable]
public sealed record ProposalAnswer([property: Id(0)] MatchingSession? Started, [property: Id(1)] DateTimeOffset? OpenUntil);

/// <summary>Told of every change to a trader's matches (the server-sent events stream subscribes).</summary>
public interface IMatchObserver : IGrainObserver
{
    /// <summary>A session the trader is part of was proposed or changed.</summary>
    [Orleans.Concurrency.OneWay]
    Task ChangedAsync(MatchingSession session);

    /// <summary>One of the trader's import jobs started, progressed or ended.</summary>
    [Orleans.Concurrency.OneWay]
    Task ImportChangedAsync(Imports.ImportProgress progress);
}

/// <summary>A trader's matches as buyer and seller, newest change first, and live subscribers to them.</summary>
/// <summary>A page of a trader's matches and where the next page starts (null after the last).</summary>
[GenerateSerializer, Immutable]
public sealed record MatchInboxPage([property: Id(0)] IReadOnlyList<MatchingSession> Matches, [property: Id(1)] int? NextStart);

public interface IMatchInboxGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a session's latest state (older versions are ignored) and tells subscribers. One-way: the session is
    /// the record and this is its index, so a session never waits for two inboxes to be written. The session is passed
    /// without a copy: the caller hands over a snapshot it never changes (<see cref="MatchingSession.Snapshot"/>).
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task RecordAsync([Immutable] MatchingSession session);

    /// <summary>
    /// Records several sessions' latest states at once, as <see cref="RecordAsync"/> does one: what a partition's turn
    /// proposed to this trader, so that a change proposing to one firm several times costs that firm's inbox one call.
    /// One-way; the sessions are snapshots their grains never change, passed without a copy.
    /// </summary>
    [Orleans.Concurrency.OneWay]
    Task RecordAllAsync([Immutable] IReadOnlyList<MatchingSession> sessions);

    /// <summary>Tells subscribers of one of the trader's import jobs (not stored: the job is the record). One-way.</summary>
    [Orleans.Concurrency.OneWay]
    Task ImportChangedAsync(Imports.ImportProgress progress);

    /// <summary>The trader's sessions, most recently changed first.</summary>
    Task<IReadOnlyList<MatchingSession>> ListAsync();

    /// <summary>
    /// One page of the trader's sessions, most recently changed first, filtered by status code and by the trader's
    /// role (<c>buyer</c> or <c>seller</c>; null for any) and counted from <paramref name="start"/>. Only the page
    /// crosses the call, without a copy: a list of every match grew with the inbox and was copied whole on every read.
    /// </summary>
    Task<MatchInboxPage> PageAsync(string? status, string? role, int start, int size);

    /// <summary>Subscribes an observer for a few minutes; subscribe again to stay subscribed.</summary>
    Task SubscribeAsync(IMatchObserver observer);

    /// <summary>Ends a subscription.</summary>
    Task UnsubscribeAsync(IMatchObserver observer);
}
