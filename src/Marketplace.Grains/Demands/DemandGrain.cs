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
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Demands;

/// <summary>
/// Loads a demand, lets the domain change it, persists before answering, and keeps a reminder for its expiry so it
/// expires without any request touching it.
/// </summary>
public sealed class DemandGrain(
    [PersistentState("demand", StorageOptions.StoreName)] IPersistentState<Demand> state,
    MaterialTaxonomy taxonomy,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ListingOptions> options) : Grain, IDemandGrain, IRemindable
{
    private const string ExpiryReminder = "expiry";

    private string Id => this.GetPrimaryKeyString();

    /// <summary>The matching partitions that hold this demand.</summary>
    private IReadOnlyList<string> _partitions = [];

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _partitions = state.State.ToSummary() is { } demand ? MatchPartitions.ForDemand(demand) : [];
        if (state.State.Exists && state.State.ExpireIfDue(Now))
        {
            await state.WriteStateAsync(cancellationToken);
            Stored();
        }
    }

    /// <inheritdoc />
    public async Task<Demand> CreateAsync(string buyerId, DemandDetails details)
    {
        if (state.State.Exists)
        {
            throw DomainException.Conflict("demand-exists", $"Demand '{Id}' already exists.");
        }

        var demand = Demand.Create(Id, buyerId, details, taxonomy, Now);
        await GrainFactory.GetGrain<ITraderGrain>(buyerId).AddDemandAsync(Id);
        state.State = demand;
        return await SaveAsync();
    }

    /// <inheritdoc />
    public Task<Demand?> GetAsync() => Task.FromResult(state.State.Exists ? state.State : null);

    /// <inheritdoc />
    public Task<Demand> UpdateAsync(string actorId, DemandDetails changes) => ChangeAsync(d =>
    {
        d.EnsureBuyer(actorId);
        d.Update(changes, taxonomy, Now);
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
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Exists && state.State.ExpireIfDue(Now))
        {
            await state.WriteStateAsync();
            Stored();
        }

        await ScheduleAsync();
    }

    private async Task<Demand> ChangeAsync(Action<Demand> change)
    {
        if (!state.State.Exists)
        {
            throw DomainException.NotFound("demand", Id);
        }

        state.State.ExpireIfDue(Now);
        try
        {
            change(state.State);
        }
        catch (DomainException)
        {
            // Keep memory equal to storage: a refusal changes nothing that was stored.
            await state.ReadStateAsync();
            throw;
        }

        return await SaveAsync();
    }

    private async Task<Demand> SaveAsync()
    {
        await state.WriteOrReloadAsync();

        Stored();
        await ScheduleAsync();
        return state.State;
    }

    /// <summary>
    /// The demand is stored: every partition its radius touches gets the new summary, and partitions it no longer
    /// touches drop it (one-way calls: matching never slows a write).
    /// </summary>
    private void Stored()
    {
        var demand = state.State.ToSummary();
        var partitions = demand is null ? [] : MatchPartitions.ForDemand(demand);
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
    private async Task ScheduleAsync()
    {
        if (state.State.Status == DemandStatus.Open && state.State.Details?.ExpiresAt is { } expires)
        {
            var due = expires - Now;
            await this.RegisterOrUpdateReminder(ExpiryReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, options.Value.SweepPeriod);
            return;
        }

        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
