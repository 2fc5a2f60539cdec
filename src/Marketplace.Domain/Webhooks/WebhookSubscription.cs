using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Webhooks;

/// <summary>
/// A firm's (or one of its API clients') subscription to events at a target URL: its filters and signing secrets, the
/// queue of deliveries (ordered per subject by version) and a bounded log of finished ones.
/// </summary>
public sealed class WebhookSubscription
{
    /// <summary>Most event type filters on one subscription.</summary>
    public const int MaxEventTypes = 40;

    /// <summary>Longest description.</summary>
    public const int MaxDescriptionLength = 200;

    /// <summary>Finished deliveries kept in the log (newest first); older ones are dropped.</summary>
    public const int LogKept = 100;

    /// <summary>How far apart two hosts' clocks may be: an event stamped this much before the subscription's creation is still its.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(1);

    /// <summary>Most deliveries queued at once; beyond it the oldest pending one is dead-lettered.</summary>
    public const int MaxQueued = 10_000;

    /// <summary>
    /// The queue, kept apart from the record (in pages the grain stores, each written only when it changes): a receiver
    /// that is down lets it grow to <see cref="MaxQueued"/> full envelopes, too much to rewrite with every event.
    /// </summary>
    private readonly List<WebhookDelivery> _queue = [];

    [JsonInclude]
    private List<WebhookDelivery> _log = [];

    /// <summary>The highest version queued per subject, with when, to drop events handed over twice (stored apart, as the queue is).</summary>
    private readonly Dictionary<string, SubjectMark> _seen = new(StringComparer.Ordinal);

    /// <summary>The event ids in <see cref="_queue"/>.</summary>
    private readonly HashSet<string> _queuedIds = new(StringComparer.Ordinal);

    /// <summary>Subjects whose mark changed since <see cref="TakeChangedSubjects"/> last ran.</summary>
    private readonly HashSet<string> _changedSubjects = new(StringComparer.Ordinal);

