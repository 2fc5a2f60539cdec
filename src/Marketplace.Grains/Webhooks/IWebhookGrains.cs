using Marketplace.Domain.Webhooks;
using Orleans.Concurrency;

namespace Marketplace.Grains.Webhooks;

/// <summary>A subscription as its firm's registry knows it: enough to route events without activating it.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookSubscriptionEntry([property: Id(0)] string Id, [property: Id(1)] string? ClientId, [property: Id(2)] IReadOnlyList<string> EventTypes);

/// <summary>What an API caller asks a subscription to be.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookSubscriptionInput(
    [property: Id(0)] string FirmId,
    [property: Id(1)] string? ClientId,
    [property: Id(2)] string? Url,
    [property: Id(3)] IReadOnlyList<string>? EventTypes,
    [property: Id(4)] string? Description);

/// <summary>
/// Every firm with a subscription and the union of its event-type filters, lent to a silo for <see cref="Duration"/>
/// from before it asked (<see cref="IWebhookDirectoryGrain.LeaseAsync"/>): the directory answers a widening only with
/// the time left until every lease lent before it has run out, and the subscription waits that long before it answers.
/// <see cref="Firms"/> is null when the asker already holds <see cref="Version"/> (nothing changed since it last asked),
/// so a lease renewed every second carries the list only after a change.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WebhookDirectoryLease(
    [property: Id(0)] IReadOnlyDictionary<string, string[]>? Firms, [property: Id(1)] TimeSpan Duration, [property: Id(2)] long Version);

/// <summary>A page of a subscription's queue, the queue's length and the log of finished deliveries (newest first).</summary>
[GenerateSerializer]
public sealed record WebhookDeliveriesPage(
    [property: Id(0)] IReadOnlyList<WebhookDelivery> Pending, [property: Id(1)] int PendingTotal, [property: Id(2)] IReadOnlyList<WebhookDelivery> Recent);

/// <summary>The outcome of one HTTP attempt: the receiver's status, or why there was none.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookAttempt([property: Id(0)] string EventId, [property: Id(1)] int? StatusCode, [property: Id(2)] string? Error);

/// <summary>A firm's webhook subscriptions (key: the firm id): the registry events are routed by.</summary>
public interface IWebhookFirmGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a new subscription; 409 <c>webhook-limit</c> when the firm has <paramref name="max"/> already. Answers how
    /// long the caller must still wait before it answers its own caller (<see cref="IWebhookDirectoryGrain.WidenAsync"/>).
    /// </summary>
    Task<TimeSpan> AddAsync(WebhookSubscriptionEntry entry, int max);

    /// <summary>Replaces a subscription's routing entry; answers the wait as <see cref="AddAsync"/> does.</summary>
    Task<TimeSpan> UpdateAsync(WebhookSubscriptionEntry entry);

    /// <summary>Forgets a subscription.</summary>
    Task RemoveAsync(string id);

    /// <summary>The firm's subscriptions.</summary>
    Task<WebhookSubscriptionEntry[]> ListAsync();

    /// <summary>
    /// Queues the events in every subscription that wants them, answering once each has stored them: the emitting grain
    /// counts them handed over only then. Interleaves (it reads the registry without awaiting in between), so a burst of
    /// hand-overs neither queues behind each other here nor holds up the firm's changes to its subscriptions. The events are immutable records in an array made for the call, so they are
    /// passed without a copy (every stored change of a lot, demand or match publishes, mostly to firms without subscriptions).
    /// </summary>
    [AlwaysInterleave]
    Task PublishAsync([Immutable] OutboxEvent[] events);
}

