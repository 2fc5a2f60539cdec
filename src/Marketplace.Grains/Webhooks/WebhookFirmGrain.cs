using Marketplace.Domain.Common;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Marketplace.Grains.Webhooks;

/// <summary>The stored registry of one firm's subscriptions.</summary>
public sealed class WebhookFirmState
{
    /// <summary>The firm's subscriptions, oldest first.</summary>
    public List<WebhookSubscriptionEntry> Subscriptions { get; set; } = [];
}

/// <summary>
/// Routes a firm's events to its subscriptions. Small (at most <see cref="WebhookOptions.MaxSubscriptionsPerFirm"/>
/// entries) and read on every publish, so the emitting grains never read the subscriptions themselves. Keeps the firm's
/// entry in the <see cref="WebhookDirectoryGrain"/> at least as wide as its subscriptions: widened before a subscription
/// is stored here, narrowed after one is changed or removed. The wait a widening answers goes back to the subscription,
/// which waits before it answers (not here: events handed over to this registry meanwhile are not held up).
/// </summary>
public sealed class WebhookFirmGrain(
    [PersistentState("webhook-firm", StorageOptions.StoreName)] IPersistentState<WebhookFirmState> state,
    ILogger<WebhookFirmGrain> logger) : Grain, IWebhookFirmGrain
{
    /// <inheritdoc />
    public async Task<TimeSpan> AddAsync(WebhookSubscriptionEntry entry, int max)
    {
        if (state.State.Subscriptions.Any(s => s.Id == entry.Id))
        {
            // A retry: what is left of the first attempt's wait.
            return await DirectoryGrain.WidenAsync(Firm, entry.EventTypes);
        }

        if (state.State.Subscriptions.Count >= max)
        {
            throw DomainException.Conflict("webhook-limit", $"A firm has at most {max} webhook subscriptions; delete one first.",
                new Dictionary<string, object?> { ["maxSubscriptions"] = max });
        }

        var wait = await DirectoryGrain.WidenAsync(Firm, entry.EventTypes);
        state.State.Subscriptions.Add(entry);
        await state.WriteOrReloadAsync();
        return wait;
    }

    /// <inheritdoc />
    public async Task<TimeSpan> UpdateAsync(WebhookSubscriptionEntry entry)
    {
        if (!state.State.Subscriptions.Exists(s => s.Id == entry.Id))
        {
            return TimeSpan.Zero;
        }

        var wait = await DirectoryGrain.WidenAsync(Firm, entry.EventTypes);
        // Found again after the await: a publish interleaving meanwhile may have removed another entry.
        var index = state.State.Subscriptions.FindIndex(s => s.Id == entry.Id);
        if (index < 0)
        {
            return wait;
        }

        state.State.Subscriptions[index] = entry;
        await state.WriteOrReloadAsync();
        await NarrowAsync();
        return wait;
    }

    /// <inheritdoc />
    public async Task RemoveAsync(string id)
    {
        if (state.State.Subscriptions.RemoveAll(s => s.Id == id) > 0)
        {
            await state.WriteOrReloadAsync();
            await NarrowAsync();
        }
    }

    /// <inheritdoc />
    public Task<WebhookSubscriptionEntry[]> ListAsync() => Task.FromResult(state.State.Subscriptions.ToArray());

    /// <inheritdoc />
    /// <remarks>Interleaves: the registry is read in one go before the first await, so a change to it cannot come in between.</remarks>
    public async Task PublishAsync(OutboxEvent[] events)
    {
        var calls = new List<Task>();
        foreach (var subscription in state.State.Subscriptions)
        {
            var wanted = events.Where(e => WebhookEventTypes.Matches(subscription.EventTypes, e.Type)).ToArray();
            if (wanted.Length > 0)
            {
                calls.Add(EnqueueAsync(subscription.Id, wanted));
            }
        }

        await Task.WhenAll(calls);
    }

    private string Firm => this.GetPrimaryKeyString();

    private IWebhookDirectoryGrain DirectoryGrain => GrainFactory.GetGrain<IWebhookDirectoryGrain>(WebhookDirectoryGrain.Key);

    /// <summary>
    /// Makes the directory's entry exactly what the stored subscriptions want. Best effort: the change is stored here
    /// already, and an entry left wider only sends this registry events it drops.
    /// </summary>
    private async Task NarrowAsync()
    {
        try
        {
            await DirectoryGrain.SetAsync(Firm, WebhookDirectoryGrain.Union(state.State.Subscriptions.Select(s => s.EventTypes)));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Webhooks: narrowing firm {FirmId}'s directory entry failed; it stays wider until its next change", Firm);
        }
    }

    private async Task EnqueueAsync(string subscription, OutboxEvent[] events)
    {
        try
        {
            await GrainFactory.GetGrain<IWebhookSubscriptionGrain>(subscription).EnqueueAsync(events);
        }
        catch (DomainException e) when (e.Kind == DomainErrorKind.NotFound)
        {
            // Deleted while this registry still named it (its removal here failed): forget it now.
            logger.LogInformation("Webhook subscription {SubscriptionId} no longer exists; removing it from firm {FirmId}", subscription, Firm);
            await RemoveAsync(subscription);
        }
    }
}
