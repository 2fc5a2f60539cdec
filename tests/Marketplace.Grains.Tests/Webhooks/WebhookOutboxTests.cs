using System.Diagnostics;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Webhooks;

/// <summary>
/// The outbox: a lot's events are stored with the change that makes them. When they cannot be handed over (the firm's
/// registry unreachable), the change still succeeds; an activation that reads the stored outbox hands them over, once.
/// </summary>
public sealed class WebhookOutboxTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Webhooks:AllowDevelopmentTargets"] = "true";
        settings["Webhooks:HandOverRetry"] = "00:10:00";
        settings["Webhooks:FirstRetryDelay"] = "01:00:00";
        _cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter, UnreachableRegistry>());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task EventsNotHandedOver_StayInTheStoredOutbox_AndAreHandedOverOnceByTheNextActivation()
    {
        var firm = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var subscription = Grains.GetGrain<IWebhookSubscriptionGrain>("sub-" + Guid.NewGuid().ToString("N"));
        await subscription.CreateAsync(new WebhookSubscriptionInput(firm, null, "http://127.0.0.1:9/hook", ["listing.*"], null));

        UnreachableRegistry.Closed = true;
        var lot = await TestClusters.ActiveLotAsync(Grains, firm, 100);
        var stored = (await lot.GetAsync())!.Outbox;
        Assert.Equal(["listing.created", "listing.published"], stored.Select(e => e.Type));
        await Task.Delay(200);
        Assert.Empty(Known(await subscription.DeliveriesAsync(0, 100)));

        // As after a crash: the activation that failed to hand over is gone; what it stored is all there is.
        await lot.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        UnreachableRegistry.Closed = false;
        Assert.NotNull(await lot.GetAsync());
        await UntilAsync(async () => Known(await subscription.DeliveriesAsync(0, 100)).Count == 2);
        Assert.Equal(stored.Select(e => e.Id), Known(await subscription.DeliveriesAsync(0, 100)).Select(d => d.EventId));

        // The activation counts its events handed over only once the registry's answer is back, which may come after
        // the subscription shows them: an activation deactivated before that trims nothing, and the next hands them over
        // again (the subscription drops the duplicates). So: deactivate until an activation's trimming write did its work.
        await UntilAsync(async () =>
        {
            await lot.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
            return (await lot.GetAsync())!.Outbox.Count == 0;
        });
        Assert.Empty((await lot.GetAsync())!.Outbox);
        await Task.Delay(200);
        Assert.Equal(stored.Select(e => e.Id), Known(await subscription.DeliveriesAsync(0, 100)).Select(d => d.EventId));
    }

    private static List<WebhookDelivery> Known(WebhookDeliveriesPage s) => [.. s.Pending, .. s.Recent.Reverse()];

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "not within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Fails every publish to a firm's webhook registry while <see cref="Closed"/>.</summary>
    private sealed class UnreachableRegistry : IIncomingGrainCallFilter
    {
        public static volatile bool Closed;

        public Task Invoke(IIncomingGrainCallContext context)
            => Closed && context.Grain is WebhookFirmGrain && context.InterfaceMethod.Name == nameof(IWebhookFirmGrain.PublishAsync)
                ? throw new InvalidOperationException("the registry is unreachable")
                : context.Invoke();
    }
}
