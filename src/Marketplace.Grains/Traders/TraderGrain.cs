using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Traders;

/// <summary>Loads a firm, lets the domain change it and persists before answering.</summary>
public sealed class TraderGrain(
    [PersistentState("trader", StorageOptions.StoreName)] IPersistentState<Trader> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time) : Grain, ITraderGrain
{
    private string Id => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task<Trader> RegisterAsync(TraderProfile profile, string registeredBy)
    {
        var trader = Trader.Register(Id, profile, registeredBy, time.GetUtcNow());
        if (state.State.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a registration whose answer was lost finds it.
            return state.State.IsSameRegistration(trader)
                ? state.State
                : throw DomainException.Conflict("trader-exists", $"Trader '{Id}' already exists.");
        }

        // A retry under the same id finds the business id claimed by this firm already, and goes on.
        var owner = await GrainFactory.GetGrain<IBusinessIdGrain>(trader.Profile!.BusinessId).ClaimAsync(Id);
        if (owner != Id)
        {
            throw DomainException.Conflict("business-id-taken", $"A firm with business id {trader.Profile.BusinessId} is already registered.",
                new Dictionary<string, object?> { ["traderId"] = owner });
        }

        state.State = trader;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception)
        {
            // A write that failed may still have landed (a timeout): look before giving the business id back.
            if (await StoredAfterAllAsync())
            {
                return state.State;
            }

            // The firm was not stored: give the business id back, or the company could never register.
            state.State = new Trader();
            await GrainFactory.GetGrain<IBusinessIdGrain>(trader.Profile.BusinessId).ReleaseAsync(Id);
            throw;
        }

        return trader;
    }

    /// <inheritdoc />
    public Task<Trader?> GetAsync() => Task.FromResult(state.State.Exists ? state.State : null);

    /// <inheritdoc />
    public async Task<Trader> UpdateAsync(TraderChanges changes)
    {
        EnsureExists();
        state.State.Update(changes, time.GetUtcNow());
        await state.WriteOrReloadAsync();
        return state.State;
    }

    /// <inheritdoc />
    public async Task AddListingAsync(string listingId)
    {
        await EnsureRoleAsync(TraderRoles.Seller);
        state.State.AddListing(listingId);
        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public async Task ListingStatusChangedAsync(string listingId, string status, long version)
    {
        if (state.State.Exists && state.State.RecordListingStatus(listingId, status, version))
        {
            await state.WriteOrReloadAsync();
        }
    }

    /// <inheritdoc />
    public async Task AddListingsAsync(IReadOnlyList<string> listingIds, IReadOnlyList<ListingStatusReport>? statuses = null)
    {
        await EnsureRoleAsync(TraderRoles.Seller);
        var changed = state.State.AddListings(listingIds);
        foreach (var report in statuses ?? [])
        {
            changed |= state.State.RecordListingStatus(report.ListingId, report.Status, report.Version);
        }

        if (changed)
        {
            await state.WriteOrReloadAsync();
        }
    }

    /// <inheritdoc />
    public async Task ListingStatusesChangedAsync(IReadOnlyList<ListingStatusReport> reports)
    {
        var changed = false;
        foreach (var report in reports)
        {
            changed |= state.State.Exists && state.State.RecordListingStatus(report.ListingId, report.Status, report.Version);
        }

        if (changed)
        {
            await state.WriteOrReloadAsync();
        }
    }

    /// <inheritdoc />
    public async Task AddDemandAsync(string demandId)
    {
        await EnsureRoleAsync(TraderRoles.Buyer);
        state.State.AddDemand(demandId);
        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public async Task<Trader> LinkStripeAccountAsync(string accountId)
    {
        EnsureExists();
        if (state.State.LinkStripeAccount(accountId, time.GetUtcNow()))
        {
            await state.WriteOrReloadAsync();
        }

        return state.State;
    }

    /// <inheritdoc />
    public async Task<bool> UpdateStripeAccountAsync(StripeAccountLink account)
    {
        EnsureExists();
        if (!state.State.UpdateStripeAccount(account))
        {
            return false;
        }

        await state.WriteOrReloadAsync();
        return true;
    }

    /// <inheritdoc />
    public async Task<Trader> VerifyAsync(string adminId)
    {
        EnsureExists();
        if (state.State.Verify(adminId, time.GetUtcNow()))
        {
            await state.WriteOrReloadAsync();
        }

        return state.State;
    }

    /// <inheritdoc />
    public async Task<Trader> UnverifyAsync()
    {
        EnsureExists();
        if (state.State.Unverify())
        {
            await state.WriteOrReloadAsync();
        }

        return state.State;
    }

    /// <inheritdoc />
    public async Task NotifyAsync(TraderNotice notice)
    {
        EnsureExists();
        if (state.State.Notify(notice))
        {
            await state.WriteOrReloadAsync();
        }
    }

    /// <inheritdoc />
    public Task EnsureRoleAsync(TraderRoles role)
    {
        EnsureExists();
        if (!state.State.Has(role))
        {
            throw DomainException.Forbidden("role-required", $"The firm needs the {role.ToString().ToLowerInvariant()} role for this; add it to the firm's roles.");
        }

        return Task.CompletedTask;
    }

    private async Task<bool> StoredAfterAllAsync()
    {
        try
        {
            await state.ReadStateAsync();
            return state.State.Exists;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private void EnsureExists()
    {
        if (!state.State.Exists)
        {
            throw DomainException.NotFound("trader", Id);
        }
    }
}

/// <summary>Binds a business id to the first firm that registers it.</summary>
public sealed class BusinessIdGrain(
    [PersistentState("business-id", StorageOptions.StoreName)] IPersistentState<BusinessIdClaim> state) : Grain, IBusinessIdGrain
{
    /// <inheritdoc />
    public async Task<string> ClaimAsync(string traderId)
    {
        if (state.State.TraderId is null)
        {
            state.State.TraderId = traderId;
            await state.WriteStateAsync();
        }

        return state.State.TraderId;
    }

    /// <inheritdoc />
    public Task<string?> OwnerAsync() => Task.FromResult(state.State.TraderId);

    /// <inheritdoc />
    public async Task ReleaseAsync(string traderId)
    {
        if (state.State.TraderId == traderId)
        {
            await state.ClearStateAsync();
            state.State = new BusinessIdClaim();
        }
    }
}

/// <summary>Stored state of <see cref="BusinessIdGrain"/>.</summary>
public sealed class BusinessIdClaim
{
    /// <summary>The firm the id belongs to.</summary>
    public string? TraderId { get; set; }
}