/// <summary>
/// Which firms have a subscription wanting an event type (one grain, key <see cref="WebhookDirectoryGrain.Key"/>): lent
/// to each silo for a lease instead of each firm's registry being asked. Only a firm's registry changes its entry; it may name more
/// than the registry does (never fewer), so a caller still sends events through the registry, which drops unwanted ones.
/// </summary>
public interface IWebhookDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Adds <paramref name="eventTypes"/> to the firm's filters (before its registry stores a subscription with them).
    /// Answers the time until every lease lent before the firm's entry last widened has run out (zero when none is out):
    /// the subscription's creation or change answers only after it, so that from then on no silo uses a list without
    /// the firm.
    /// </summary>
    Task<TimeSpan> WidenAsync(string firmId, IReadOnlyList<string> eventTypes);

    /// <summary>Makes the firm's filters exactly <paramref name="eventTypes"/>, the union of its stored subscriptions' (none: forgets the firm).</summary>
    Task SetAsync(string firmId, IReadOnlyList<string> eventTypes);

    /// <summary>
    /// Those of <paramref name="firmIds"/> with a subscription wanting <paramref name="eventType"/>: a look-up for
    /// inspection (the changes' path uses <see cref="LeaseAsync"/>). Read-only, so concurrent askers interleave; the ids
    /// are not copied (the caller made the array for the call).
    /// </summary>
    [ReadOnly]
    Task<string[]> WantingAsync([Immutable] string[] firmIds, string eventType);

    /// <summary>
    /// Every firm with a subscription and its filters, lent for the answer's duration, counted by the asker from before
    /// it asked (<see cref="WebhookInterest"/>, once per silo per lease); without the list when <paramref name="knownVersion"/>
    /// is the current one. Read-only, so concurrent askers interleave (never with a widening: an answer is wholly
    /// before or after it).
    /// </summary>
    [ReadOnly]
    Task<WebhookDirectoryLease> LeaseAsync(long knownVersion);
}

/// <summary>One subscription (key: its id): settings, secrets, the delivery queue and log; delivers on a timer.</summary>
public interface IWebhookSubscriptionGrain : IGrainWithStringKey
{
    /// <summary>Creates it (a retry with the same settings answers it again); registers it with its firm first.</summary>
    Task<WebhookSubscription> CreateAsync(WebhookSubscriptionInput input);

    /// <summary>The subscription, or null.</summary>
    Task<WebhookSubscription?> GetAsync();

    /// <summary>Queued deliveries from <paramref name="start"/> in sending order (at most <paramref name="size"/>), how many are queued, and the log.</summary>
    Task<WebhookDeliveriesPage> DeliveriesAsync(int start, int size);

    /// <summary>Changes url, event types or description (null keeps one).</summary>
    Task<WebhookSubscription> UpdateAsync(string? url, IReadOnlyList<string>? eventTypes, string? description);

    /// <summary>Deletes it and its queue.</summary>
    Task DeleteAsync();

    /// <summary>A new secret; the old one signs too for the configured overlap.</summary>
    Task<WebhookSubscription> RotateSecretAsync();

    /// <summary>Queues a test ping; answers its event id.</summary>
    Task<string> PingAsync();

    /// <summary>Queues a finished event again.</summary>
    Task<WebhookDelivery> RedeliverAsync(string eventId);

    /// <summary>
    /// Queues events (duplicates of a subject's version already queued are dropped) and stores them before answering.
    /// Interleaves with the subscription's other calls, so concurrent hand-overs share a write (the grain keeps its writes
    /// one at a time itself). The events are not copied: the caller made the array for the call.
    /// </summary>
    [AlwaysInterleave]
    Task EnqueueAsync([Immutable] OutboxEvent[] events);

    /// <summary>Records the outcomes of attempts made off the grain's turn.</summary>
    Task ReportAsync(WebhookAttempt[] attempts);

    /// <summary>Activates it so that queued deliveries resume (after a restart).</summary>
    Task WakeAsync();
}

/// <summary>A grain whose state carries a webhook outbox (lots, orders): activating it hands over what is stored there.</summary>
public interface IWebhookOutboxGrain : IGrainWithStringKey
{
    /// <summary>Hands over the events stored in its outbox that this activation has not handed over yet.</summary>
    Task HandOverAsync();
}
