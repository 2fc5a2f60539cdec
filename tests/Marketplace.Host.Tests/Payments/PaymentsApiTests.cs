using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Marketplace.Domain.Common;
using Marketplace.Grains.Traders;
using Marketplace.Payments;
using Marketplace.Testing.Payments;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Payments;

/// <summary>Records the payment events the webhook hands on, in place of the orders (test host only).</summary>
public sealed class RecordingPaymentEventSink : IPaymentEventSink
{
    private readonly ConcurrentQueue<PaymentEvent> _applied = new();

    public IReadOnlyList<PaymentEvent> Applied => _applied.ToArray();

    public Task<bool> ApplyAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken = default)
    {
        _applied.Enqueue(paymentEvent);
        return Task.FromResult(true);
    }
}

/// <summary>A host whose Stripe is the documented-response stub and whose payment events go to a recording sink.</summary>
public sealed class PaymentsFixture : IAsyncLifetime
{
    public StripeStub Stripe { get; } = new();

    public RecordingPaymentEventSink Sink { get; } = new();

    public MarketplaceServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
        => Server = await MarketplaceServer.StartAsync(Stripe.HostSettings(), builder => builder.Services.AddSingleton<IPaymentEventSink>(Sink));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Stripe.Dispose();
    }
}

/// <summary>Seller onboarding and Stripe's webhook over real HTTP, with Stripe played by <see cref="StripeStub"/>.</summary>
public class PaymentsApiTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private const string Onboarding = "/api/v1/payments/stripe/onboarding";
    private const string Webhook = "/api/v1/payments/stripe/webhook";

    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Onboarding_SellerAdmin_CreatesExpressAccountStoresItOnTheFirmAndAnswersTheLink()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);

        var first = await ReadAsync(await client.PostAsync(Onboarding, null), HttpStatusCode.OK);
        var again = await ReadAsync(await client.PostAsync(Onboarding, null), HttpStatusCode.OK);

        var account = StripeStub.AccountIdFor(seller);
        Assert.Equal(account, first["accountId"]!.GetValue<string>());
        Assert.Equal(account, again["accountId"]!.GetValue<string>());
        Assert.StartsWith($"https://connect.stripe.com/setup/e/{account}/", first["onboardingUrl"]!.GetValue<string>());
        Assert.False(first["chargesEnabled"]!.GetValue<bool>());
        var created = Assert.Single(fixture.Stripe.Requests, r => r.Path == "/v1/accounts" && r.Form["metadata[trader_id]"] == seller);
        Assert.Equal("express", created.Form["type"]);
        Assert.Equal($"trader:{seller}:connect-account", created.IdempotencyKey);
        Assert.Equal(2, fixture.Stripe.Requests.Count(r => r.Path == "/v1/account_links" && r.Form["account"] == account));

        var trader = await Server.Services.GetRequiredService<IGrainFactory>().GetGrain<ITraderGrain>(seller).GetAsync();
        Assert.Equal(account, trader!.StripeAccount?.AccountId);
    }

    [Fact]
    public async Task Onboarding_SameIdempotencyKey_IsAnsweredOnceAndReplayed()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        client.DefaultRequestHeaders.Add("Idempotency-Key", Guid.NewGuid().ToString());

        var first = await client.PostAsync(Onboarding, null);
        var second = await client.PostAsync(Onboarding, null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Single(fixture.Stripe.Requests, r => r.Path == "/v1/account_links" && r.Form["account"] == StripeStub.AccountIdFor(seller));
    }

    [Fact]
    public async Task Onboarding_FirmThatIsNotASeller_Is422AndNothingIsCreated()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");

        await ProblemAsync(await Server.Client(buyer).PostAsync(Onboarding, null), HttpStatusCode.UnprocessableEntity, "seller-role-required");

        Assert.DoesNotContain(fixture.Stripe.Requests, r => r.Path == "/v1/accounts" && r.Form["metadata[trader_id]"] == buyer);
    }

    [Fact]
    public async Task Webhook_ReplayedEvent_IsProcessedOnce()
    {
        var orderId = "ord-" + Guid.NewGuid().ToString("N");
        var eventId = "evt_" + Guid.NewGuid().ToString("N");
        var body = StripeEvents.Event(eventId, "payment_intent.succeeded", DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            StripeAnswers.PaymentIntent(StripeAnswers.Intent("succeeded", amountReceived: 18_449) with { Metadata = new Dictionary<string, string> { ["order_id"] = orderId } }));

        var first = await ReadAsync(await PostWebhookAsync(body, StripeEvents.Sign(body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);
        // Stripe redelivers the same body with a fresh signature.
        var second = await ReadAsync(await PostWebhookAsync(body, StripeEvents.Sign(body, DateTimeOffset.UtcNow.AddSeconds(1))), HttpStatusCode.OK);

        Assert.False(first["duplicate"]!.GetValue<bool>());
        Assert.True(second["duplicate"]!.GetValue<bool>());
        var applied = Assert.Single(fixture.Sink.Applied, e => e.OrderId == orderId);
        Assert.Equal(new PaymentEvent(eventId, "payment_intent.succeeded", applied.Created, orderId, StripeAnswers.IntentId, "succeeded", Money.Eur(18_449)), applied);
    }

    [Fact]
    public async Task Webhook_BadSignature_Is400AndTheSinkSawNothing()
    {
        var orderId = "ord-" + Guid.NewGuid().ToString("N");
        var body = StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N"), "payment_intent.canceled", DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            StripeAnswers.PaymentIntent(StripeAnswers.Intent("canceled") with { Metadata = new Dictionary<string, string> { ["order_id"] = orderId } }));
        var now = DateTimeOffset.UtcNow;

        await ProblemAsync(await PostWebhookAsync(body, StripeEvents.Sign(body, now, "whsec_notTheEndpointsSecret")), HttpStatusCode.BadRequest, "invalid-stripe-signature");
        await ProblemAsync(await PostWebhookAsync(body.Replace("canceled", "succeeded", StringComparison.Ordinal), StripeEvents.Sign(body, now)),
            HttpStatusCode.BadRequest, "invalid-stripe-signature");
        await ProblemAsync(await PostWebhookAsync(body, StripeEvents.Sign(body, now.AddMinutes(-10))), HttpStatusCode.BadRequest, "invalid-stripe-signature");
        await ProblemAsync(await PostWebhookAsync(body, null), HttpStatusCode.BadRequest, "invalid-stripe-signature");

        // Signed with the right secret but no readable event: not a signature failure, and nothing is applied.
        foreach (var unreadable in new[] { "[1,2,3]", "null", "{\"object\":\"event\"}" })
        {
            await ProblemAsync(await PostWebhookAsync(unreadable, StripeEvents.Sign(unreadable, now)), HttpStatusCode.UnprocessableEntity, "unreadable-stripe-event");
        }

        Assert.DoesNotContain(fixture.Sink.Applied, e => e.OrderId == orderId);
        // The same event, correctly signed, is still processed: the refusals marked nothing.
        await ReadAsync(await PostWebhookAsync(body, StripeEvents.Sign(body, now)), HttpStatusCode.OK);
        Assert.Single(fixture.Sink.Applied, e => e.OrderId == orderId);
    }

    [Fact]
    public async Task Webhook_AccountUpdated_UpdatesTheFirmsStripeAccount_AndOlderNewsChangesNothing()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        await ReadAsync(await Server.Client(seller).PostAsync(Onboarding, null), HttpStatusCode.OK);
        var account = StripeStub.AccountIdFor(seller);
        var later = DateTimeOffset.UtcNow.AddSeconds(30);
        var enabled = StripeStub.AccountUpdated(seller, chargesEnabled: true, later);
        var older = StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N"), "account.updated", later.AddSeconds(-10).ToUnixTimeSeconds(),
            StripeAnswers.Account(seller, chargesEnabled: false, accountId: account));

        // Both delivered (and signed) now; what orders them is the time each event was created.
        await ReadAsync(await PostWebhookAsync(enabled.Body, StripeEvents.Sign(enabled.Body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);
        await ReadAsync(await PostWebhookAsync(older, StripeEvents.Sign(older, DateTimeOffset.UtcNow)), HttpStatusCode.OK);

        var link = (await Server.Services.GetRequiredService<IGrainFactory>().GetGrain<ITraderGrain>(seller).GetAsync())!.StripeAccount!;
        Assert.Equal((account, true, true), (link.AccountId, link.ChargesEnabled, link.PayoutsEnabled));
        var status = await ReadAsync(await Server.Client(seller).PostAsync(Onboarding, null), HttpStatusCode.OK);
        Assert.True(status["chargesEnabled"]!.GetValue<bool>());
    }

    private async Task<HttpResponseMessage> PostWebhookAsync(string body, string? signature)
    {
        using var client = Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, Webhook) { Content = JsonBody(body) };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await client.SendAsync(request);
    }
}

/// <summary>A host without Stripe: card onboarding and the webhook say so instead of failing.</summary>
public sealed class PaymentsWithoutStripeTests : IAsyncLifetime
{
    private MarketplaceServer _server = null!;

    public async Task InitializeAsync() => _server = await MarketplaceServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OnboardingAndWebhook_StripeNotConfigured_Are409()
    {
        var seller = await RegisterFirmAsync(_server, "seller");

        await ProblemAsync(await _server.Client(seller).PostAsync("/api/v1/payments/stripe/onboarding", null), HttpStatusCode.Conflict, "stripe-not-configured");
        await ProblemAsync(await _server.Client().PostAsync("/api/v1/payments/stripe/webhook", JsonBody("{}")), HttpStatusCode.Conflict, "stripe-not-configured");
    }
}
