using System.Net;
using System.Net.Http.Json;
using Marketplace.Grains.Common;
using Marketplace.Testing.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;
using static Marketplace.Host.Tests.Payments.CardDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>
/// A card authorisation lapses after 7 days: an order the seller has not accepted by then is cancelled with its
/// PaymentIntent, on a host whose market clock the test moves (the default acceptance window of 7 days).
/// </summary>
public sealed class CardAcceptanceDeadlineTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly StripeStub _stripe = new();
    private MarketplaceServer _server = null!;

    public async Task InitializeAsync()
    {
        var settings = _stripe.HostSettings();
        settings["Orders:SweepPeriod"] = "00:00:01";
        _server = await MarketplaceServer.StartAsync(settings, builder => builder.Services.AddKeyedSingleton<TimeProvider>(MarketTime.Key, _clock));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _stripe.Dispose();
    }

    [Fact]
    public async Task CardOrder_NotAcceptedWithinSevenDays_IsCancelledWithItsIntent_WithoutAnyRequest()
    {
        var seller = await RegisterFirmAsync(_server, "seller");
        var buyer = await RegisterFirmAsync(_server, "buyer");
        await OnboardAsync(_server, seller);
        var lot = await ActiveLotAsync(_server, seller, 100);
        using var buyerClient = _server.Client(buyer);
        using var sellerClient = _server.Client(seller);
        var placed = await PlaceByCardAsync(buyerClient, lot, 40);
        var id = placed.Id();
        var intent = StripeStub.IntentIdFor(id);
        var acceptBy = placed["acceptBy"]!.GetValue<DateTimeOffset>();
        Assert.Equal(TimeSpan.FromDays(7), acceptBy - placed["placedAt"]!.GetValue<DateTimeOffset>());

        // Days pass on the market clock; the buyer confirms the card late, and Stripe's notice of the authorisation
        // (applied to the order, which re-arms its deadline from the clock) arrives 3 s of market time before the deadline.
        _clock.SetUtcNow(acceptBy - TimeSpan.FromSeconds(3));
        _stripe.ConfirmByBuyer(intent);
        var (body, signature) = PaymentEvent(_stripe, "payment_intent.amount_capturable_updated", intent, _clock.GetUtcNow());
        await ReadAsync(await PostWebhookAsync(_server, body, signature), HttpStatusCode.OK);
        Assert.Equal("requires_capture", (await OrderAsync(buyerClient, id)).PaymentStatus());

        // The reminder is due in 3 s of real time; by then the market clock is past the deadline.
        _clock.Advance(TimeSpan.FromSeconds(10));
        var cancelled = await Eventually.ValueAsync(() => OrderAsync(buyerClient, id), o => o.Status() == "cancelled", TimeSpan.FromSeconds(30));

        Assert.Equal(("cancelled", "canceled"), (cancelled.Status(), cancelled.PaymentStatus()));
        Assert.Equal($"order:{id}:cancel", _stripe.Single("POST", $"/v1/payment_intents/{intent}/cancel").IdempotencyKey);
        Assert.Equal("canceled", _stripe.Intents[intent].Status);
        Assert.DoesNotContain(_stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
        Assert.Equal("system", (await AuditAsync(buyerClient, id))[^1]!["actor"]!.GetValue<string>());
        var after = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal((100m, 0m, 0m), (after["quantities"]!["available"]!.GetValue<decimal>(), after["quantities"]!["held"]!.GetValue<decimal>(),
            after["quantities"]!["sold"]!.GetValue<decimal>()));
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/accept", new { }), HttpStatusCode.Conflict, "invalid-transition");
    }
}
