using Marketplace.Domain.Webhooks;

namespace Marketplace.Host.Api.Webhooks;

/// <summary>A subscription to create, or the settings to change (a missing member stays as it is).</summary>
/// <param name="Url">Target URL: https (at most 2,048 characters); plain http only to loopback when <c>Webhooks:AllowDevelopmentTargets</c> is on.</param>
/// <param name="EventTypes">Event types (<c>hold.placed</c>), resources with <c>.*</c> (<c>order.*</c>) or <c>*</c>; 1 to 40.</param>
/// <param name="Description">A note for people, at most 200 characters.</param>
public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? EventTypes, string? Description);

/// <summary>
/// A subscription; <see cref="Secret"/> only in the answers that issue one (creation, rotation). An answer replayed for
/// an <c>Idempotency-Key</c> has a null secret and <see cref="SecretNote"/> saying it was shown once.
/// </summary>
public sealed record WebhookResponse(
    string Id,
    string FirmId,
    string? ClientId,
    string Url,
    IReadOnlyList<string> EventTypes,
    string? Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PreviousSecretValidUntil,
    int Pending,
    string? Secret,
    string? SecretNote = null)
{
    /// <summary>The answer for <paramref name="s"/>, with its secret when <paramref name="withSecret"/>.</summary>
    public static WebhookResponse From(WebhookSubscription s, bool withSecret = false)
        => new(s.Id, s.FirmId, s.ClientId, s.Url, s.EventTypes, s.Description, s.CreatedAt, s.UpdatedAt, s.PreviousSecretUntil, s.PendingCount,
            withSecret ? s.Secret : null);
}

/// <summary>One event's delivery to the subscription.</summary>
public sealed record WebhookDeliveryResponse(
    string EventId,
    string Type,
    string Status,
    int Attempts,
    DateTimeOffset QueuedAt,
    DateTimeOffset? LastAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? NextAttemptAt)
{
    /// <summary>The answer for <paramref name="d"/>.</summary>
    public static WebhookDeliveryResponse From(WebhookDelivery d)
        => new(d.EventId, d.Type, d.Status.ToString().ToLowerInvariant(), d.Attempts, d.QueuedAt, d.LastAttemptAt, d.LastStatusCode, d.LastError,
            d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt : null);
}

/// <summary>The delivery log: a page of what is queued (in sending order) and the last finished deliveries (newest first, at most 100).</summary>
/// <param name="Pending">Queued deliveries from the cursor on, in sending order.</param>
/// <param name="PendingTotal">How many deliveries are queued in all.</param>
/// <param name="Next">The cursor of the next page of queued deliveries, or null after the last.</param>
/// <param name="Recent">Finished deliveries, newest first, at most 100 (the same on every page).</param>
public sealed record WebhookDeliveriesResponse(IReadOnlyList<WebhookDeliveryResponse> Pending, int PendingTotal, string? Next, IReadOnlyList<WebhookDeliveryResponse> Recent);

/// <summary>A delivery queued on request.</summary>
public sealed record WebhookQueuedResponse(string EventId);
