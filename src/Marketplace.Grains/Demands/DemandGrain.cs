using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using Marketplace.Grains.Webhooks;

namespace Marketplace.Grains.Demands;

/// <summary>
/// Loads a demand, lets the domain change it, persists before answering, and keeps a reminder for its expiry so it
/// expires without any request touching it.
/// </summary>
public sealed class DemandGrain(
    [PersistentState("demand", StorageOptions.StoreName)] IPersistentState<Demand> state,
    MaterialTaxonomy taxonomy,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ListingOptions> options,
    IOptions<ServiceAreaOptions> serviceArea,
    IOptions<WebhookOptions> webhooks,
    WebhookInterest interest,
    ILogger<DemandGrain> logger) : Grain, IDemandGrain, IWebhookOutboxGrain, IRemindable
{
    /// <summary>The demand as last stored, to tell which webhook events the next write makes.</summary>
    private DemandMark _mark = DemandMark.None;

    private WebhookRelay? _relay;

    private WebhookRelay Relay => _relay ??= new WebhookRelay(this, GrainFactory, webhooks.Value, logger);

    /// <summary>Hands over what the outbox holds; an empty one needs no relay (one waiting to retry reads the outbox itself).</summary>
    private void HandOver()
    {
        if (state.State.Outbox.Count > 0)
        {
            Relay.HandOver(() => state.State.Outbox);
        }
    }

    private const string ExpiryReminder = "expiry";

    private string Id => this.GetPrimaryKeyString();

    /// <summary>Whether the demand was open as last stored (a new one is told to its firm as open when it is recorded).</summary>
    private bool _storedOpen = true;

    /// <summary>The matching partitions that hold this demand.</summary>
    private IReadOnlyList<string> _partitions = [];

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _partitions = state.State.ToSummary() is { } demand ? MatchPartitions.ForDemand(demand) : [];
        _mark = DemandMark.Of(state.State);
        _storedOpen = !state.State.Exists || state.State.Status == DemandStatus.Open;
        if (state.State.Exists && state.State.ExpireIfDue(Now))
        {
            var plan = Plan();
            await WriteAsync();
            Stored(plan);
        }
        else if (state.State.Outbox.Count > 0)
        {
            // Events stored with the last change but perhaps never handed over (a crash): subscriptions drop duplicates.
            HandOver();
        }
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        WebhookRelay.TrimAsync(_relay, reason, state.State.Outbox, () => state.WriteStateAsync(cancellationToken));

    /// <inheritdoc />
    public Task HandOverAsync()
    {
        HandOver();
        return Task.CompletedTask;
    }

    /// <summary>Writes the demand with its change's webhook events in its outbox (one storage write); on a failure storage's copy is reloaded.</summary>
    private async Task WriteAsync()
    {
        try
        {
            var events = WebhookEvents.ForDemand(_mark, state.State, Now, await interest.CurrentAsync());
            if (_relay is not null || events.Count > 0)
            {
                // A relay is made only for events: nobody subscribes to most grains' events, and an activation keeps its relay.
                Relay.Record(state.State.Outbox, events);
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
            _mark = DemandMark.Of(state.State);
        }
    }

    /// <inheritdoc />
    public async Task<Demand> CreateAsync(string buyerId, DemandDetails details)
    {
        var demand = Demand.Create(Id, buyerId, details, taxonomy, Now, serviceArea.Value.Area);
        if (state.State.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a creation whose answer was lost finds it.
            return state.State.IsSameCreation(demand)
                ? state.State
                : throw DomainException.Conflict("demand-exists", $"Demand '{Id}' already exists.");
        }

        var plan = Plan(demand);
        await GrainFactory.GetGrain<ITraderGrain>(buyerId).AddDemandAsync(Id);
        state.State = demand;
        return await SaveAsync(plan);
    }

    /// <inheritdoc />
    public Task<Demand?> GetAsync() => Task.FromResult(state.State.Exists ? state.State : null);

    /// <inheritdoc />
    public Task<DemandStanding> StandingAsync()
        => Task.FromResult(state.State.Exists ? new DemandStanding(true, state.State.Version, state.State.ToSummary()) : new DemandStanding(false, 0, null));

    /// <inheritdoc />
    public Task<Demand> UpdateAsync(string actorId, DemandChanges changes) => ChangeAsync(d =>
    {
        d.EnsureBuyer(actorId);
        d.Update(changes, taxonomy, Now, serviceArea.Value.Area);
    });

    /// <inheritdoc />
    public Task<Demand> CancelAsync(string actorId) => ChangeAsync(d =>
    {
        d.EnsureBuyer(actorId);
        d.Cancel();
    });

    /// <inheritdoc />
    public Task<Demand> RecordPurchaseAsync(decimal quantity) => ChangeAsync(d => d.RecordPurchase(quantity));

    /// <inheritdoc />
    public Task<Demand> ReturnPurchaseAsync(string orderId, decimal quantity) => ChangeAsync(d => d.ReturnPurchase(orderId, quantity));

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var plan = Plan();
        if (state.State.Exists && state.State.ExpireIfDue(Now))
        {
            plan = Plan();
            await WriteAsync();
            Stored(plan);
        }

        await ScheduleAsync(plan.ExpiryDue);
    }

    private async Task<Demand> ChangeAsync(Action<Demand> change)
    {
        if (!state.State.Exists)
        {
            throw DomainException.NotFound("demand", Id);
        }

        state.State.ExpireIfDue(Now);
        AfterWrite plan;
        try
        {
            change(state.State);
            plan = Plan();
        }
        catch
        {
            // Keep memory equal to storage: a refusal (or a failure computing what follows the write) changes nothing
            // that was stored.
            await state.ReadStateAsync();
            throw;
        }

        return await SaveAsync(plan);
    }

    /// <summary>
    /// Writes the state, then does what follows from it. Everything that can fail was computed before the write (in
    /// <paramref name="plan"/>): once the change is stored, the caller hears of success whatever happens next, and a
    /// failure of a follower (a partition, the reminder service) is logged instead.
    /// </summary>
    private async Task<Demand> SaveAsync(AfterWrite plan)
    {
        await JoinAsync(plan);
        await WriteAsync();

        try
        {
            Stored(plan);
            await ScheduleAsync(plan.ExpiryDue);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Demand {DemandId} version {Version} is stored, but telling its followers failed", Id, state.State.Version);
        }

        return state.State;
    }

    /// <summary>What follows a write of a demand, computed before it: its summary, its partitions, its reminder's due time.</summary>
    private AfterWrite Plan(Demand? demand = null)
    {
        demand ??= state.State;
        var summary = demand.ToSummary();
        var partitions = summary is null ? [] : MatchPartitions.ForDemand(summary);
        TimeSpan? due = demand.Status == DemandStatus.Open && demand.Details?.ExpiresAt is { } expires
            ? (expires - Now > TimeSpan.Zero ? expires - Now : TimeSpan.Zero)
            : null;
        return new AfterWrite(summary, partitions, due);
    }

    /// <summary>
    /// Before a write that brings the demand into partitions it was not in, those partitions record it as joining
    /// (stored before this answers), so their membership has it even if the one-way change after the write is lost.
    /// </summary>
    private Task JoinAsync(AfterWrite plan)
        => Task.WhenAll(plan.Partitions.Except(_partitions).Select(p => GrainFactory.GetGrain<IMatchPartitionGrain>(p).DemandJoiningAsync(Id)));

    /// <summary>
    /// The demand is stored: every partition its radius touches gets the new summary, and partitions it no longer
    /// touches drop it (one-way calls: matching never slows a write).
    /// </summary>
    private void Stored(AfterWrite plan)
    {
        HandOver();
        var open = state.State.Status == DemandStatus.Open;
        if (state.State.Exists && open != _storedOpen)
        {
            // The firm counts its open demands for its bound; a lost call is found out when the bound reads them.
            _ = GrainFactory.GetGrain<ITraderGrain>(state.State.BuyerId).DemandOpenChangedAsync(Id, open);
        }

        _storedOpen = open;
        var (demand, partitions, _) = plan;
        foreach (var gone in _partitions.Except(partitions))
        {
            _ = GrainFactory.GetGrain<IMatchPartitionGrain>(gone).DemandChangedAsync(Id, state.State.Version, null);
        }

        foreach (var partition in partitions)
        {
            _ = GrainFactory.GetGrain<IMatchPartitionGrain>(partition).DemandChangedAsync(Id, state.State.Version, demand);
        }

        _partitions = partitions;
    }

    /// <summary>An open demand keeps a reminder at its expiry (ticking every sweep period after it); a closed one none.</summary>
    private async Task ScheduleAsync(TimeSpan? due)
    {
        if (due is { } dueTime)
        {
            await this.RegisterOrUpdateReminder(ExpiryReminder, dueTime, options.Value.SweepPeriod);
            return;
        }

        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>What follows a write, computed before it.</summary>
    private sealed record AfterWrite(DemandSummary? Summary, IReadOnlyList<string> Partitions, TimeSpan? ExpiryDue);
}
