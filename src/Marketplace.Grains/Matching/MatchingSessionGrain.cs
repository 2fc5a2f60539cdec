using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Common;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Matching;

/// <summary>
/// Carries one proposal to a deal. Acceptance holds the quantity through <see cref="IListingGrain"/> (the lot refuses
/// more than it has, so nothing is oversold); confirmation confirms the hold and records the purchase on the demand; a
/// reminder expires the session at its time and releases its hold. Every stored state goes to both traders' inboxes.
/// </summary>
public sealed class MatchingSessionGrain(
    [PersistentState("match", StorageOptions.StoreName)] IPersistentState<MatchingSession> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<MatchingOptions> options,
    IOptions<ListingOptions> listingOptions,
    ILogger<MatchingSessionGrain> logger) : Grain, IMatchingSessionGrain, IRemindable
{
    private const string ExpiryReminder = "expiry";

    private MatchingSession Session => state.State;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public async Task<bool> ProposeAsync(SessionProposal proposal)
    {
        if (!Session.Propose(this.GetPrimaryKeyString(), proposal, Now, options.Value.SessionLifetime))
        {
            return false;
        }

        await SaveAsync();
        return true;
    }

    /// <inheritdoc />
    public Task<MatchingSession?> GetAsync() => Task.FromResult(Session.Exists ? Session : null);

    /// <inheritdoc />
    public async Task<MatchingSession> AcceptAsync(string actorId)
    {
        await ExpireIfDueAsync();
        var holdId = Session.Accept(actorId);
        var p = Session.Proposal!;

        // The demand may have been cancelled, expired or covered by other matches since the proposal.
        var demand = await GrainFactory.GetGrain<IDemandGrain>(p.DemandId).GetAsync();
        if (demand is not { Status: DemandStatus.Open } || demand.Remaining < p.Quantity)
        {
            var reason = demand is { Status: DemandStatus.Open } ? "demand-covered" : "demand-closed";
            Session.Expire(reason, Now);
            await SaveAsync();
            throw DomainException.Conflict("match-demand-closed",
                demand is { Status: DemandStatus.Open }
                    ? $"The demand now wants only {demand.Remaining} {p.Unit}, less than this match's {p.Quantity}; the match has expired and a fitting one will be proposed."
                    : "The demand is no longer open; the match has expired.",
                new Dictionary<string, object?> { ["matchStatus"] = "expired", ["reason"] = reason });
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
            var details = new Dictionary<string, object?> { ["matchStatus"] = "expired", ["reason"] = e.Code };
            if (e.Details.TryGetValue("available", out var available))
            {
                details["available"] = available;
            }

            throw DomainException.Conflict("match-quantity-gone",
                $"The lot no longer has {p.LotQuantity} {p.LotUnit} free ({e.Message}); the proposal has expired.", details);
        }

        Session.Accepted(holdId, Now);
        await SaveAsync();
        return Session;
    }

    /// <inheritdoc />
    public async Task<MatchingSession> ConfirmAsync(string actorId)
    {
        await ExpireIfDueAsync();
        Session.EnsureCanConfirm(actorId);
        var p = Session.Proposal!;
        bool soldNow;
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
    public async Task<MatchingSession> DeclineAsync(string actorId)
    {
        await ExpireIfDueAsync();
        var hold = Session.EnsureCanDecline(actorId);

        // The lot answers first: a lot that cannot release the hold leaves the session as it was, to be declined again.
        if (await ReleaseAsync(hold, actorId))
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

    private async Task ExpireIfDueAsync()
    {
        if (!Session.Exists)
        {
            throw DomainException.NotFound("match", this.GetPrimaryKeyString());
        }

        if (Session.IsDue(Now))
        {
            // The hold goes first: when the lot cannot answer, the session stays open and the reminder tries again.
            if (await ReleaseAsync(Session.OpenHold, Session.Proposal!.BuyerId))
            {
                Session.Confirm(Session.Proposal.SellerId, Now);
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

    private static bool IsConfirmed(DomainException e)
        => e.Code == "hold-closed" && e.Details.TryGetValue("holdStatus", out var status) && status?.ToString() == "confirmed";

    private async Task SaveAsync()
    {
        await state.WriteOrReloadAsync();

        await ScheduleAsync();
        var p = Session.Proposal!;
        await Task.WhenAll(
            GrainFactory.GetGrain<IMatchInboxGrain>(p.BuyerId).RecordAsync(Session),
            GrainFactory.GetGrain<IMatchInboxGrain>(p.SellerId).RecordAsync(Session));
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
