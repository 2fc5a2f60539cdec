using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Payments;

/// <summary>Stored state of <see cref="WebhookEventGrain"/>.</summary>
public sealed class WebhookEventRecord
{
    /// <summary>When the event was processed, or null while it has not been.</summary>
    public DateTimeOffset? ProcessedAt { get; set; }
}

/// <summary>
/// Marks a webhook event processed once its effects are stored. A claim lives in memory only, with a lease: a delivery
/// that dies mid-way (or an activation that is lost) leaves the event unprocessed, and the provider's retry takes it.
/// </summary>
public sealed class WebhookEventGrain(
    [PersistentState("webhook-event", StorageOptions.StoreName)] IPersistentState<WebhookEventRecord> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time) : Grain, IWebhookEventGrain
{
    /// <summary>How long a claim may go without completing before another delivery may take it over.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    private DateTimeOffset? _claimedAt;

    /// <inheritdoc />
    public Task<WebhookEventClaim> ClaimAsync()
    {
        if (state.State.ProcessedAt is not null)
        {
            return Task.FromResult(WebhookEventClaim.AlreadyProcessed);
        }

        var now = time.GetUtcNow();
        if (_claimedAt is { } claimed && now - claimed < ClaimLease)
        {
            return Task.FromResult(WebhookEventClaim.InProgress);
        }

        _claimedAt = now;
        return Task.FromResult(WebhookEventClaim.Process);
    }

    /// <inheritdoc />
    public async Task CompleteAsync()
    {
        if (state.State.ProcessedAt is null)
        {
            state.State.ProcessedAt = time.GetUtcNow();
            await state.WriteStateAsync();
        }

        _claimedAt = null;
    }

    /// <inheritdoc />
    public Task AbandonAsync()
    {
        _claimedAt = null;
        return Task.CompletedTask;
    }
}
