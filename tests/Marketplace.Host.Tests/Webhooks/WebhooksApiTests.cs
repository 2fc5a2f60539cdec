using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Domain.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Webhooks;

/// <summary>Outbound webhooks end to end: a real receiver on loopback, real tokens, the shared host.</summary>
[Collection(ApiCollection.Name)]
public class WebhooksApiTests(ServerFixture fixture) : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    private MarketplaceServer Server => fixture.Server;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task HoldOrderHandover_EachPartyGetsEachEventOnce_InOrderPerResource_Signed()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        using var buyerClient = Server.Client(buyer);
        var sellerHook = await SubscribeAsync(sellerClient, "seller-" + seller, "listing.*", "hold.*", "order.*", "invoice.*");
        var buyerHook = await SubscribeAsync(buyerClient, "buyer-" + buyer, "hold.*", "order.*");

        var lot = await ActiveLotAsync(Server, seller, 1000);
        var order = (await PlaceAsync(buyerClient, lot, 400)).Id();
        await StepAsync(sellerClient, order, "accept");
        await StepAsync(buyerClient, order, "handover");

        string[] sellerExpected = ["listing.created", "listing.published", "hold.placed", "hold.ordered", "order.placed", "hold.confirmed", "order.accepted", "invoice.issued", "order.handed-over"];
        string[] buyerExpected = ["hold.placed", "hold.ordered", "order.placed", "hold.confirmed", "order.accepted", "order.handed-over"];
        var sellerGot = await WaitForAsync("seller-" + seller, sellerExpected.Length);
        var buyerGot = await WaitForAsync("buyer-" + buyer, buyerExpected.Length);

        foreach (var (got, expected, secret) in new[] { (sellerGot, sellerExpected, sellerHook.Secret), (buyerGot, buyerExpected, buyerHook.Secret) })
        {
            Assert.Equal(expected.Order(), got.Select(r => r.Type).Order());
            Assert.Equal(got.Count, got.Select(r => r.EventId).Distinct().Count());
            Assert.All(got, r => Assert.True(WebhookSignature.Verify(r.Signature, secret, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), $"{r.Type}: bad signature {r.Signature}"));
            Assert.False(WebhookSignature.Verify(got[0].Signature, secret, got[0].Body + " ", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));

            // Per resource (the lot with its holds, the order with its invoice): versions arrive in order.
            foreach (var subject in got.GroupBy(r => r.Type.StartsWith("listing.", StringComparison.Ordinal) || r.Type.StartsWith("hold.", StringComparison.Ordinal) ? "lot" : "order"))
            {
                var versions = subject.Select(r => r.Version).ToArray();
                Assert.Equal(versions.Order(), versions);
            }

            var resource = got.Single(r => r.Type == "order.handed-over").Envelope["resource"]!;
            Assert.Equal(order, resource["id"]!.GetValue<string>());
            Assert.Null(resource["pickupCode"]);
        }

        // Nothing more arrives (no duplicate after the fact), and the log shows each delivered with 200.
        await Task.Delay(300);
        Assert.Equal(sellerExpected.Length, _receiver.Delivered("seller-" + seller).Count);
        var log = await ReadAsync(await sellerClient.GetAsync($"/api/v1/webhooks/{sellerHook.Id}/deliveries"), HttpStatusCode.OK);
        Assert.Empty(log["pending"]!.AsArray());
        Assert.All(log["recent"]!.AsArray(), d => Assert.Equal((200, "delivered"), (d!["lastStatusCode"]!.GetValue<int>(), d["status"]!.GetValue<string>())));
    }

    /// <summary>A credit note issued against an invoice is an event of its own, naming the credit note.</summary>
    [Fact]
    public async Task CancelAfterAcceptance_TellsTheInvoiceCredited_WithItsCreditNote()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        using var buyerClient = Server.Client(buyer);
        await SubscribeAsync(sellerClient, "credited-" + seller, "invoice.*");

        var lot = await ActiveLotAsync(Server, seller, 1000);
        var order = (await PlaceAsync(buyerClient, lot, 100)).Id();
        await StepAsync(sellerClient, order, "accept");
        var cancelled = await StepAsync(sellerClient, order, "cancel", new { reason = "Damaged in storage" });

        var got = await WaitForAsync("credited-" + seller, 2);
        Assert.Equal(["invoice.issued", "invoice.credited"], got.Select(r => r.Type).ToArray());
        var note = got[1].Envelope["resource"]!["creditNote"]!;
        Assert.Equal((cancelled["invoice"]!["creditNote"]!["number"]!.GetValue<string>(), "Damaged in storage"),
            (note["number"]!.GetValue<string>(), note["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DemandMatchedAcceptedConfirmed_BuyerAndSellerHearEachStep()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        using var buyerClient = Server.Client(buyer);
        await SubscribeAsync(sellerClient, "match-seller-" + seller, "match.*");
        await SubscribeAsync(buyerClient, "match-buyer-" + buyer, "demand.*", "match.*");

        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var match = (await MatchAsync(buyerClient, lot, demand))["id"]!.GetValue<string>();
        await ReadAsync(await buyerClient.PostAsync($"/api/v1/matches/{match}/accept", null), HttpStatusCode.OK);
        await ReadAsync(await sellerClient.PostAsync($"/api/v1/matches/{match}/confirm", null), HttpStatusCode.OK);

        // Demands of other tests near the random place may match the seller's lot too: only this match's events count.
        string[] steps = ["match.proposed", "match.accepted", "match.confirmed"];
        bool ThisMatch(WebhookReceiver.Received r) => r.Envelope["resource"]?["id"]?.GetValue<string>() == match;
        Assert.Equal(steps, (await WaitForAsync("match-seller-" + seller, 3, ThisMatch)).Select(r => r.Type));
        var buyerGot = await WaitForAsync("match-buyer-" + buyer, 5, r => r.Type.StartsWith("demand.", StringComparison.Ordinal) || ThisMatch(r));
        Assert.Equal(steps, buyerGot.Where(r => r.Type.StartsWith("match.", StringComparison.Ordinal) && ThisMatch(r)).Select(r => r.Type));
        Assert.Equal(["demand.created", "demand.fulfilled"], buyerGot.Where(r => r.Type.StartsWith("demand.", StringComparison.Ordinal)).Select(r => r.Type));
        Assert.Equal(match, buyerGot.Last(r => r.Type == "match.confirmed").Envelope["resource"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReceiverFailingFiveTimes_ThenRecovering_GetsEveryEventInOrder()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var name = "flaky-" + seller;
        _receiver.FailNext(name, 5);
        var outcomes = new ConcurrentDictionary<string, long>();
        using var listener = ListenToDeliveries(outcomes);
        var hook = await SubscribeAsync(client, name, "listing.*");

        var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot(100)), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
        await ReadAsync(await client.PatchAsJsonAsync($"/api/v1/listings/{lot}", new { quantity = 250 }), HttpStatusCode.OK);

        var got = await WaitForAsync(name, 3);
        Assert.Equal(["listing.created", "listing.published", "listing.updated"], got.Select(r => r.Type));
        Assert.Equal(5, _receiver.Requests.Count(r => r.Name == name && r.Status == 500));
        var log = await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{hook.Id}/deliveries"), HttpStatusCode.OK);
        var created = log["recent"]!.AsArray().Single(d => d!["type"]!.GetValue<string>() == "listing.created")!;
        Assert.Equal((6, 200), (created["attempts"]!.GetValue<int>(), created["lastStatusCode"]!.GetValue<int>()));

        // The attempts are counted on the Marketplace meter by outcome (other tests' deliveries may add to "delivered").
        Assert.True(outcomes.GetValueOrDefault("failed listing.created") >= 5, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("delivered listing.updated") >= 1, string.Join(", ", outcomes));
    }

    /// <summary>Counts this host's webhook delivery attempts by "outcome event.type".</summary>
    private MeterListener ListenToDeliveries(ConcurrentDictionary<string, long> outcomes)
    {
        var meters = Server.Services.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "marketplace.webhooks.deliveries" && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var tag = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            outcomes.AddOrUpdate($"{tag["outcome"]} {tag["event.type"]}", value, (_, v) => v + value);
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task RotatedSecret_DeliveriesVerifyWithOldAndNew_DuringTheOverlap()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(firm);
        var name = "rotated-" + firm;
        var hook = await SubscribeAsync(client, name, "listing.*");
        var rotated = await ReadAsync(await client.PostAsync($"/api/v1/webhooks/{hook.Id}/rotate-secret", null), HttpStatusCode.OK);
        var secret = rotated["secret"]!.GetValue<string>();
        Assert.NotEqual(hook.Secret, secret);
        Assert.NotNull(rotated["previousSecretValidUntil"]);

        await ReadAsync(await client.PostAsync($"/api/v1/webhooks/{hook.Id}/ping", null), HttpStatusCode.Accepted);
        var ping = Assert.Single(await WaitForAsync(name, 1));
        Assert.Equal("ping", ping.Type);
        Assert.True(WebhookSignature.Verify(ping.Signature, hook.Secret, ping.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), "the old secret no longer verifies");
        Assert.True(WebhookSignature.Verify(ping.Signature, secret, ping.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), "the new secret does not verify");
        Assert.False(WebhookSignature.Verify(ping.Signature, "whsec_other", ping.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Null((await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{hook.Id}"), HttpStatusCode.OK))["secret"]);

        // Redelivery on request: the same event id again.
        await ReadAsync(await client.PostAsync($"/api/v1/webhooks/{hook.Id}/deliveries/{ping.EventId}/redeliver", null), HttpStatusCode.Accepted);
        Assert.Equal(ping.EventId, (await WaitForAsync(name, 2))[1].EventId);
    }

    [Fact]
    public async Task Refusals_AreProblemDocuments()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(firm);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://example.com/hook", eventTypes = new[] { "order.*" } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "url");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://example.com/" + new string('a', 2100), eventTypes = new[] { "order.*" } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "url");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("x"), eventTypes = new[] { "orders.*" } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "eventTypes");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("x"), eventTypes = Enumerable.Repeat("order.*", 41) }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "eventTypes");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("x"), eventTypes = new[] { "order.*", null } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "eventTypes");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("x"), eventTypes = new[] { "order.*" }, description = "ERP\u0000hook" }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "description");
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/traders/{firm}/clients", new { name = "ERP\u0007", scopes = "orders.read" }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "name");

        var hook = await SubscribeAsync(client, "refusals-" + firm, "order.*");
        await ProblemAsync(await client.PatchAsJsonAsync($"/api/v1/webhooks/{hook.Id}", new { eventTypes = new[] { null as string } }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "eventTypes");
        using var otherClient = Server.Client(other);
        await ProblemAsync(await otherClient.GetAsync($"/api/v1/webhooks/{hook.Id}"), HttpStatusCode.NotFound, "webhook-not-found");
        await ProblemAsync(await otherClient.PostAsync($"/api/v1/webhooks/{hook.Id}/ping", null), HttpStatusCode.NotFound, "webhook-not-found");
        Assert.Empty(await ListAsync(otherClient));
        await ProblemAsync(await client.PostAsync($"/api/v1/webhooks/{hook.Id}/deliveries/evt_unknown/redeliver", null), HttpStatusCode.NotFound, "delivery-not-found");

        for (var i = 1; i < 10; i++)
        {
            await SubscribeAsync(client, $"refusals-{firm}-{i}", "order.*");
        }

        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("eleventh"), eventTypes = new[] { "order.*" } }),
            HttpStatusCode.Conflict, "webhook-limit");
        await ReadAsync(await client.DeleteAsync($"/api/v1/webhooks/{hook.Id}"), HttpStatusCode.NoContent);
        await ProblemAsync(await client.GetAsync($"/api/v1/webhooks/{hook.Id}"), HttpStatusCode.NotFound, "webhook-not-found");
        Assert.Equal(9, (await ListAsync(client)).Count);
    }

    [Fact]
    public async Task Deliveries_QueuedForAReceiverThatIsDown_AreReadAPageAtATime()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(firm);
        var created = await ReadAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/down", eventTypes = new[] { "order.*" } }), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var pings = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            pings.Add((await ReadAsync(await client.PostAsync($"/api/v1/webhooks/{id}/ping", null), HttpStatusCode.Accepted))["eventId"]!.GetValue<string>());
        }

        var first = await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?limit=2"), HttpStatusCode.OK);
        Assert.Equal(3, first["pendingTotal"]!.GetValue<int>());
        var second = await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?limit=2&cursor={first["next"]!.GetValue<string>()}"), HttpStatusCode.OK);
        Assert.Equal(pings, first["pending"]!.AsArray().Concat(second["pending"]!.AsArray()).Select(d => d!["eventId"]!.GetValue<string>()));
        Assert.Null(second["next"]);
        Assert.All(first["pending"]!.AsArray(), d => Assert.Equal("pending", d!["status"]!.GetValue<string>()));
        Assert.Equal(3, (await ReadAsync(await client.GetAsync($"/api/v1/webhooks/{id}"), HttpStatusCode.OK))["pending"]!.GetValue<int>());

        await ProblemAsync(await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?limit=0"), HttpStatusCode.UnprocessableEntity, "validation-failed", "limit");
        await ProblemAsync(await client.GetAsync($"/api/v1/webhooks/{id}/deliveries?cursor=zzz"), HttpStatusCode.UnprocessableEntity, "validation-failed", "cursor");
        await ReadAsync(await client.DeleteAsync($"/api/v1/webhooks/{id}"), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ApiClient_SubscribesOnlyToEventsItsScopesRead_AndItsSubscriptionsGoWhenItIsRevoked()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        using var admin = Server.Client(firm);
        var (listingsOnly, _) = await ApiClientAsync(admin, firm, "listings.read");
        await ProblemAsync(await listingsOnly.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("scoped"), eventTypes = new[] { "listing.*", "order.placed" } }),
            HttpStatusCode.Forbidden, "insufficient-scope", "eventTypes");
        await ProblemAsync(await listingsOnly.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url("scoped"), eventTypes = new[] { "*" } }),
            HttpStatusCode.Forbidden, "insufficient-scope", "eventTypes");
        var listings = await SubscribeAsync(listingsOnly, "scoped-listings", "listing.*", "hold.placed");
        await ProblemAsync(await listingsOnly.PatchAsJsonAsync($"/api/v1/webhooks/{listings.Id}", new { eventTypes = new[] { "demand.*" } }),
            HttpStatusCode.Forbidden, "insufficient-scope", "eventTypes");

        var (orders, clientId) = await ApiClientAsync(admin, firm, "orders.read");
        var ordersHook = await SubscribeAsync(orders, "scoped-orders", "order.*", "invoice.*");
        Assert.Equal(2, (await ListAsync(admin)).Count);

        // Revoked: its subscriptions go with it (it could not delete them itself any more); the other client's stay.
        await ReadAsync(await admin.DeleteAsync($"/api/v1/traders/{firm}/clients/{clientId}"), HttpStatusCode.NoContent);
        var left = await ListAsync(admin);
        Assert.Equal([listings.Id], left.Select(w => w!["id"]!.GetValue<string>()));
        await ProblemAsync(await admin.GetAsync($"/api/v1/webhooks/{ordersHook.Id}"), HttpStatusCode.NotFound, "webhook-not-found");
    }

    private async Task<(HttpClient Client, string ClientId)> ApiClientAsync(HttpClient admin, string firm, string scopes)
    {
        var created = await ReadAsync(await admin.PostAsJsonAsync($"/api/v1/traders/{firm}/clients", new { name = "Hooks " + scopes, scopes }), HttpStatusCode.Created);
        var (clientId, secret) = (created["clientId"]!.GetValue<string>(), created["clientSecret"]!.GetValue<string>());
        using var anonymous = Server.Client();
        var token = await ReadAsync(await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scopes,
        })), HttpStatusCode.OK);
        return (Server.BearerClient(token["access_token"]!.GetValue<string>()), clientId);
    }

    private static async Task<JsonArray> ListAsync(HttpClient client)
    {
        var response = await client.GetAsync("/api/v1/webhooks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    private async Task<(string Id, string Secret)> SubscribeAsync(HttpClient client, string name, params string[] eventTypes)
    {
        var created = await ReadAsync(await client.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url(name), eventTypes }), HttpStatusCode.Created);
        return (created["id"]!.GetValue<string>(), created["secret"]!.GetValue<string>());
    }

    private async Task<IReadOnlyList<WebhookReceiver.Received>> WaitForAsync(string name, int count, Func<WebhookReceiver.Received, bool>? which = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var delivered = _receiver.Delivered(name).Where(which ?? (_ => true)).ToList();
            if (delivered.Count >= count)
            {
                return delivered;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20),
                $"{name}: {delivered.Count} of {count} events delivered in 20 s: {string.Join(", ", _receiver.Requests.Where(r => r.Name == name).Select(r => $"{r.Type} {r.Status}"))}");
            await Task.Delay(20);
        }
    }
}
