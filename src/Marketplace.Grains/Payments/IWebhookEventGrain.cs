namespace Marketplace.Grains.Payments;

/// <summary>What to do with a delivery of a payment provider's webhook event.</summary>
public enum WebhookEventClaim
{
    /// <summary>First delivery (or the earlier one failed): process it, then complete it.</summary>
    Process,

    /// <summary>Processed before: acknowledge without acting again.</summary>
    AlreadyProcessed,

    /// <summary>Another delivery of the event is being processed right now: ask the provider to retry later.</summary>
    InProgress,
}

/// <summary>
/// One webhook event id of a payment provider (key: <c>{provider}/{eventId}</c>), so each event is acted on once however
/// often it is delivered. The processed mark is stored and kept (an id is a few bytes; Stripe retries for days).
/// </summary>
public interface IWebhookEventGrain : IGrainWithStringKey
{
    /// <summary>Claims the event for processing, or says it was processed or is being processed.</summary>
    Task<WebhookEventClaim> ClaimAsync();

    /// <summary>Marks the claimed event processed, for good.</summary>
    Task CompleteAsync();

    /// <summary>Frees a claim whose processing failed, so the provider's retry processes it.</summary>
    Task AbandonAsync();
}
