using System.Text.Json.Serialization;

namespace Marketplace.Domain.Webhooks;

/// <summary>Where a delivery stands.</summary>
public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its first attempt or for a retry.</summary>
    Pending,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>Every attempt failed for the retry period: dead-lettered (it can still be redelivered on request).</summary>
    Dead,
}

/// <summary>One event on its way to one subscription, and what its attempts got.</summary>
public sealed class WebhookDelivery
{
    /// <summary>The event's id (what receivers deduplicate by).</summary>
    [JsonInclude]
    public string EventId { get; internal set; } = "";

    /// <summary>The event's type.</summary>
    [JsonInclude]
    public string Type { get; internal set; } = "";

    /// <summary>What deliveries are ordered by; a redelivery or ping has a subject of its own.</summary>
    [JsonInclude]
    public string Subject { get; internal set; } = "";

    /// <summary>The subject's version.</summary>
    [JsonInclude]
    public long Version { get; internal set; }

    /// <summary>The JSON envelope sent, the same bytes on every attempt (each attempt is signed anew).</summary>
    [JsonInclude]
    public string Body { get; internal set; } = "";

    /// <summary>When it was queued; retries stop a retry period after this.</summary>
    [JsonInclude]
    public DateTimeOffset QueuedAt { get; internal set; }

    /// <summary>Attempts made.</summary>
    [JsonInclude]
    public int Attempts { get; internal set; }

    /// <summary>When it may be tried next (pending only).</summary>
    [JsonInclude]
    public DateTimeOffset NextAttemptAt { get; internal set; }

    /// <summary>Where it stands.</summary>
    [JsonInclude]
    public WebhookDeliveryStatus Status { get; internal set; }

    /// <summary>When the last attempt ended.</summary>
    [JsonInclude]
    public DateTimeOffset? LastAttemptAt { get; internal set; }

    /// <summary>The HTTP status the receiver answered last, when it answered.</summary>
    [JsonInclude]
    public int? LastStatusCode { get; internal set; }

    /// <summary>Why the last attempt failed without an answer (timeout, refused connection), when it did.</summary>
    [JsonInclude]
    public string? LastError { get; internal set; }
}