    /// <summary>When marks older than twice the retention were last dropped.</summary>
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    /// <summary>
    /// A queue stored inside the record, as records were before the queue had pages of its own: read (into the queue),
    /// never written. <see cref="HasInlineQueue"/> tells the grain to store it in pages.
    /// </summary>
    [JsonInclude]
    [JsonPropertyName("_queue")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private List<WebhookDelivery>? InlineQueue
    {
        get => null;
        set
        {
            if (value is { Count: > 0 })
            {
                _queue.AddRange(value.Where(d => _queuedIds.Add(d.EventId)));
                PendingCount = _queue.Count;
                HasInlineQueue = true;
            }
        }
    }

    /// <summary>The marks stored inside the record before they were stored apart: read, never written.</summary>
    [JsonInclude]
    [JsonPropertyName("_seen")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private Dictionary<string, SubjectMark>? InlineSeen
    {
        get => null;
        set
        {
            if (value is { Count: > 0 })
            {
                foreach (var (subject, mark) in value)
                {
                    _seen[subject] = mark;
                    _changedSubjects.Add(subject);
                }

                HasInlineQueue = true;
            }
        }
    }

    /// <summary>Subscription id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The firm it belongs to.</summary>
    [JsonInclude]
    public string FirmId { get; private set; } = "";

    /// <summary>The API client that created it, when one did (that client manages it, as do the firm's admins).</summary>
    [JsonInclude]
    public string? ClientId { get; private set; }

    /// <summary>Where events are posted.</summary>
    [JsonInclude]
    public string Url { get; private set; } = "";

    /// <summary>Event types or <c>resource.*</c> filters.</summary>
    [JsonInclude]
    public IReadOnlyList<string> EventTypes { get; private set; } = [];

    /// <summary>A note for people.</summary>
    [JsonInclude]
    public string? Description { get; private set; }

    /// <summary>The signing secret.</summary>
    [JsonInclude]
    public string Secret { get; private set; } = "";

    /// <summary>The secret before the last rotation, still signing until <see cref="PreviousSecretUntil"/>.</summary>
    [JsonInclude]
    public string? PreviousSecret { get; private set; }

    /// <summary>End of the previous secret's overlap.</summary>
    [JsonInclude]
    public DateTimeOffset? PreviousSecretUntil { get; private set; }

    /// <summary>Created at.</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Last changed at (settings or secret).</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Stored changes of the settings, for concurrency and readers.</summary>
    [JsonInclude]
    public long Version { get; private set; }

    /// <summary>Deliveries waiting (the queue's length; kept in the record and in copies, which do not carry the queue).</summary>
    [JsonInclude]
    public int PendingCount { get; private set; }

    /// <summary>True when the record was read with a queue or marks inside it, which belong in their own records now.</summary>
    [JsonIgnore]
    public bool HasInlineQueue { get; private set; }

    /// <summary>Counts changes of the log, so its keeper knows when the record must be written.</summary>
    [JsonIgnore]
    public long LogChanges { get; private set; }

    /// <summary>The highest version queued per subject (stored apart from the record).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, SubjectMark> Marks => _seen;

    /// <summary>True once created.</summary>
    [JsonIgnore]
    public bool Exists => Id.Length > 0;

    /// <summary>Deliveries waiting, in the order they are sent per subject.</summary>
    [JsonIgnore]
    public IReadOnlyList<WebhookDelivery> Queue => _queue;

    /// <summary>Finished deliveries, newest first, at most <see cref="LogKept"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<WebhookDelivery> Log => _log;

    /// <summary>
    /// Puts back a queue and marks read from their own records (after those read with the record itself, if any). A
    /// subject's deliveries are put in version order, subjects in the order they first appear.
    /// </summary>
    public void Restore(IEnumerable<WebhookDelivery> queued, IEnumerable<KeyValuePair<string, SubjectMark>> marks)
    {
        var all = _queue.Concat(queued).DistinctBy(d => d.EventId).ToList();
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < all.Count; i++)
        {
            first.TryAdd(all[i].Subject, i);
        }

        _queue.Clear();
        _queue.AddRange(all.Select((d, i) => (d, i)).OrderBy(x => first[x.d.Subject]).ThenBy(x => x.d.Version).ThenBy(x => x.i).Select(x => x.d));
        _queuedIds.Clear();
        _queuedIds.UnionWith(_queue.Select(d => d.EventId));
        PendingCount = _queue.Count;
        foreach (var (subject, mark) in marks)
        {
            if (!_seen.TryGetValue(subject, out var known) || known.Version < mark.Version)
            {
                _seen[subject] = mark;
            }
        }
    }

    /// <summary>The subjects whose marks changed (added, raised or dropped) since the last call; the caller stores them.</summary>
    public IReadOnlyCollection<string> TakeChangedSubjects()
    {
        var changed = _changedSubjects.ToArray();
        _changedSubjects.Clear();
        return changed;
    }

    /// <summary>Called once the queue and marks read inside the record are stored in their own records.</summary>
    public void InlineQueueStored() => HasInlineQueue = false;

    /// <summary>Creates a subscription after checking its settings.</summary>
    public static WebhookSubscription Create(string id, string firmId, string? clientId, string? url, IReadOnlyList<string>? eventTypes, string? description,
        string secret, bool allowDevelopmentTargets, DateTimeOffset now)
    {
        Check(url, eventTypes, description, allowDevelopmentTargets);
        return new WebhookSubscription
        {
            Id = id, FirmId = firmId, ClientId = clientId, Url = url!, EventTypes = eventTypes!.Distinct().ToArray(), Description = description?.Trim(),
            Secret = secret, CreatedAt = now, UpdatedAt = now, Version = 1,
        };
    }

    /// <summary>True when <paramref name="other"/> (made from a retried request) has the same owner and settings.</summary>
    public bool IsSameCreation(WebhookSubscription other)
        => FirmId == other.FirmId && ClientId == other.ClientId && Url == other.Url && EventTypes.SequenceEqual(other.EventTypes) && Description == other.Description;

    /// <summary>Changes the given settings (null keeps one).</summary>
    public void Update(string? url, IReadOnlyList<string>? eventTypes, string? description, bool allowDevelopmentTargets, DateTimeOffset now)
    {
        Check(url ?? Url, eventTypes ?? EventTypes, description ?? Description, allowDevelopmentTargets);
        Url = url ?? Url;
        EventTypes = (eventTypes ?? EventTypes).Distinct().ToArray();
        Description = description is null ? Description : description.Trim();
        UpdatedAt = now;
        Version++;
    }

    /// <summary>
    /// Replaces the secret with <paramref name="secret"/>; the old one keeps signing (a second <c>v1</c>) for
    /// <paramref name="overlap"/>, so receivers can switch without losing an event.
    /// </summary>
    public void RotateSecret(string secret, TimeSpan overlap, DateTimeOffset now)
    {
        PreviousSecret = Secret;
        PreviousSecretUntil = now + overlap;
        Secret = secret;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>The secrets that sign a delivery made at <paramref name="now"/>: the current one, and the previous one during its overlap.</summary>
    public IReadOnlyList<string> SecretsAt(DateTimeOffset now)
        => PreviousSecret is { } previous && PreviousSecretUntil > now ? [Secret, previous] : [Secret];

    /// <summary>True when the subscription's filters ask for <paramref name="type"/>.</summary>
    public bool Wants(string type) => WebhookEventTypes.Matches(EventTypes, type);

    /// <summary>
    /// Queues events (with their envelopes) it wants, each subject's in version order. A subject's version at or below
    /// one already queued is dropped as a duplicate: the emitting grain hands over every event it has not yet seen taken
    /// (so a subject's versions arrive together or in order) and hands them over again after a crash. Events older than
    /// <paramref name="retention"/> are dropped too. Answers how many were queued.
    /// </summary>
    public int Enqueue(IEnumerable<(OutboxEvent Event, string Body)> events, DateTimeOffset now, TimeSpan retention)
    {
        var bodies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (e, body) in events)
        {
            bodies.TryAdd(e.Id, body);
        }

        return Enqueue(events.Select(x => x.Event), e => bodies[e.Id], now, retention);
    }

    /// <summary>
    /// <see cref="Enqueue(IEnumerable{ValueTuple{OutboxEvent, string}}, DateTimeOffset, TimeSpan)"/>, making the envelope
    /// (<paramref name="body"/>) only for the events queued: a hand-over repeats events already queued, hundreds at a time
    /// when the registry is slow. Events from before the subscription was created are not its (a lot's outbox handed over
    /// again after a restart holds older changes).
    /// </summary>
    public int Enqueue(IEnumerable<OutboxEvent> events, Func<OutboxEvent, string> body, DateTimeOffset now, TimeSpan retention)
    {
        var added = 0;
        var versionsAdded = new Dictionary<string, long>();
        foreach (var e in events.OrderBy(x => x.Version))
        {
            if (!Wants(e.Type) || e.Time < now - retention || e.Time < CreatedAt - ClockTolerance || _queuedIds.Contains(e.Id))
            {
                continue;
            }

            var fresh = versionsAdded.TryGetValue(e.Subject, out var adding) && adding == e.Version;
            if (!fresh && _seen.TryGetValue(e.Subject, out var mark) && mark.Version >= e.Version)
            {
                continue;
            }

            versionsAdded[e.Subject] = e.Version;
            _seen[e.Subject] = new SubjectMark(e.Version, now);
            _changedSubjects.Add(e.Subject);
            Insert(new WebhookDelivery { EventId = e.Id, Type = e.Type, Subject = e.Subject, Version = e.Version, Body = body(e), QueuedAt = now, NextAttemptAt = now });
            added++;
        }

        // Marks are kept for twice the retention (an event older than it is dropped anyway); looked through now and then,
        // not with every event.
        if (now - _prunedAt > retention / 8)
        {
            _prunedAt = now;
            foreach (var (subject, mark) in _seen)
            {
                if (mark.At < now - retention - retention)
                {
                    _seen.Remove(subject);
                    _changedSubjects.Add(subject);
                }
            }
        }

        while (_queue.Count > MaxQueued)
        {
            Finish(_queue[0], WebhookDeliveryStatus.Dead, now);
        }

        return added;
    }

    /// <summary>Queues a test ping (its own subject, so nothing waits for it).</summary>
    public void EnqueuePing(string eventId, string body, DateTimeOffset now)
        => Insert(new WebhookDelivery { EventId = eventId, Type = WebhookEventTypes.Ping, Subject = "ping/" + eventId, Body = body, QueuedAt = now, NextAttemptAt = now });

    /// <summary>
    /// Queues a finished event again, on request: it keeps its id and envelope and is sent once more outside the
    /// ordering (409 <c>delivery-pending</c> while it is still queued).
    /// </summary>
    public WebhookDelivery Redeliver(string eventId, DateTimeOffset now)
    {
        if (_queuedIds.Contains(eventId))
        {
            throw DomainException.Conflict("delivery-pending", $"Event '{eventId}' is still queued for this subscription; it is sent without asking.");
        }

        var done = _log.FirstOrDefault(d => d.EventId == eventId) ?? throw DomainException.NotFound("delivery", eventId);
        var again = new WebhookDelivery { EventId = done.EventId, Type = done.Type, Subject = "redelivery/" + eventId, Version = done.Version, Body = done.Body, QueuedAt = now, NextAttemptAt = now };
        Insert(again);
        return again;
    }

    /// <summary>
    /// The deliveries to attempt now: per subject only the first queued one (a later version never overtakes an earlier
    /// one still pending), when its time has come and it is not <paramref name="inFlight"/>; at most <paramref name="max"/>.
    /// </summary>
    public IReadOnlyList<WebhookDelivery> Due(DateTimeOffset now, IReadOnlySet<string> inFlight, int max)
    {
        var due = new List<WebhookDelivery>();
        var subjects = new HashSet<string>();
        foreach (var delivery in _queue)
        {
            if (!subjects.Add(delivery.Subject))
            {
                continue;
            }

            if (delivery.NextAttemptAt <= now && !inFlight.Contains(delivery.EventId))
            {
                due.Add(delivery);
                if (due.Count == max)
                {
                    break;
                }
            }
        }

        return due;
    }

    /// <summary>The earliest time a queued delivery may be tried, or null when nothing is queued.</summary>
    public DateTimeOffset? NextAttemptAt => _queue.Count == 0 ? null : _queue.Min(d => d.NextAttemptAt);

    /// <summary>
    /// Records an attempt of the queued delivery of <paramref name="eventId"/>: a 2xx delivers it; anything else retries
    /// it after the policy's delay, or dead-letters it once the retry period is over. Unknown ids (already finished) are ignored.
    /// </summary>
    /// <returns>The delivery after the attempt (its status tells the outcome), or null for an unknown id.</returns>
    public WebhookDelivery? RecordAttempt(string eventId, int? statusCode, string? error, WebhookRetryPolicy policy, double jitter, DateTimeOffset now)
    {
        var delivery = _queue.FirstOrDefault(d => d.EventId == eventId);
        if (delivery is null)
        {
            return null;
        }

        delivery.Attempts++;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = statusCode;
        delivery.LastError = error;
        if (statusCode is >= 200 and < 300)
        {
            Finish(delivery, WebhookDeliveryStatus.Delivered, now);
            return delivery;
        }

        var next = now + policy.Delay(delivery.Attempts, jitter);
        if (next > delivery.QueuedAt + policy.RetryFor)
        {
            Finish(delivery, WebhookDeliveryStatus.Dead, now);
            return delivery;
        }

        delivery.NextAttemptAt = next;
        return delivery;
    }

    /// <summary>Queued deliveries from <paramref name="start"/> in sending order, at most <paramref name="size"/>.</summary>
    public IReadOnlyList<WebhookDelivery> Pending(int start, int size)
        => start >= _queue.Count ? [] : _queue.GetRange(start, Math.Min(size, _queue.Count - start));

    private void Insert(WebhookDelivery delivery)
    {
        _queuedIds.Add(delivery.EventId);
        PendingCount = _queue.Count + 1;
        // Keep a subject's deliveries in version order (an older version handed over late goes before newer ones).
        var index = _queue.FindLastIndex(d => d.Subject == delivery.Subject && d.Version <= delivery.Version);
        if (index < 0)
        {
            index = _queue.FindIndex(d => d.Subject == delivery.Subject);
            if (index < 0)
            {
                _queue.Add(delivery);
                return;
            }

            _queue.Insert(index, delivery);
            return;
        }

        _queue.Insert(index + 1, delivery);
    }

    private void Finish(WebhookDelivery delivery, WebhookDeliveryStatus status, DateTimeOffset now)
    {
        _queue.Remove(delivery);
        _queuedIds.Remove(delivery.EventId);
        PendingCount = _queue.Count;
        LogChanges++;
        delivery.Status = status;
        delivery.NextAttemptAt = now;
        _log.Insert(0, delivery);
        if (_log.Count > LogKept)
        {
            _log.RemoveRange(LogKept, _log.Count - LogKept);
        }
    }

    private static void Check(string? url, IReadOnlyList<string>? eventTypes, string? description, bool allowDevelopmentTargets)
    {
        var errors = new Dictionary<string, string[]>();
        if (WebhookUrls.Problem(url, allowDevelopmentTargets) is { } problem)
        {
            errors["url"] = [problem];
        }

        if (eventTypes is null || eventTypes.Count == 0)
        {
            errors["eventTypes"] = ["Name at least one event type, such as \"order.*\" or \"hold.placed\"."];
        }
        else if (eventTypes.Count > MaxEventTypes)
        {
            errors["eventTypes"] = [$"At most {MaxEventTypes} event types."];
        }
        else if (eventTypes.Any(t => !WebhookEventTypes.IsValidFilter(t)))
        {
            // (Not FirstOrDefault(…) is { }: a null entry is invalid too, and looked like "none found".)
            var unknown = eventTypes.First(t => !WebhookEventTypes.IsValidFilter(t));
            errors["eventTypes"] = [unknown is null ? "An event type must not be null." : $"Unknown event type '{unknown}': use one of {string.Join(", ", WebhookEventTypes.All)}, a resource with .* ({string.Join(", ", WebhookEventTypes.Resources.Select(r => r + ".*"))}) or *."];
        }

        if (description is not null && description.Trim().Length > MaxDescriptionLength)
        {
            errors["description"] = [$"At most {MaxDescriptionLength} characters."];
        }
        else if (description is not null && Validation.InvalidCharacterAt(description) is { } at)
        {
            errors["description"] = [$"The description must not contain control characters (U+{(int)description[at]:X4} at position {at + 1})."];
        }

        if (errors.Count > 0)
        {
            throw new DomainException("validation-failed", "The webhook subscription is not valid.", DomainErrorKind.Validation, errors);
        }
    }

    /// <summary>The highest version of a subject queued, and when.</summary>
    public sealed record SubjectMark(long Version, DateTimeOffset At);
}
