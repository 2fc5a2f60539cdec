using Marketplace.Domain.Traders;
using Marketplace.Grains.Payments;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Payments;

/// <summary>Each webhook event is acted on once: the processed mark is stored, a claim is held only while it is worked on.</summary>
public sealed class WebhookEventGrainTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"), configure: TestClusters.MarketClock(_clock));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Claim_SecondDeliveryWhileFirstIsWorkedOn_IsInProgress_AfterCompletion_AlreadyProcessedEvenAfterDeactivation()
    {
        var grain = Grains.GetGrain<IWebhookEventGrain>("stripe/evt_1");

        Assert.Equal(WebhookEventClaim.Process, await grain.ClaimAsync());
        Assert.Equal(WebhookEventClaim.InProgress, await grain.ClaimAsync());
        await grain.CompleteAsync();
        Assert.Equal(WebhookEventClaim.AlreadyProcessed, await grain.ClaimAsync());

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(WebhookEventClaim.AlreadyProcessed, await grain.ClaimAsync());
    }

    [Fact]
    public async Task Claim_AfterAbandon_OrAfterTheLeaseLapsed_IsProcessAgain()
    {
        var grain = Grains.GetGrain<IWebhookEventGrain>("stripe/evt_2");
        Assert.Equal(WebhookEventClaim.Process, await grain.ClaimAsync());
        await grain.AbandonAsync();
        Assert.Equal(WebhookEventClaim.Process, await grain.ClaimAsync());

        _clock.Advance(WebhookEventGrain.ClaimLease + TimeSpan.FromSeconds(1));

        Assert.Equal(WebhookEventClaim.Process, await grain.ClaimAsync());
    }

    [Fact]
    public async Task TraderStripeAccount_LinkedThenUpdated_IsStored_OlderNewsIgnored()
    {
        var id = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var trader = Grains.GetGrain<ITraderGrain>(id);

        var linked = (await trader.LinkStripeAccountAsync("acct_1Kallio")).StripeAccount!;
        Assert.True(await trader.UpdateStripeAccountAsync(new StripeAccountLink("acct_1Kallio", true, true, linked.UpdatedAt.AddMinutes(1))));
        Assert.False(await trader.UpdateStripeAccountAsync(new StripeAccountLink("acct_1Kallio", false, false, linked.UpdatedAt)));

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(new StripeAccountLink("acct_1Kallio", true, true, linked.UpdatedAt.AddMinutes(1)), (await trader.GetAsync())!.StripeAccount);
    }
}
