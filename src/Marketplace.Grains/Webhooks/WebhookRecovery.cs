using System.Diagnostics;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace Marketplace.Grains.Webhooks;

/// <summary>
/// After the silo starts (in the background): finds lots, orders, demands, matches and bulk imports' batches (<see cref="Imports.ImportOutboxGrain"/>) whose stored outbox still holds events (a crash
/// came between their write and its hand-over, or before the trimming write) and subscriptions with queued deliveries,
/// and activates them, so those events are handed over and delivered without waiting for the next change. Reads
/// grain storage directly; a provider that cannot be enumerated (memory, tests) is skipped. Stops with the silo
/// (<see cref="StartupSweep"/>).
/// </summary>
public sealed class WebhookRecovery(IGrainFactory grains, IGrainStateArchive archive, ILogger<WebhookRecovery> logger) : StartupSweep
{
    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!archive.CanEnumerate)
        {
            return;
        }

        try
        {
            var clock = Stopwatch.StartNew();
            var emitters = 0;
            foreach (var (grainType, stateName) in new[] { ("listing", "listing"), ("order", "order"), ("demand", "demand"), ("matchingsession", "match"), (Imports.ImportOutboxGrain.GrainType, Imports.ImportOutboxGrain.StateName) })
            {
                await foreach (var stored in archive.StatesAsync(grainType, stateName, cancellationToken))
                {
                    // A cheap look at the bytes (an empty outbox is "outbox":[]) rather than reading every state.
                    if (stored.Payload.ToMemory().Span.IndexOf("\"outbox\":[{"u8) >= 0)
                    {
                        var grain = grainType switch
                        {
                            "listing" => grains.GetGrain<IListingGrain>(stored.Key).AsReference<IWebhookOutboxGrain>(),
                            "order" => grains.GetGrain<IOrderGrain>(stored.Key).AsReference<IWebhookOutboxGrain>(),
                            "demand" => grains.GetGrain<IDemandGrain>(stored.Key).AsReference<IWebhookOutboxGrain>(),
                            Imports.ImportOutboxGrain.GrainType => grains.GetGrain<Imports.IImportOutboxGrain>(stored.Key),
                            _ => grains.GetGrain<IMatchingSessionGrain>(stored.Key).AsReference<IWebhookOutboxGrain>(),
                        };
                        await CallAsync(() => grain.HandOverAsync(), stored.Key);
                        emitters++;
                    }
                }
            }

            // A queue with deliveries has pages in its index; a record stored before queues had their own holds it inline.
            var queued = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var stored in archive.StatesAsync("webhooksubscription", WebhookQueueIndex.StateName, cancellationToken))
            {
                if (stored.As<WebhookQueueIndex>() is { Pages.Count: > 0 })
                {
                    queued.Add(stored.Key);
                }
            }

            await foreach (var stored in archive.StatesAsync("webhooksubscription", "webhook", cancellationToken))
            {
                if (stored.Payload.ToMemory().Span.IndexOf("\"_queue\":[{"u8) >= 0)
                {
                    queued.Add(stored.Key);
                }
            }

            var subscriptions = 0;
            foreach (var key in queued)
            {
                await CallAsync(() => grains.GetGrain<IWebhookSubscriptionGrain>(key).WakeAsync(), key);
                subscriptions++;
            }

            logger.LogInformation("Webhooks: recovery in {Elapsed} ms: {Emitters} outbox(es) handed over again, {Subscriptions} subscription(s) with queued deliveries resumed",
                clock.ElapsedMilliseconds, emitters, subscriptions);
        }
        catch (Exception e) when (Stopping)
        {
            logger.LogInformation("Webhooks: the recovery sweep stopped with the silo ({Reason}); the next start sweeps again", e.GetType().Name);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Webhooks: the recovery sweep failed; outboxes are handed over when their grains next activate");
        }
    }

    private async Task CallAsync(Func<Task> call, string key)
    {
        if (Stopping)
        {
            throw new OperationCanceledException("The silo is stopping.");
        }

        try
        {
            await call();
        }
        catch (Exception e) when (!Stopping)
        {
            logger.LogWarning(e, "Webhooks: recovering {Key} failed", key);
        }
    }
}
