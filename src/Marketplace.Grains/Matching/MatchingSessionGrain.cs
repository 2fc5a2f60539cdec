using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Traders;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

using Marketplace.Grains.Webhooks;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Carries one proposal to a deal. Acceptance holds the quantity through <see cref="IListingGrain"/> (the lot refuses
/// more than it has, so nothing is oversold); confirmation confirms the hold and records the purchase on the demand; a
/// reminder expires the session at its time and releases its hold. Every stored state goes to both traders' inboxes.
/// A new pair's first state (with its events) is stored by the proposing partition, and its expiry in that partition's
/// calendar (<see cref="MatchExpiryCalendar"/>, which calls <see cref="SettleExpiryAsync"/> when it is due), so the grain
/// is activated only when the match is read, acted on or expires; from its first own write on it keeps its own reminder.
/// </summary>
public sealed class MatchingSessionGrain(
    [PersistentState(MatchingSessionGrain.StateName, StorageOptions.StoreName)] IPersistentState<MatchingSession> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<MatchingOptions> options,
    IOptions<ListingOptions> listingOptions,
    MarketplaceMetrics metrics,
    IOptions<WebhookOptions> webhooks,
    WebhookInterest interest,
    ILogger<MatchingSessionGrain> logger) : Grain, IMatchingSessionGrain, IWebhookOutboxGrain, IRemindable
{
    /// <summary>The name of a session's expiry reminder (a partition registers it for a proposal it stored when its calendar cannot take it).</summary>
    internal const string ExpiryReminder = "expiry";

    /// <summary>The name of a session's stored state.</summary>
    internal const string StateName = "match";

    /// <summary>The session as last stored, to tell which webhook events the next write makes.</summary>
    private MatchMark _mark = MatchMark.None;

    private WebhookRelay? _relay;

    private WebhookRelay Relay => _relay ??= new WebhookRelay(this, GrainFactory, webhooks.Value, logger);

    /// <summary>Hands over what the outbox holds; an empty one needs no relay (one waiting to retry reads the outbox itself).</summary>
    private void HandOver()
    {
        if (Session.Outbox.Count > 0)
        {
            Relay.HandOver(() => Session.Outbox);
        }
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _mark = MatchMark.Of(Session);
        if (Session.Outbox.Count > 0)
        {
            // Events stored with the last change but perhaps never handed over (a crash): subscriptions drop duplicates.
            HandOver();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        WebhookRelay.TrimAsync(_relay, reason, Session.Outbox, () => state.WriteStateAsync(cancellationToken));

    /// <inheritdoc />
    public async Task HandOverAsync()
    {
        await ReadIfProposedSinceAsync();
        HandOver();
    }

    /// <summary>
    /// A partition stores a new pair's first state itself, without activating its session (see
    /// <see cref="MatchPartitionGrain"/>): an activation that found no session (a read of an unknown match, or one made
    /// while the partition was storing it) reads storage again before it answers, so it never holds on to "no session".
    /// </summary>
    private async Task ReadIfProposedSinceAsync()
    {
        if (Session.Exists)
        {
            return;
        }

        await state.ReadStateAsync();
        if (Session.Exists)
        {
            _mark = MatchMark.Of(Session);
            if (Session.Outbox.Count > 0)
            {
                HandOver();
            }
        }
    }

    private MatchingSession Session => state.State;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public async Task<ProposalAnswer> ProposeAsync(SessionProposal proposal)
    {
        await ReadIfProposedSinceAsync();
        var now = Now;
        if (!Session.Propose(this.GetPrimaryKeyString(), proposal, now, options.Value.SessionLifetime))
        {
            // A partition that forgot the pair learns again that its round is open, and asks nothing more until it expires.
            return new(null, Session.Status == MatchStatus.Proposed && now < Session.ExpiresAt ? Session.ExpiresAt : null);
        }

        // The proposing partition records it in the inboxes, with the other proposals of its turn.
        var snapshot = await SaveAsync(toInboxes: false);
        metrics.ProposalMade();
        return new(snapshot, null);
    }

    /// <summary>
    /// True when the lot and the demand as they are now would still be paired by the matcher (its own rules, on a book of
    /// the two), or when the lot cannot be summarised (withdrawn, hidden, nothing free: the hold refuses it with its own answer).
    /// </summary>
    private async Task<bool> StillFitsAsync(SessionProposal p, Demand demand)
    {
        var lot = await GrainFactory.GetGrain<IListingGrain>(p.LotId).GetAsync();
        if (lot?.ToMatchSummary() is not { } lotNow || demand.ToSummary() is not { } demandNow)
        {
            return true;
        }

        // Quantities are judged by the hold (what the lot still has) and the demand check above (what it still wants):
        // here only the rules of the pair, with room enough for this match's quantity on both sides.
        var book = new MatchBook();
        book.UpsertDemand(demandNow with { Quantity = Math.Max(demandNow.Quantity, p.Quantity), MinPart = Math.Min(demandNow.MinPart, p.Quantity) });
        book.UpsertLot(lotNow with { Available = Math.Max(lotNow.Available, p.LotQuantity) });
        return book.MatchLot(lotNow.Id, 1).Count > 0;
    }

    /// <inheritdoc />
    public async Task<MatchingSession?> GetAsync()
    {
        await ReadIfProposedSinceAsync();
        return Session.Exists ? Session : null;
    }

    /// <inheritdoc />
    public async Task ScheduleExpiryAsync()
    {
        await ReadIfProposedSinceAsync();
        if (Session.Exists)
        {
            await ScheduleAsync();
        }
    }

    /// <inheritdoc />
    public async Task SettleExpiryAsync()
    {
        await ReadIfProposedSinceAsync();
        if (Session.Exists && Session.IsDue(Now))
        {
            await ExpireIfDueAsync();
        }
    }

    /// <inheritdoc />
    public async Task<MatchingSession> AcceptAsync(string actorId, Checkout? checkout = null, OrderActor? actor = null)
    {
        await ExpireIfDueAsync();
        var holdId = Session.Accept(actorId);
        var p = Session.Proposal!;

        // The demand may have been cancelled, expired or covered by other matches since the proposal.
        var demand = await GrainFactory.GetGrain<IDemandGrain>(p.DemandId).GetAsync();
        if (demand is not { Status: DemandStatus.Open } || demand.Remaining < p.Quantity)
        {
            var reason = demand is { Status: DemandStatus.Open } ? "demand-covered" : "demand-closed";
            if (await LetGoOfUnfinishedAcceptanceAsync(actor ?? new OrderActor(actorId, actorId, null), "The match's demand closed before the acceptance was stored."))
            {
                // An earlier try of this acceptance placed the order, and the seller accepted it: the deal stands.
                Session.Confirm(p.SellerId, Now);
                await SaveAsync();
                return Session;
            }

            Session.Expire(reason, Now);
            await SaveAsync();
            await EndedEarlyAsync();
            throw DomainException.Conflict("match-demand-closed",
                demand is { Status: DemandStatus.Open }
                    ? $"The demand now wants only {demand.Remaining} {p.Unit}, less than this match's {p.Quantity}; the match has expired and a fitting one will be proposed."
                    : "The demand is no longer open; the match has expired.",
                new Dictionary<string, object?> { ["matchStatus"] = "expired", ["reason"] = reason });
        }

        if (Session.AcceptingHoldId != holdId && !await StillFitsAsync(p, demand))
        {
            // The lot or the demand changed since the proposal (a higher price, another place or condition, stricter
            // wishes): the matcher would not propose the pair now, so it is not accepted (probe 30 ordered at five times
            // the buyer's maximum price). A retried acceptance whose hold was placed already goes on to finish it.
            Session.Expire("no-longer-fits", Now);
            await SaveAsync();
            await EndedEarlyAsync();
            throw DomainException.Conflict("match-no-longer-fits",
                "The lot or the demand changed since this match was proposed (price, place, condition, category or window) and they no longer fit; the match has expired.",
                new Dictionary<string, object?> { ["matchStatus"] = "expired", ["reason"] = "no-longer-fits" });
        }

        if (Session.AcceptingHoldId != holdId)
        {
            // Stored before the hold is placed: a crash before the acceptance is stored leaves a session that lets it go.
            Session.Accepting(holdId);
            await SaveAsync(toInboxes: false);
        }

        try
        {
            await GrainFactory.GetGrain<IListingGrain>(p.LotId).PlaceHoldAsync(p.BuyerId, holdId, p.LotQuantity, Session.ExpiresAt, Session.Id);
        }
        catch (DomainException e) when (e.Code == "hold-exists")
        {
            // The hold id belongs to this round: an earlier acceptance placed it and then failed to save.
        }
        catch (DomainException e) when (e.Kind is DomainErrorKind.Conflict or DomainErrorKind.NotFound)
        {
            Session.Expire("quantity-gone", Now);
            await SaveAsync();
            await EndedEarlyAsync();
            var details = new Dictionary<string, object?> { ["matchStatus"] = "expired", ["reason"] = e.Code };
            if (e.Details.TryGetValue("available", out var available))
            {
                details["available"] = available;
            }

            throw DomainException.Conflict("match-quantity-gone",
                $"The lot no longer has {p.LotQuantity} {p.LotUnit} free ({e.Message}); the proposal has expired.", details);
        }

        var orderId = MatchingSession.OrderIdFor(holdId);
        var buyer = await GrainFactory.GetGrain<ITraderGrain>(p.BuyerId).GetAsync();
        try
        {
            // Derived from the hold: a repeated acceptance (its save failed) finds the same order instead of another.
            await GrainFactory.GetGrain<IOrderGrain>(orderId).CheckoutAsync(actor ?? new OrderActor(actorId, actorId, null),
                Session.CheckoutFor(checkout, holdId, demand.Details?.Location, buyer?.Profile));
        }
        catch (DomainException e)
        {
            if (!await ReleaseRefusedCheckoutAsync(holdId, actorId))
            {
                // The hold is already in this order: an earlier acceptance placed it and its save failed. It stands.
                logger.LogInformation("Match {Id}: the order {Order} was placed before ({Reason}); the acceptance stands", Session.Id, orderId, e.Code);
                Session.Accepted(holdId, orderId, Now);
                await SaveAsync();
                return Session;
            }

            // Refused checkout details: the hold went back and the match stays proposed, so the buyer can accept again.
            Session.CheckoutFailed(Now);
            await SaveAsync();
            throw;
        }

        Session.Accepted(holdId, orderId, Now);
        await SaveAsync();
        return Session;
    }

    /// <inheritdoc />
    public async Task<MatchingSession> ConfirmAsync(string actorId, OrderActor? actor = null)
    {
        await ExpireIfDueAsync();
        Session.EnsureCanConfirm(actorId);
        var p = Session.Proposal!;
        bool soldNow;
        if (Session.OrderId is { } orderId)
        {
            soldNow = await AcceptOrderAsync(orderId, actor ?? new OrderActor(actorId, actorId, null));
        }
        else
        {
            // A match accepted before matches placed orders: its hold is confirmed directly.
            try
            {
                await GrainFactory.GetGrain<IListingGrain>(p.LotId).ConfirmHoldAsync(actorId, Session.HoldId!, Session.Id);
                soldNow = true;
            }
            catch (DomainException e) when (IsConfirmed(e))
            {
                // An earlier confirmation sold the hold but its save failed: finish it, without counting the purchase twice.
                soldNow = false;
            }
        }

        if (soldNow)
        {
            try
            {
                await GrainFactory.GetGrain<IDemandGrain>(p.DemandId).RecordPurchaseAsync(p.Quantity);
            }
            catch (Exception e)
            {
                // The sale stands (the hold is confirmed); a demand closed meanwhile just does not count it.
                logger.LogInformation(e, "Match {Id}: the demand did not record the purchase", Session.Id);
            }
        }

        Session.Confirm(actorId, Now);
        await SaveAsync();
        return Session;
    }

    /// <inheritdoc />
    public async Task<MatchingSession> DeclineAsync(string actorId, OrderActor? actor = null)
    {
        await ExpireIfDueAsync();
        var hold = Session.EnsureCanDecline(actorId);

        // The order (or else the lot) answers first: one that cannot let the hold go leaves the session as it was, to be
        // declined again.
        var reason = actorId == Session.Proposal!.BuyerId ? "The buyer declined the match." : "The seller declined the match.";
        var decliner = actor ?? new OrderActor(actorId, actorId, null);
        if (await EndOrderAsync(decliner, reason) || await LetGoOfUnfinishedAcceptanceAsync(decliner, reason) || await ReleaseAsync(hold, actorId))
        {
            Session.Confirm(Session.Proposal!.SellerId, Now);
            await SaveAsync();
            throw DomainException.Conflict("match-not-open", "The match is confirmed and cannot decline now.",
                new Dictionary<string, object?> { ["matchStatus"] = MatchingSession.StatusCode(Session.Status) });
        }

        Session.Decline(actorId, Now);
        await SaveAsync();
        return Session;
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await ExpireIfDueAsync();
        if (Session.Exists && Session.IsOpen)
        {
            await ScheduleAsync();
        }
    }

    /// <summary>
    /// Tells the lot's partition that this round expired before its time, so that the pair is proposed again at its
    /// lot's or demand's next change (the partition sends nothing to a round it knows open until it is due; see
    /// <see cref="MatchPartitionGrain"/>). The lot is read for its partition (an early expiry is rare); a lot gone has
    /// left its partition's book, which forgot its rounds then.
    /// </summary>
    private async Task EndedEarlyAsync()
    {
        var p = Session.Proposal!;
        try
        {
            if (await GrainFactory.GetGrain<IListingGrain>(p.LotId).GetAsync() is { Details: { Location: { } at } details })
            {
                await GrainFactory.GetGrain<IMatchPartitionGrain>(MatchPartitions.ForPlace(details.Category, at.Latitude, at.Longitude))
                    .RoundEndedAsync(p.LotId, p.DemandId);
            }
        }
        catch (Exception e)
        {
            // The expiry is stored; the partition proposes the pair again at a change after the round's time.
            logger.LogWarning(e, "Match {Match}: telling its partition that it expired failed", Session.Id);
        }
    }

    private async Task ExpireIfDueAsync()
    {
        await ReadIfProposedSinceAsync();
        if (!Session.Exists)
        {
            throw DomainException.NotFound("match", this.GetPrimaryKeyString());
        }

        if (Session.IsDue(Now))
        {
            // The order and the hold go first: when they cannot answer, the session stays open and the reminder tries again.
            const string Expired = "The match expired before the seller confirmed it.";
            if (await EndOrderAsync(OrderActor.System, Expired)
                || await LetGoOfUnfinishedAcceptanceAsync(OrderActor.System, Expired)
                || await ReleaseAsync(Session.OpenHold, Session.Proposal!.BuyerId))
            {
                Session.Confirm(Session.Proposal!.SellerId, Now);
            }
            else
            {
                Session.Expire("timed-out", Now);
            }

            await SaveAsync();
        }
    }

    /// <summary>
    /// Releases the session's hold on the lot; true when the lot says the hold is already sold (a confirmation whose
    /// save failed), so the session is confirmed rather than ended. Failures other than the lot's refusals propagate.
    /// </summary>
    private async Task<bool> ReleaseAsync(string? holdId, string actorId)
    {
        if (holdId is null)
        {
            return false;
        }

        try
        {
            await GrainFactory.GetGrain<IListingGrain>(Session.Proposal!.LotId).ReleaseHoldAsync(actorId, holdId, Session.Id);
            return false;
        }
        catch (DomainException e) when (IsConfirmed(e))
        {
            logger.LogInformation("Match {Id}: hold {Hold} was already confirmed; the match is confirmed", Session.Id, holdId);
            return true;
        }
        catch (DomainException e)
        {
            // Already lapsed or released (the hold expires with the session anyway).
            logger.LogDebug("Match {Id}: hold {Hold} not released: {Reason}", Session.Id, holdId, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Lets go of an acceptance stored as begun but not as done (<see cref="MatchingSession.AcceptingHoldId"/>: a crash
    /// between placing its hold, or its order, and storing it): its order, if placed, is cancelled (which releases the
    /// hold), else its hold is released. True when the order was accepted meanwhile or the hold sold: the session is then
    /// recorded as accepted with them, for the caller to confirm. Nothing to do (false) for any other session.
    /// </summary>
    private async Task<bool> LetGoOfUnfinishedAcceptanceAsync(OrderActor actor, string reason)
    {
        if (Session.Status != MatchStatus.Proposed || Session.AcceptingHoldId is not { } holdId)
        {
            return false;
        }

        var orderId = MatchingSession.OrderIdFor(holdId);
        try
        {
            // A placed order's cancellation lets the hold go; an accepted one stands, and the session records it.
            if (!await EndOrderAsync(orderId, actor, reason))
            {
                return false;
            }

            Session.Accepted(holdId, orderId, Now);
            return true;
        }
        catch (DomainException e) when (e.Kind == DomainErrorKind.NotFound)
        {
            // No order was stored: only the hold, if even that, perhaps tied to the order that never was (untied first).
            await GrainFactory.GetGrain<IOrderGrain>(orderId).ReleaseAbandonedAsync(Session.Proposal!.LotId);
        }

        if (await ReleaseAsync(holdId, Session.Proposal!.BuyerId))
        {
            Session.Accepted(holdId, null, Now);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Lets the hold of a refused checkout go; false when it cannot, because an order already has it (this acceptance's
    /// order, placed by an earlier try whose save failed).
    /// </summary>
    private async Task<bool> ReleaseRefusedCheckoutAsync(string holdId, string actorId)
    {
        try
        {
            await GrainFactory.GetGrain<IListingGrain>(Session.Proposal!.LotId).ReleaseHoldAsync(actorId, holdId, Session.Id);
            return true;
        }
        catch (DomainException e) when (e.Code == "hold-belongs-to-order")
        {
            return false;
        }
    }

    /// <summary>
    /// The seller's confirmation is the order's acceptance (the order sells the hold, captures or invoices). True when
    /// this call accepted it; false when it was accepted before (a confirmation whose save failed): the match then just
    /// finishes. A cancelled order ends the match.
    /// </summary>
    private async Task<bool> AcceptOrderAsync(string orderId, OrderActor seller)
    {
        var order = GrainFactory.GetGrain<IOrderGrain>(orderId);
        var current = await order.GetAsync(seller);
        switch (current.Status)
        {
            case OrderStatus.Placed:
                await order.AcceptAsync(seller with { MatchId = Session.Id });
                return true;
            case OrderStatus.Cancelled:
                Session.Expire("order-cancelled", Now);
                await SaveAsync();
                await EndedEarlyAsync();
                throw DomainException.Conflict("match-order-cancelled", $"The match's order '{orderId}' was cancelled; the match has expired.",
                    new Dictionary<string, object?> { ["matchStatus"] = "expired", ["orderId"] = orderId });
            default:
                return false;
        }
    }

    /// <summary>
    /// Cancels the session's order while it waits for the seller (its cancellation lets the hold go); true when the
    /// order was accepted already (sold), so the session is confirmed rather than ended. False without an order.
    /// </summary>
    private Task<bool> EndOrderAsync(OrderActor actor, string reason)
        => Session.OrderId is { } orderId && Session.Status == MatchStatus.Accepted ? EndOrderAsync(orderId, actor, reason) : Task.FromResult(false);

    /// <summary>
    /// Cancels <paramref name="orderId"/> if it still waits for the seller; true when it was accepted already. An order
    /// never stored answers 404 (<see cref="DomainErrorKind.NotFound"/>).
    /// </summary>
    private async Task<bool> EndOrderAsync(string orderId, OrderActor actor, string reason)
    {
        var order = GrainFactory.GetGrain<IOrderGrain>(orderId);
        var current = await order.GetAsync(new OrderActor(actor.Subject, Session.Proposal!.BuyerId, actor.ClientId));
        switch (current.Status)
        {
            case OrderStatus.Placed:
                await order.CancelAsync(actor, reason);
                return false;
            case OrderStatus.Cancelled:
                return false;
            default:
                logger.LogInformation("Match {Id}: order {Order} was accepted already; the match is confirmed", Session.Id, orderId);
                return true;
        }
    }

    private static bool IsConfirmed(DomainException e)
        => e.Code == "hold-closed" && e.Details.TryGetValue("holdStatus", out var status) && status?.ToString() == "confirmed";

    /// <summary>
    /// Stores the session with its webhook events, hands them over, keeps the expiry reminder in step and, unless the
    /// caller does it, records the session in both traders' inboxes; returns the stored snapshot.
    /// </summary>
    private async Task<MatchingSession> SaveAsync(bool toInboxes = true)
    {
        // The change and its webhook events in one storage write; the events are handed over after it.
        try
        {
            var events = WebhookEvents.ForMatch(_mark, Session, Now, await interest.CurrentAsync());
            if (_relay is not null || events.Count > 0)
            {
                // A relay is made only for events: nobody subscribes to most grains' events, and an activation keeps its relay.
                Relay.Record(Session.Outbox, events);
            }
        }
        catch
        {
            // Memory holds a change that will not be stored: retire the activation, so that the next call reads storage's
            // state instead of answering from a change no one stored (an unreadable subscription filter once did that).
            DeactivateOnIdle();
            throw;
        }

        try
        {
            await state.WriteOrReloadAsync();
        }
        finally
        {
            _mark = MatchMark.Of(Session);
        }

        HandOver();

        await ScheduleAsync();
        var p = Session.Proposal!;
        var snapshot = Session.Snapshot();
        if (toInboxes)
        {
            await Task.WhenAll(
                GrainFactory.GetGrain<IMatchInboxGrain>(p.BuyerId).RecordAsync(snapshot),
                GrainFactory.GetGrain<IMatchInboxGrain>(p.SellerId).RecordAsync(snapshot));
        }

        return snapshot;
    }

    private async Task ScheduleAsync()
    {
        if (Session.IsOpen)
        {
            var due = Session.ExpiresAt - Now;
            await this.RegisterOrUpdateReminder(ExpiryReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, listingOptions.Value.SweepPeriod);
        }
        else if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
