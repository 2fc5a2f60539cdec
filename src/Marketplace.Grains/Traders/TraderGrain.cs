using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Marketplace.Grains.Traders;

/// <summary>
/// Loads a firm, lets the domain change it and persists before answering. The firm's lots are stored in pages apart
/// from its own record (<see cref="TraderRecords"/>), so a change of its lots writes only the pages it touched.
/// </summary>
public sealed class TraderGrain(
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time) : Grain, ITraderGrain
{
    private TraderRecords _records = null!;

    private string Id => this.GetPrimaryKeyString();

    private Trader State => _records.State;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _records = new TraderRecords(storage, Id);
        await _records.ReadAsync();
    }

    /// <inheritdoc />
    public async Task<Trader> RegisterAsync(TraderProfile profile, string registeredBy)
    {
        var trader = Trader.Register(Id, profile, registeredBy, time.GetUtcNow());
        if (State.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a registration whose answer was lost finds it.
            return State.IsSameRegistration(trader)
                ? State
                : throw DomainException.Conflict("trader-exists", $"Trader '{Id}' already exists.");
        }

        // A retry under the same id finds the business id claimed by this firm already, and goes on.
        var owner = await GrainFactory.GetGrain<IBusinessIdGrain>(trader.Profile!.BusinessId).ClaimAsync(Id);
        if (owner != Id)
        {
            throw DomainException.Conflict("business-id-taken", $"A firm with business id {trader.Profile.BusinessId} is already registered.",
                new Dictionary<string, object?> { ["traderId"] = owner });
        }

        _records.Reset(trader);
        try
        {
            await _records.CreateAsync();
        }
        catch (Exception)
        {
            // A write that failed may still have landed (a timeout): look before giving the business id back.
            if (await StoredAfterAllAsync())
            {
                return State;
            }

            // The firm was not stored: give the business id back, or the company could never register.
            _records.Reset(new Trader());
            await GrainFactory.GetGrain<IBusinessIdGrain>(trader.Profile.BusinessId).ReleaseAsync(Id);
            throw;
        }

        return trader;
    }

    /// <inheritdoc />
    public Task<Trader?> GetAsync() => Task.FromResult(State.Exists ? State : null);

    /// <inheritdoc />
    public async Task<Trader> UpdateAsync(TraderChanges changes)
    {
        EnsureExists();
        State.Update(changes, time.GetUtcNow());
        await WriteRecordAsync();
        return State;
    }

    /// <inheritdoc />
    public async Task AddListingAsync(string listingId, ListingStatusReport? created = null)
    {
        await EnsureRoleAsync(TraderRoles.Seller);
        var before = State.ListingIds.Count;
        State.AddListing(listingId);
        var added = State.ListingIds.Count > before;
        if (added)
        {
            _records.LotsAdded(before);
        }

        var recorded = created is not null && State.RecordListingStatus(listingId, created.Status, created.Version);
        if (recorded)
        {
            _records.LotChanged(listingId);
        }

        if (added || recorded)
        {
            await _records.WriteAsync();
        }
    }

    /// <inheritdoc />
    public async Task ListingStatusChangedAsync(string listingId, string status, long version)
    {
        if (State.Exists && State.RecordListingStatus(listingId, status, version))
        {
            _records.LotChanged(listingId);
            await _records.WriteAsync();
        }
    }

    /// <inheritdoc />
    public async Task AddListingsAsync(IReadOnlyList<string> listingIds, IReadOnlyList<ListingStatusReport>? statuses = null)
    {
        await EnsureRoleAsync(TraderRoles.Seller);
        var before = State.ListingIds.Count;
        var changed = State.AddListings(listingIds);
        _records.LotsAdded(before);
        foreach (var report in statuses ?? [])
        {
            if (State.RecordListingStatus(report.ListingId, report.Status, report.Version))
            {
                changed = true;
                _records.LotChanged(report.ListingId);
            }
        }

        if (changed)
        {
            await _records.WriteAsync();
        }
    }

    /// <inheritdoc />
    public async Task ListingStatusesChangedAsync(IReadOnlyList<ListingStatusReport> reports)
    {
        var changed = false;
        foreach (var report in reports)
        {
            if (State.Exists && State.RecordListingStatus(report.ListingId, report.Status, report.Version))
            {
                changed = true;
                _records.LotChanged(report.ListingId);
            }
        }

        if (changed)
        {
            await _records.WriteAsync();
        }
    }

    /// <summary>Until when a reading that found the open-demand bound reached stands.</summary>
    private DateTimeOffset _demandsFullUntil;

    /// <summary>Room reserved by allowed checks for demands not recorded yet (a minute at most).</summary>
    private readonly RoomReservations _demandReservations = new(TimeSpan.FromMinutes(1));

    /// <inheritdoc />
    public Task<OpenBoundCheck> CheckOpenDemandsAsync(int max, DateTimeOffset now, string demandId)
    {
        // The record keeps the open ones (each demand tells of its closing); the list is made only at the bound.
        var open = State.Exists ? State.OpenDemandIds.Count : 0;
        if (State.Exists && State.DemandIds.Contains(demandId))
        {
            // Recorded already: a retry of a demand whose answer was lost, which the demand answers itself.
            return Task.FromResult(new OpenBoundCheck(true, open, []));
        }

        if (open + _demandReservations.OthersThan(demandId, now) < max)
        {
            _demandReservations.Reserve(demandId, now);
            return Task.FromResult(new OpenBoundCheck(true, open, []));
        }

        return Task.FromResult(new OpenBoundCheck(false, open, now < _demandsFullUntil ? [] : [.. State.OpenDemandIds]));
    }

    /// <inheritdoc />
    public Task ReleaseDemandReservationAsync(string demandId)
    {
        _demandReservations.Release(demandId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<bool> DemandsClosedAsync(IReadOnlyList<string> closedIds, int max, DateTimeOffset now, TimeSpan standFor, string demandId)
    {
        var changed = false;
        foreach (var id in closedIds)
        {
            changed |= State.Exists && State.SetDemandOpen(id, open: false);
        }

        if (changed)
        {
            await WriteRecordAsync();
        }

        var fits = State.OpenDemandIds.Count + _demandReservations.OthersThan(demandId, now) < max;
        _demandsFullUntil = fits ? default : now + standFor;
        if (fits)
        {
            _demandReservations.Reserve(demandId, now);
        }

        return fits;
    }

    /// <inheritdoc />
    public async Task DemandOpenChangedAsync(string demandId, bool open)
    {
        if (State.Exists && State.SetDemandOpen(demandId, open))
        {
            if (open)
            {
                _demandsFullUntil = default;
            }

            await WriteRecordAsync();
        }
    }

    /// <inheritdoc />
    public async Task AddDemandAsync(string demandId)
    {
        await EnsureRoleAsync(TraderRoles.Buyer);
        _demandReservations.Release(demandId);
        if (State.AddDemand(demandId))
        {
            // Its page, and the firm's record with its open demands.
            _records.DemandAdded();
            await WriteRecordAsync();
        }
    }

    /// <inheritdoc />
    public async Task<Trader> LinkStripeAccountAsync(string accountId)
    {
        EnsureExists();
        if (State.LinkStripeAccount(accountId, time.GetUtcNow()))
        {
            await WriteRecordAsync();
        }

        return State;
    }

    /// <inheritdoc />
    public async Task<bool> UpdateStripeAccountAsync(StripeAccountLink account)
    {
        EnsureExists();
        if (!State.UpdateStripeAccount(account))
        {
            return false;
        }

        await WriteRecordAsync();
        return true;
    }

    /// <inheritdoc />
    public async Task<Trader> VerifyAsync(string adminId)
    {
        EnsureExists();
        if (State.Verify(adminId, time.GetUtcNow()))
        {
            await WriteRecordAsync();
        }

        return State;
    }

    /// <inheritdoc />
    public async Task<Trader> UnverifyAsync()
    {
        EnsureExists();
        if (State.Unverify())
        {
            await WriteRecordAsync();
        }

        return State;
    }

    /// <inheritdoc />
    public async Task NotifyAsync(TraderNotice notice)
    {
        EnsureExists();
        if (State.Notify(notice))
        {
            await WriteRecordAsync();
        }
    }

    /// <inheritdoc />
    public Task EnsureRoleAsync(TraderRoles role)
    {
        EnsureExists();
        if (!State.Has(role))
        {
            throw DomainException.Forbidden("role-required", $"The firm needs the {role.ToString().ToLowerInvariant()} role for this; add it to the firm's roles.");
        }

        return Task.CompletedTask;
    }

    private async Task<bool> StoredAfterAllAsync()
    {
        try
        {
            await _records.ReadAsync();
            return State.Exists;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Writes the firm's own record (a change beside its lots).</summary>
    private Task WriteRecordAsync()
    {
        _records.RecordChanged();
        return _records.WriteAsync();
    }

    private void EnsureExists()
    {
        if (!State.Exists)
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
