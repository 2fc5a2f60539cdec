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
            await GrainFactory.GetGrain<IListingGrain>(p.LotId).PlaceHoldAsync(p.BuyerId, holdId, p.LotQuantity, Session.ExpiresAt);
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
        Session.Confirm(actorId, Now);
        var p = Session.Proposal!;
        try
        {
            await GrainFactory.GetGrain<IListingGrain>(p.LotId).ConfirmHoldAsync(actorId, Session.HoldId!);
        }
        catch
        {
            await state.ReadStateAsync();
            throw;
        }

        try
        {
            await GrainFactory.GetGrain<IDemandGrain>(p.DemandId).RecordPurchaseAsync(p.Quantity);
        }
        catch (DomainException e)
        {
            // The sale stands (the hold is confirmed); a demand closed meanwhile just does not count it.
            logger.LogInformation("Match {Id}: the demand did not record the purchase: {Reason}", Session.Id, e.Message);
        }

        await SaveAsync();
        return Session;
    }

    /// <inheritdoc />
    public async Task<MatchingSession> DeclineAsync(string actorId)
    {
        await ExpireIfDueAsync();
        var hold = Session.Decline(actorId, Now);
        await ReleaseAsync(hold, actorId);
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
            var hold = Session.Expire("timed-out", Now);
            await ReleaseAsync(hold, Session.Proposal!.BuyerId);
            await SaveAsync();
        }
    }

    private async Task ReleaseAsync(string? holdId, string actorId)
    {
        if (holdId is null)
        {
            return;
        }

        try
        {
            await GrainFactory.GetGrain<IListingGrain>(Session.Proposal!.LotId).ReleaseHoldAsync(actorId, holdId);
        }
        catch (DomainException e)
        {
            // Already lapsed or released (the hold expires with the session anyway).
            logger.LogDebug("Match {Id}: hold {Hold} not released: {Reason}", Session.Id, holdId, e.Message);
        }
    }

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
