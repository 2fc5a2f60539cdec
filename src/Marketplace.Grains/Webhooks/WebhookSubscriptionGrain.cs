using System.Diagnostics;
using System.Security.Cryptography;
using Marketplace.Domain.Common;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Marketplace.Grains.Webhooks;

/// <summary>
/// One subscription: stores the events handed to it before answering, then delivers them off its turn. Its record holds
/// the settings and the log; the queue and the marks that drop duplicates are stored apart, in pages and buckets written
/// only when they change (<see cref="WebhookQueueStore"/>). While anything
/// is queued a timer (every <see cref="WebhookOptions.PollInterval"/>) sends what is due, per subject only the oldest
/// version, and a reminder brings the grain back after a crash or failover; HTTP runs on the thread pool and its
/// outcomes come back as a <see cref="IWebhookSubscriptionGrain.ReportAsync"/> call, so a slow receiver never blocks
/// the grain (or the firms publishing to it).
/// </summary>
public sealed class WebhookSubscriptionGrain(
    [PersistentState("webhook", StorageOptions.StoreName)] IPersistentState<WebhookSubscription> state,
    [PersistentState(WebhookQueueIndex.StateName, StorageOptions.StoreName)] IPersistentState<WebhookQueueIndex> queueIndex,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<WebhookOptions> options,
    WebhookSender sender,
    MarketplaceMetrics metrics,
    ILogger<WebhookSubscriptionGrain> logger) : Grain, IWebhookSubscriptionGrain, IRemindable
{
    private const string DeliverReminder = "deliver";

    /// <summary>Event ids being attempted by this activation.</summary>
    private readonly HashSet<string> _inFlight = [];

    private IGrainTimer? _timer;

    private WebhookQueueStore _store = null!;

    /// <summary>The log's <see cref="WebhookSubscription.LogChanges"/> when the record was last stored.</summary>
    private long _logStored;

    /// <summary>Held while the subscription's records are written or cleared: enqueues interleave, so writes take turns here.</summary>
    private readonly SemaphoreSlim _saving = new(1, 1);

    /// <summary>
    /// Counts the times memory was read back from storage (after a failed write) or emptied (a deletion): an enqueue
    /// whose events went into memory before that cannot count them stored.
    /// </summary>
    private long _generation;

    /// <summary>The write the enqueues since the last write began wait for; null when none waits.</summary>
    private TaskCompletionSource? _nextFlush;

    /// <summary>A creation under way: an event handed over meanwhile (its firm's registry names the subscription already) waits for it.</summary>
    private Task? _creating;

    private bool _reminder;

    private string Id => this.GetPrimaryKeyString();

    private DateTimeOffset Now => time.GetUtcNow();

    private WebhookSubscription Subscription => state.State;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new WebhookQueueStore(storage, this.GetGrainId().Type, Id, logger);
        await _store.LoadAsync(queueIndex.State, Subscription);
        _logStored = Subscription.LogChanges;
        if (Subscription.HasInlineQueue)
        {
            // Stored before the queue had records of its own: moved into them now.
            await SaveAsync(record: true);
        }

        if (Subscription.Queue.Count > 0)
        {
            StartTimer();
        }
    }

    /// <inheritdoc />
    public async Task<WebhookSubscription> CreateAsync(WebhookSubscriptionInput input)
    {
        var created = WebhookSubscription.Create(Id, input.FirmId, input.ClientId, input.Url, input.EventTypes, input.Description, NewSecret(),
            options.Value.AllowDevelopmentTargets, Now);
        if (Subscription.Exists)
        {
            // The id derives from the caller's Idempotency-Key: a retry of a creation whose answer was lost finds it.
            return Subscription.IsSameCreation(created)
                ? Subscription
                : throw DomainException.Conflict("webhook-exists", $"Webhook subscription '{Id}' already exists.");
        }

        var creating = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _creating = creating.Task;
        try
        {
            var wait = await GrainFactory.GetGrain<IWebhookFirmGrain>(input.FirmId).AddAsync(Entry(created), options.Value.MaxSubscriptionsPerFirm);
            var widened = Stopwatch.GetTimestamp();
            state.State = created;
            await SaveAsync(record: true);
            creating.SetResult();
            await WaitOutLeasesAsync(wait, widened);
            return Subscription;
        }
        finally
        {
            creating.TrySetResult();
            _creating = null;
        }
    }

    /// <summary>
    /// Answers only once the webhook directory's leases lent before this subscription widened it have run out
    /// (<see cref="IWebhookDirectoryGrain.WidenAsync"/>): from then on every silo's list (<see cref="WebhookInterest"/>) names the firm.
    /// Measured on the monotonic clock and never short (a timer may fire a little early).
    /// </summary>
    private static async Task WaitOutLeasesAsync(TimeSpan wait, long since)
    {
        while (wait - Stopwatch.GetElapsedTime(since) is var left && left > TimeSpan.Zero)
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(1));
        }
    }

    /// <inheritdoc />
    public Task<WebhookSubscription?> GetAsync() => Task.FromResult(Subscription.Exists ? Subscription : null);

    /// <inheritdoc />
    public Task<WebhookDeliveriesPage> DeliveriesAsync(int start, int size)
    {
        EnsureExists();
        return Task.FromResult(new WebhookDeliveriesPage(Subscription.Pending(start, size).ToArray(), Subscription.Queue.Count, Subscription.Log.ToArray()));
    }

    /// <inheritdoc />
    public async Task<WebhookSubscription> UpdateAsync(string? url, IReadOnlyList<string>? eventTypes, string? description)
    {
        EnsureExists();
        Subscription.Update(url, eventTypes, description, options.Value.AllowDevelopmentTargets, Now);
        await SaveAsync(record: true);
        var wait = await GrainFactory.GetGrain<IWebhookFirmGrain>(Subscription.FirmId).UpdateAsync(Entry(Subscription));
        await WaitOutLeasesAsync(wait, Stopwatch.GetTimestamp());
        return Subscription;
    }

    /// <inheritdoc />
    public async Task DeleteAsync()
    {
        EnsureExists();
        await GrainFactory.GetGrain<IWebhookFirmGrain>(Subscription.FirmId).RemoveAsync(Id);
        await _saving.WaitAsync();
        try
        {
            _generation++;
            await _store.ClearAsync(queueIndex);
            await state.ClearStateAsync();
            state.State = new WebhookSubscription();
        }
        finally
        {
            _saving.Release();
        }

        await StopAsync();
    }

    /// <inheritdoc />
    public async Task<WebhookSubscription> RotateSecretAsync()
    {
        EnsureExists();
        Subscription.RotateSecret(NewSecret(), options.Value.SecretOverlap, Now);
        await SaveAsync(record: true);
        return Subscription;
    }

    /// <inheritdoc />
    public async Task<string> PingAsync()
    {
        EnsureExists();
        var eventId = "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Subscription.EnqueuePing(eventId, WebhookEnvelope.Ping(eventId, Id, Now), Now);
        await SaveAsync();
        await StartDeliveringAsync();
        return eventId;
    }

    /// <inheritdoc />
    public async Task<WebhookDelivery> RedeliverAsync(string eventId)
    {
        EnsureExists();
        var delivery = Subscription.Redeliver(eventId, Now);
        await SaveAsync();
        await StartDeliveringAsync();
        return delivery;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Interleaves (<see cref="IWebhookSubscriptionGrain.EnqueueAsync"/>): the events go into memory at once, and the
    /// callers that came while a write was running share the next one (group commit), so a burst of a firm's changes
    /// costs a write per turn of the storage, not per change. Answered once a write that began after the events went
    /// into memory has succeeded, and refused (as a grain failure the emitter retries) if memory was read back or emptied
    /// before that.
    /// </remarks>
    public async Task EnqueueAsync(OutboxEvent[] events)
    {
        if (_creating is { } creating)
        {
            await creating;
        }

        EnsureExists();
        var generation = _generation;
        Subscription.Enqueue(events, WebhookEnvelope.Body, Now, options.Value.RetryFor);
        await FlushEnqueuedAsync();
        if (generation != _generation)
        {
            EnsureExists();
            throw new OrleansException($"Webhook subscription {Id} was read back from storage before these events were stored; hand them over again.");
        }

        if (Subscription.Queue.Count > 0)
        {
            await StartDeliveringAsync();
        }
    }

    /// <summary>The write the caller's changes in memory are stored by: the next one to begin, shared with every caller until it begins.</summary>
    private Task FlushEnqueuedAsync()
    {
        if (_nextFlush is { } waiting)
        {
            return waiting.Task;
        }

        var flush = _nextFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = RunFlushAsync();
        return flush.Task;
    }

    private async Task RunFlushAsync()
    {
        await _saving.WaitAsync();
        var flush = _nextFlush!;
        _nextFlush = null;
        try
        {
            await SaveHeldAsync(record: false);
            flush.SetResult();
        }
        catch (Exception e)
        {
            flush.SetException(e);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <inheritdoc />
    public async Task ReportAsync(WebhookAttempt[] attempts)
    {
        foreach (var attempt in attempts)
        {
            _inFlight.Remove(attempt.EventId);
            if (Subscription.Exists)
            {
                if (Subscription.RecordAttempt(attempt.EventId, attempt.StatusCode, attempt.Error, options.Value.RetryPolicy, Random.Shared.NextDouble(), Now) is { } delivery)
                {
                    metrics.WebhookDelivered(delivery.Status switch { WebhookDeliveryStatus.Delivered => "delivered", WebhookDeliveryStatus.Dead => "gave-up", _ => "failed" }, delivery.Type);
                }
            }
        }

        if (Subscription.Exists)
        {
            // A failed write reloads the queue as stored: those attempts count as not made, and are made again.
            await SaveAsync();
            if (attempts.Any(a => a.StatusCode is >= 200 and < 300))
            {
                // A receiver that answers: the next versions go now, not at the next tick (one a subject per tick fell
                // behind a lot changed more than once a second).
                await TickAsync(CancellationToken.None);
            }
        }
    }

    /// <inheritdoc />
    public async Task WakeAsync()
    {
        if (Subscription.Queue.Count > 0)
        {
            await StartDeliveringAsync();
        }
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _reminder = true;
        if (Subscription.Queue.Count == 0)
        {
            await StopAsync();
            return;
        }

        StartTimer();
    }

    private async Task StartDeliveringAsync()
    {
        StartTimer();
        if (!_reminder)
        {
            try
            {
                // Brings the grain back to deliver after a crash or a failover, whichever silo holds it then.
                var period = TimeSpan.FromMinutes(1);
                await this.RegisterOrUpdateReminder(DeliverReminder, period, period);
                _reminder = true;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Webhook subscription {SubscriptionId}: registering its reminder failed; the timer delivers meanwhile", Id);
            }
        }
    }

    private void StartTimer()
        => _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(TimeSpan.Zero, options.Value.PollInterval) { Interleave = false, KeepAlive = true });

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!Subscription.Exists || Subscription.Queue.Count == 0)
        {
            if (_inFlight.Count == 0)
            {
                await StopAsync();
            }

            return;
        }

        var room = options.Value.MaxConcurrentDeliveries - _inFlight.Count;
        if (room <= 0)
        {
            return;
        }

        var due = Subscription.Due(Now, _inFlight, room);
        if (due.Count == 0)
        {
            return;
        }

        var url = Subscription.Url;
        var secrets = Subscription.SecretsAt(Now);
        var sends = due.Select(d => (d.EventId, d.Type, d.Body)).ToArray();
        foreach (var (eventId, _, _) in sends)
        {
            _inFlight.Add(eventId);
        }

        var self = this.AsReference<IWebhookSubscriptionGrain>();
        var id = Id;
        _ = Task.Run(async () =>
        {
            var attempts = await Task.WhenAll(sends.Select(s => sender.SendAsync(url, s.EventId, s.Type, s.Body, secrets)));
            try
            {
                await self.ReportAsync(attempts);
            }
            catch (Exception e)
            {
                // Not recorded: the deliveries stay queued and are attempted again (receivers deduplicate by event id).
                logger.LogWarning(e, "Webhook subscription {SubscriptionId}: recording {Count} attempt(s) failed", id, attempts.Length);
            }
        }, CancellationToken.None);
    }

    private async Task StopAsync()
    {
        _timer?.Dispose();
        _timer = null;
        try
        {
            var reminder = await this.GetReminder(DeliverReminder);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminder = false;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Webhook subscription {SubscriptionId}: removing its reminder failed; it fires and finds nothing to do", Id);
        }
    }

    /// <summary>
    /// Stores what changed: the queue's touched pages and marks, then the record when <paramref name="record"/> (settings
    /// changed) or the log changed. When a write fails everything is read again from storage before the failure is
    /// thrown, so memory never keeps what storage does not.
    /// </summary>
    private async Task SaveAsync(bool record = false)
    {
        await _saving.WaitAsync();
        try
        {
            await SaveHeldAsync(record);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary><see cref="SaveAsync"/> for a caller holding <see cref="_saving"/>.</summary>
    private async Task SaveHeldAsync(bool record)
    {
        if (!Subscription.Exists)
        {
            // Deleted while the write waited its turn: nothing of it is stored any more.
            return;
        }

        try
        {
            await _store.StoreAsync(queueIndex, Subscription);
            if (record || Subscription.HasInlineQueue || Subscription.LogChanges != _logStored)
            {
                // Taken as the record is serialized (at once): an enqueue interleaving during the write may change the log
                // again, which the next write then stores.
                var logWritten = Subscription.LogChanges;
                await state.WriteStateAsync();
                _logStored = logWritten;
                Subscription.InlineQueueStored();
            }
        }
        catch
        {
            await ReloadAsync();
            throw;
        }
        finally
        {
            _inFlight.IntersectWith(Subscription.Queue.Select(d => d.EventId));
        }
    }

    private async Task ReloadAsync()
    {
        _generation++;
        try
        {
            await state.ReadStateAsync();
            await queueIndex.ReadStateAsync();
            await _store.LoadAsync(queueIndex.State, Subscription);
            _logStored = Subscription.LogChanges;
        }
        catch (Exception e)
        {
            // Memory may now differ from storage: this activation goes, the next reads storage afresh.
            logger.LogWarning(e, "Webhook subscription {SubscriptionId}: reading it back after a failed write failed; deactivating", Id);
            DeactivateOnIdle();
        }
    }

    private void EnsureExists()
    {
        if (!Subscription.Exists)
        {
            throw DomainException.NotFound("webhook", Id);
        }
    }

    private static WebhookSubscriptionEntry Entry(WebhookSubscription s) => new(s.Id, s.ClientId, s.EventTypes);

    /// <summary>A signing secret: 32 random bytes, base64url, prefixed so it is recognisable in configuration.</summary>
    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
