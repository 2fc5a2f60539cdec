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

        var wait = await GrainFactory.GetGrain<IWebhookFirmGrain>(input.FirmId).AddAsync(Entry(created), options.Value.MaxSubscriptionsPerFirm);
        var widened = Stopwatch.GetTimestamp();
        state.State = created;
        await state.WriteOrReloadAsync();
        await WaitOutLeasesAsync(wait, widened);
        return Subscription;
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
        await _store.ClearAsync(queueIndex);
        await state.ClearStateAsync();
        state.State = new WebhookSubscription();
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
    public async Task EnqueueAsync(OutboxEvent[] events)
    {
        EnsureExists();
        if (Subscription.Enqueue(events.Select(e => (e, WebhookEnvelope.Body(e))), Now, options.Value.RetryFor) == 0)
        {
            return;
        }

        await SaveAsync();
        await StartDeliveringAsync();
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
        try
        {
            await _store.StoreAsync(queueIndex, Subscription);
            if (record || Subscription.HasInlineQueue || Subscription.LogChanges != _logStored)
            {
                await state.WriteStateAsync();
                _logStored = Subscription.LogChanges;
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
