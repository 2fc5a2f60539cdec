using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Common;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Telemetry;
using Marketplace.Grains.Traders;
using Marketplace.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Listings;

/// <summary>
/// Loads a lot, lets the domain change it, persists before answering, and keeps one reminder set for the lot's next
/// deadline so that holds lapse and the lot expires without any request touching it.
/// </summary>
public sealed class ListingGrain(
    [PersistentState("listing", StorageOptions.StoreName)] IPersistentState<Listing> state,
    MaterialTaxonomy taxonomy,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ListingOptions> options,
    IOptions<ServiceAreaOptions> serviceArea,
    IListingChangeSink changes,
    IOptions<WebhookOptions> webhooks,
    WebhookInterest interest,
    MarketplaceMetrics metrics,
    ILogger<ListingGrain> logger) : Grain, IListingGrain, IWebhookOutboxGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";

    /// <summary>The due time of the registered reminder, when this activation knows it.</summary>
    private DateTimeOffset? _reminderDue;

    /// <summary>True when this activation knows no reminder is registered.</summary>
    private bool _noReminder;

    /// <summary>The matching partition that holds this lot, when one does.</summary>
    private string? _partition;

    /// <summary>The status the seller's index of lots by status was last told of by this activation.</summary>
    private ListingStatus? _indexedStatus;

    /// <summary>The lot as last stored, to tell which webhook events the next write makes.</summary>
    private ListingMark _mark = ListingMark.None;

    /// <summary>
    /// The details and listing time last handed to the change sink, and the version since which the lot has had them
    /// (a hold or its release keeps both: the search index then updates the quantity without analysing the text again).
    /// Compared by reference: the details are an immutable record, replaced whenever a seller changes one.
    /// </summary>
    private (ListingDetails? Details, DateTimeOffset ListedAt, long Since) _described;

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

    /// <summary>True during an import's write: the importer reports statuses to the seller's index in batches.</summary>
    private bool _importing;

    private string Id => this.GetPrimaryKeyString();

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken) => SettleLoadedAsync();

    /// <summary>
    /// An activation that found no lot reads storage again before it answers: a bulk import creates lots in storage
    /// without their grains (<c>LotImporter</c>), so a grain activated for the id before that (a read of a lot not yet
    /// imported) would otherwise answer "not found", or create over it, for as long as it stays active.
    /// </summary>
    private async Task EnsureLoadedAsync()
    {
        if (state.State.Exists)
        {
            return;
        }

        await state.ReadStateAsync();
        if (state.State.Exists)
        {
            await SettleLoadedAsync();
        }
    }

    /// <summary>Takes the state as loaded: where it matches, what was last stored, what time alone has changed, what its outbox still holds.</summary>
    private async Task SettleLoadedAsync()
    {
        _partition = state.State.Exists && state.State.ToMatchSummary() is { } lot ? MatchPartitions.ForLot(lot) : null;
        _mark = ListingMark.Of(state.State);
        _described = (state.State.Details, ListedAt(state.State), state.State.Version);
        if (state.State.Exists && state.State.ExpireIfDue(Now).Count > 0)
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

    /// <inheritdoc />
    public async Task<Listing> CreateAsync(string sellerId, ListingDetails details)
    {
        await EnsureLoadedAsync();
        var listing = Listing.Create(Id, sellerId, details, taxonomy, Now, serviceArea.Value.Area);
        if (state.State.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a creation whose answer was lost finds it.
            return state.State.IsSameCreation(listing)
                ? state.State
                : throw DomainException.Conflict("listing-exists", $"Listing '{Id}' already exists.");
        }

        // The firm records the new draft's status with the lot, so the write's status report is not needed.
        await GrainFactory.GetGrain<ITraderGrain>(sellerId).AddListingAsync(Id, new ListingStatusReport(Id, Listing.StatusCode(listing.Status), listing.Version));
        _indexedStatus = listing.Status;
        // A lot never stored has no reminder (one is registered only after a stored write, and a lot's state is never
        // cleared): the new draft, which has no deadline, need not look one up to unregister it (a call to the reminder
        // service and a read of its table per new lot).
        _noReminder = true;
        var empty = state.State;
        state.State = listing;
        AfterWrite plan;
        try
        {
            plan = Plan();
        }
        catch
        {
            state.State = empty;
            throw;
        }

        return await SaveAsync(plan);
    }

    /// <inheritdoc />
    public async Task<Listing?> GetAsync()
    {
        await EnsureLoadedAsync();
        return state.State.Exists ? state.State : null;
    }

    /// <inheritdoc />
    public async Task<LotStanding> StandingAsync()
    {
        await EnsureLoadedAsync();
        return state.State.Exists ? new LotStanding(true, state.State.Version, state.State.ToMatchSummary()) : new LotStanding(false, 0, null);
    }

    /// <inheritdoc />
    public Task<Listing> UpdateAsync(string actorId, ListingChanges changes)
        => ChangeAsync(l =>
        {
            l.EnsureSeller(actorId);
            l.Update(changes, taxonomy, Now, serviceArea.Value.Area);
        });

    /// <inheritdoc />
    public Task<Listing> PublishAsync(string actorId)
        => ChangeAsync(l =>
        {
            l.EnsureSeller(actorId);
            l.Publish(Now);
        });

    /// <inheritdoc />
    public Task<Listing> WithdrawAsync(string actorId)
        => ChangeAsync(l =>
        {
            l.EnsureSeller(actorId);
            l.Withdraw(Now);
        });

    /// <inheritdoc />
    public async Task<HoldReceipt> PlaceHoldAsync(string buyerId, string holdId, decimal quantity, DateTimeOffset until, string? matchId = null)
    {
        Hold? hold = null;
        Listing listing;
        var indexed = false;
        try
        {
            listing = await ChangeAsync(
                l => hold = l.PlaceHold(holdId, buyerId, quantity, until, Now, options.Value.BuyerLimits, matchId),
                async () => indexed = await IndexHoldAsync(buyerId, hold!));
        }
        catch (DomainException e)
        {
            metrics.HoldRefused(e.Code);
            throw;
        }

        metrics.HoldPlaced();
        if (!indexed)
        {
            // A retry of a hold already placed (nothing written), or an index that did not answer before the write.
            await IndexHoldAsync(buyerId, hold!);
        }

        return HoldReceipt.For(listing, hold!);
    }

    /// <summary>
    /// Tells the buyer's index of its holds, before the hold is stored on the lot: a host that dies between the two
    /// writes leaves an entry whose hold is not on its lot (the list and the open-hold count skip it when they read the
    /// lot), never a stored hold missing from the buyer's list. A failed report does not refuse the hold: it is told again
    /// after the write, and the lot, the record of the hold, shows it on its page either way. True when recorded.
    /// </summary>
    private async Task<bool> IndexHoldAsync(string buyerId, Hold hold)
    {
        try
        {
            await GrainFactory.GetGrain<IBuyerHoldsGrain>(buyerId).RecordAsync(new BuyerHoldEntry(Id, hold.Id, hold.PlacedAt, hold.ExpiresAt));
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Listing {ListingId}: the buyer's index of holds did not hear of hold {HoldId}; it is missing from the buyer's list of holds", Id, hold.Id);
            return false;
        }
    }

    /// <inheritdoc />
    public async Task<HoldReceipt> ReleaseHoldAsync(string actorId, string holdId, string? matchId = null, string? orderId = null)
    {
        Hold? hold = null;
        var listing = await ChangeAsync(l => hold = l.ReleaseHold(holdId, actorId, Now, matchId, orderId));
        return HoldReceipt.For(listing, hold!);
    }

    /// <inheritdoc />
    public async Task<HoldReceipt> ConfirmHoldAsync(string actorId, string holdId, string? matchId = null, string? orderId = null)
    {
        Hold? hold = null;
        var listing = await ChangeAsync(l => hold = l.ConfirmHold(holdId, actorId, Now, matchId, orderId));
        return HoldReceipt.For(listing, hold!);
    }

    /// <inheritdoc />
    public async Task<HoldReceipt> AttachOrderAsync(string buyerId, string holdId, string orderId, DateTimeOffset until, string? matchId = null)
    {
        Hold? hold = null;
        // The order may extend the hold's end: the buyer's index hears of the new end before it is stored, so the firm's
        // count of open holds does not let it lapse early.
        var listing = await ChangeAsync(l => hold = l.AttachOrder(holdId, buyerId, orderId, until, Now, matchId), async () => await IndexHoldAsync(buyerId, hold!));
        return HoldReceipt.For(listing, hold!);
    }

    /// <inheritdoc />
    public async Task<ImportedLot> ImportAsync(string sellerId, string? externalId, ListingDetails details, bool publish)
    {
        _importing = true;
        try
        {
            await EnsureLoadedAsync();
            if (!state.State.Exists)
            {
                if (externalId is null)
                {
                    throw DomainException.NotFound("listing", Id);
                }

                var listing = Listing.Create(Id, sellerId, details, taxonomy, Now, serviceArea.Value.Area, externalId);
                if (publish)
                {
                    listing.Publish(Now);
                }

                var empty = state.State;
                state.State = listing;
                AfterWrite plan;
                try
                {
                    plan = Plan();
                }
                catch
                {
                    state.State = empty;
                    throw;
                }

                var created = await SaveAsync(plan);
                return new ImportedLot(ImportOutcome.Created, Listing.StatusCode(created.Status), created.Version);
            }

            state.State.EnsureSeller(sellerId);
            // An existing lot keeps its status: publishing is for the lots an import creates (a draft imported back from its
            // export stays a draft).
            var normalised = Listing.Validate(details, taxonomy, Now, serviceArea.Value.Area);
            if (state.State.IsUnchangedByImport(normalised, Now))
            {
                return new ImportedLot(ImportOutcome.Unchanged, Listing.StatusCode(state.State.Status), state.State.Version);
            }

            var before = state.State.Version;
            var updated = await ChangeAsync(l =>
            {
                if (!l.HasDetails(normalised))
                {
                    l.Replace(details, taxonomy, Now, serviceArea.Value.Area, externalId);
                }
            });
            return new ImportedLot(updated.Version == before ? ImportOutcome.Unchanged : ImportOutcome.Updated, Listing.StatusCode(updated.Status), updated.Version);
        }
        finally
        {
            _importing = false;
        }
    }

    /// <inheritdoc />
    public async Task<Listing> HideAsync(string adminId, string? reason)
    {
        var wasHidden = state.State.Hidden is not null;
        var listing = await ChangeAsync(l => l.Hide(reason, adminId, Now));
        if (!wasHidden)
        {
            await TellSellerAsync(listing, "listing-hidden", listing.Hidden!.Reason, listing.Hidden.At);
        }

        return listing;
    }

    /// <inheritdoc />
    public async Task<Listing> UnhideAsync(string adminId)
    {
        var restored = false;
        var listing = await ChangeAsync(l => restored = l.Unhide(Now));
        if (restored)
        {
            await TellSellerAsync(listing, "listing-restored", null, listing.UpdatedAt);
        }

        return listing;
    }

    /// <inheritdoc />
    public Task<Listing> AddPhotoAsync(string actorId, string reference, int maxUploaded = Listing.MaxPhotos)
        => ChangeAsync(l =>
        {
            l.EnsureSeller(actorId);
            l.AddPhoto(reference, Now, maxUploaded);
        });

    /// <inheritdoc />
    public Task<Listing> RemovePhotoAsync(string actorId, string reference)
        => ChangeAsync(l =>
        {
            l.EnsureSeller(actorId);
            l.RemovePhoto(reference, Now);
        });

    /// <summary>
    /// Tells the seller what an admin did to its lot. The lot is stored first: a failure here is logged, not answered,
    /// since the decision stands either way and the seller still sees the reason on the lot itself.
    /// </summary>
    private async Task TellSellerAsync(Listing listing, string kind, string? reason, DateTimeOffset at)
    {
        try
        {
            await GrainFactory.GetGrain<ITraderGrain>(listing.SellerId).NotifyAsync(new TraderNotice($"{kind}:{Id}:{listing.Version}", kind, Id, reason, at));
        }
        catch (Exception e) when (e is not DomainException)
        {
            logger.LogWarning(e, "Listing {ListingId}: the seller {SellerId} was not told of {Kind}", Id, listing.SellerId, kind);
        }
    }

    /// <inheritdoc />
    public Task<Listing> ReturnSoldAsync(string orderId, decimal quantity) => ChangeAsync(l => l.ReturnSold(orderId, quantity, Now));

    /// <inheritdoc />
    public async Task<bool> DetachOrderAsync(string orderId)
    {
        var detached = false;
        await ChangeAsync(l => detached = l.DetachOrder(orderId, Now));
        if (detached)
        {
            logger.LogWarning("Lot {ListingId}: the hold of order {OrderId}, which was never stored, is the buyer's own again", Id, orderId);
        }

        return detached;
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var plan = await SettleAsync();
        _reminderDue = Now;
        await ScheduleAsync(plan.Deadline);
    }

    /// <inheritdoc />
    public async Task SettleDeadlineAsync()
    {
        await EnsureLoadedAsync();
        var plan = await SettleAsync();
        await ScheduleAsync(plan.Deadline);
    }

    /// <summary>Stores what time alone has changed (lapsed holds, the end of the window); answers what follows.</summary>
    private async Task<AfterWrite> SettleAsync()
    {
        var lapsed = state.State.ExpireIfDue(Now);
        var plan = Plan();
        if (lapsed.Count > 0 || (state.State.Exists && state.State.Version != _mark.Version))
        {
            logger.LogInformation("Listing {ListingId}: {Count} hold(s) lapsed, status {Status}", Id, lapsed.Count, state.State.Status);
            await JoinAsync(plan);
            await WriteAsync();
            Stored(plan);
        }

        return plan;
    }

    /// <summary>
    /// Applies a change and stores it. <paramref name="beforeWrite"/>, when given, runs once the change is applied and
    /// before it is stored, only when the change changed the lot (a retry that finds its change made writes nothing).
    /// </summary>
    private async Task<Listing> ChangeAsync(Action<Listing> change, Func<Task>? beforeWrite = null)
    {
        await EnsureLoadedAsync();
        if (!state.State.Exists)
        {
            throw DomainException.NotFound("listing", Id);
        }

        // Settle what time alone has changed first, so the operation sees the lot as it is now.
        var lapsed = state.State.ExpireIfDue(Now).Count > 0;
        var before = state.State.Version;
        AfterWrite plan;
        try
        {
            change(state.State);
            plan = Plan();
        }
        catch (DomainException) when (state.State.Version == before)
        {
            if (lapsed)
            {
                await SaveAsync(Plan());
            }

            throw;
        }
        catch
        {
            // A refusal (or a failure computing what follows the write) after a partial change: forget the change
            // rather than keep unsaved state in memory.
            await state.ReadStateAsync();
            throw;
        }

        if (beforeWrite is not null && state.State.Version != before)
        {
            await beforeWrite();
        }

        return await SaveAsync(plan);
    }

    /// <summary>
    /// Writes the state, then does what follows from it. Everything that can fail was computed before the write (in
    /// <paramref name="plan"/>): once the change is stored, the caller hears of success whatever happens next, and a
    /// failure of a follower (a projection, the reminder service) is logged instead; the next change or tick repairs it.
    /// </summary>
    private async Task<Listing> SaveAsync(AfterWrite plan)
    {
        await JoinAsync(plan);
        await WriteAsync();

        try
        {
            Stored(plan);
            await ScheduleAsync(plan.Deadline);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Listing {ListingId} version {Version} is stored, but telling its followers failed", Id, state.State.Version);
        }

        return state.State;
    }

    /// <summary>
    /// Writes the state with the webhook events of the change in its outbox (one storage write: the events are stored
    /// exactly when the change is). On a failure storage's copy is reloaded, events and all.
    /// </summary>
    private async Task WriteAsync()
    {
        try
        {
            var events = WebhookEvents.ForListing(_mark, state.State, Now, await interest.CurrentAsync());
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
            _mark = ListingMark.Of(state.State);
        }
    }

    /// <summary>What follows a write of the current state, computed before it: the match summary, its partition, the next deadline.</summary>
    private AfterWrite Plan()
    {
        var lot = state.State.ToMatchSummary();
        return new AfterWrite(lot, lot is null ? null : MatchPartitions.ForLot(lot), state.State.NextDeadline());
    }

    /// <summary>
    /// Before a write that brings the lot into a partition it was not in, the partition records it as joining (stored
    /// before this answers), so the partition's membership has the lot even if the one-way change after the write is lost.
    /// </summary>
    private Task JoinAsync(AfterWrite plan)
        => plan.Partition is { } partition && partition != _partition
            ? GrainFactory.GetGrain<IMatchPartitionGrain>(partition).LotJoiningAsync(Id)
            : Task.CompletedTask;

    /// <summary>
    /// The lot is stored, so projections hear of it before the caller does (the search index never misses an
    /// acknowledged change), and its matching partition gets the new summary (one-way: matching never slows a write).
    /// </summary>
    private void Stored(AfterWrite plan)
    {
        var stored = state.State;
        if (!ReferenceEquals(stored.Details, _described.Details) || ListedAt(stored) != _described.ListedAt)
        {
            _described = (stored.Details, ListedAt(stored), stored.Version);
        }

        changes.Stored(stored, _described.Since);
        HandOver();
        var (lot, partition, _) = plan;
        if (_partition is not null && _partition != partition)
        {
            _ = GrainFactory.GetGrain<IMatchPartitionGrain>(_partition).LotChangedAsync(Id, state.State.Version, null);
        }

        if (partition is not null)
        {
            _ = GrainFactory.GetGrain<IMatchPartitionGrain>(partition).LotChangedAsync(Id, state.State.Version, lot);
        }

        _partition = partition;
        IndexStatus();
    }

    /// <summary>
    /// Tells the seller's index of lots by status when the status changed (one-way, like matching: the index never
    /// slows a write). A failed report is sent again with the next stored change; reports carry the version, so the
    /// index keeps the newest whatever order they arrive in.
    /// </summary>
    private void IndexStatus()
    {
        var lot = state.State;
        if (_importing)
        {
            // The importer reports this status in its batch; the next change reports again whatever happened to that batch.
            _indexedStatus = null;
            return;
        }

        if (lot.Status == _indexedStatus)
        {
            return;
        }

        _indexedStatus = lot.Status;
        var status = Listing.StatusCode(lot.Status);
        _ = GrainFactory.GetGrain<ITraderGrain>(lot.SellerId).ListingStatusChangedAsync(Id, status, lot.Version)
            .ContinueWith(
                t =>
                {
                    logger.LogWarning(t.Exception, "Listing {ListingId}: the seller's index did not hear of status {Status}; it is told again with the next change", Id, status);
                    _indexedStatus = null;
                },
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Current);
    }

    private static DateTimeOffset ListedAt(Listing lot) => lot.PublishedAt ?? lot.CreatedAt;

    private async Task ScheduleAsync(DateTimeOffset? deadline)
    {
        if (deadline is null)
        {
            if (!_noReminder)
            {
                await UnregisterAsync();
            }

            return;
        }

        // A registered reminder keeps ticking every sweep period after its due time. Keep it when it will tick
        // before the deadline anyway (the tick reschedules), or when the deadline is within one period.
        if (_reminderDue is { } due && due <= deadline.Value && (due > Now || deadline.Value - Now <= options.Value.SweepPeriod))
        {
            return;
        }

        var dueTime = deadline.Value - Now;
        if (dueTime < TimeSpan.Zero)
        {
            dueTime = TimeSpan.Zero;
        }

        await this.RegisterOrUpdateReminder(DeadlineReminder, dueTime, options.Value.SweepPeriod);
        _reminderDue = deadline;
        _noReminder = false;
    }

    private async Task UnregisterAsync()
    {
        var reminder = await this.GetReminder(DeadlineReminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }

        _reminderDue = null;
        _noReminder = true;
    }

    /// <summary>What follows a write, computed before it.</summary>
    private sealed record AfterWrite(LotSummary? Lot, string? Partition, DateTimeOffset? Deadline);
}
