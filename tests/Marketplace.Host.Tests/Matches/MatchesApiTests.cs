using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Matches;

/// <summary>Matching end to end over HTTP: lot and demand in, proposal in both inboxes and on both streams, accept, confirm.</summary>
[Collection(ApiCollection.Name)]
public class MatchesApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    /// <summary>Reads a server-sent events stream in the background and hands out its <c>match</c> events.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
        private readonly HttpResponseMessage _response;
        private readonly Task _reader;

        private EventStream(HttpResponseMessage response)
        {
            _response = response;
            _reader = Task.Run(ReadAsync);
        }

        public static async Task<EventStream> OpenAsync(HttpClient client, string? lastEventId = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/matches/stream");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var stream = new EventStream(response);
            return stream;
        }

        /// <summary>The next match event that satisfies the condition, within 15 s.</summary>
        public async Task<JsonObject> NextAsync(Func<JsonObject, bool> condition)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (true)
            {
                var e = await _events.Reader.ReadAsync(deadline.Token);
                if (condition(e))
                {
                    return e;
                }
            }
        }

        private async Task ReadAsync()
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
            string? eventName = null, eventId = null;
            while (!_stop.IsCancellationRequested && await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    eventName = line[7..];
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    eventId = line[4..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "match")
                {
                    var match = JsonNode.Parse(line[6..])!.AsObject();
                    match["eventId"] = eventId;
                    await _events.Writer.WriteAsync(match);
                }
                else if (line.Length == 0)
                {
                    eventName = null;
                    eventId = null;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            try
            {
                await _reader;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Stopped on purpose.
            }
        }
    }

    [Fact]
    public async Task LotAndDemand_AreProposedInBothInboxesAndStreams_ThenAcceptAndConfirm_MoveTheLotsQuantities()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        using var buyerClient = Server.Client(buyer);
        await using var sellerStream = await EventStream.OpenAsync(sellerClient);
        await using var buyerStream = await EventStream.OpenAsync(buyerClient);
        var at = RandomPlace();

        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));

        // The proposal is pushed on both streams and listed in both inboxes.
        var pushed = await buyerStream.NextAsync(e => e["lotId"]!.GetValue<string>() == lot);
        Assert.Equal(("proposed", "buyer", demand, 300m), (pushed["status"]!.GetValue<string>(), pushed["role"]!.GetValue<string>(),
            pushed["demandId"]!.GetValue<string>(), pushed["quantity"]!.GetValue<decimal>()));
        var id = pushed["id"]!.GetValue<string>();
        Assert.Equal("seller", (await sellerStream.NextAsync(e => e["id"]!.GetValue<string>() == id))["role"]!.GetValue<string>());
        var buyerInbox = await ReadAsync(await buyerClient.GetAsync("/api/v1/matches?status=proposed&role=buyer"), HttpStatusCode.OK);
        Assert.Contains(buyerInbox["items"]!.AsArray(), m => m!["id"]!.GetValue<string>() == id);
        var sellerInbox = await ReadAsync(await sellerClient.GetAsync("/api/v1/matches?role=seller"), HttpStatusCode.OK);
        Assert.Contains(sellerInbox["items"]!.AsArray(), m => m!["id"]!.GetValue<string>() == id);
        Assert.Empty((await ReadAsync(await sellerClient.GetAsync("/api/v1/matches?role=buyer"), HttpStatusCode.OK))["items"]!.AsArray());

        // The seller cannot accept for the buyer; the buyer accepts, which holds 300 of the lot.
        await ProblemAsync(await sellerClient.PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.Forbidden, "buyer-only");
        var accepted = await ReadAsync(await buyerClient.PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.OK);
        Assert.Equal("accepted", accepted["status"]!.GetValue<string>());
        Assert.Equal("accepted", (await sellerStream.NextAsync(e => e["id"]!.GetValue<string>() == id && e["status"]!.GetValue<string>() == "accepted"))["status"]!.GetValue<string>());
        var held = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal((700m, 300m, 0m), Quantities(held));

        // The seller confirms: sold up, held back to zero, and the demand is fulfilled.
        await ProblemAsync(await buyerClient.PostAsync($"/api/v1/matches/{id}/confirm", null), HttpStatusCode.Forbidden, "seller-only");
        var confirmed = await ReadAsync(await sellerClient.PostAsync($"/api/v1/matches/{id}/confirm", null), HttpStatusCode.OK);
        Assert.Equal("confirmed", confirmed["status"]!.GetValue<string>());
        await buyerStream.NextAsync(e => e["id"]!.GetValue<string>() == id && e["status"]!.GetValue<string>() == "confirmed");
        var sold = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal((700m, 0m, 300m), Quantities(sold));
        var fulfilled = await ReadAsync(await buyerClient.GetAsync($"/api/v1/demands/{demand}"), HttpStatusCode.OK);
        Assert.Equal(("fulfilled", 300m), (fulfilled["status"]!.GetValue<string>(), fulfilled["bought"]!.GetValue<decimal>()));
        await ProblemAsync(await buyerClient.PostAsync($"/api/v1/matches/{id}/decline", null), HttpStatusCode.Conflict, "match-not-open");

        // The seller cancels the match's accepted order: the lot gets its 300 back and the demand wants them again.
        var orderId = accepted["orderId"]!.GetValue<string>();
        await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "The pallets were damaged in storage" }), HttpStatusCode.OK);
        Assert.Equal((1000m, 0m, 0m), Quantities(await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
        var reopened = await ReadAsync(await buyerClient.GetAsync($"/api/v1/demands/{demand}"), HttpStatusCode.OK);
        Assert.Equal(("open", 0m), (reopened["status"]!.GetValue<string>(), reopened["bought"]!.GetValue<decimal>()));
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "Again" }), HttpStatusCode.Conflict, "invalid-transition");
        Assert.Equal(0m, (await ReadAsync(await buyerClient.GetAsync($"/api/v1/demands/{demand}"), HttpStatusCode.OK))["bought"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Stream_ReconnectingWithLastEventId_ReplaysWhatChangedMeanwhile()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var buyerClient = Server.Client(buyer);
        var at = RandomPlace();
        string id, lastSeen;
        await using (var stream = await EventStream.OpenAsync(buyerClient))
        {
            var lot = await ActiveLotAsync(Server, seller, 1000, at);
            await DemandAsync(Server, buyer, Demand(300, at));
            var proposed = await stream.NextAsync(e => e["lotId"]!.GetValue<string>() == lot);
            id = proposed["id"]!.GetValue<string>();
            lastSeen = proposed["eventId"]!.GetValue<string>();
        }

        // While the buyer is away the seller declines; on reconnecting the buyer is told at once.
        await ReadAsync(await Server.Client(seller).PostAsync($"/api/v1/matches/{id}/decline", null), HttpStatusCode.OK);
        await using var resumed = await EventStream.OpenAsync(buyerClient, lastSeen);

        var missed = await resumed.NextAsync(e => e["id"]!.GetValue<string>() == id);
        Assert.Equal(("declined", "declined-by-seller"), (missed["status"]!.GetValue<string>(), missed["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Match_IsPrivateToItsTwoTraders_AndBadFiltersAre422()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var outsider = await RegisterFirmAsync(Server, "seller", "buyer");
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(Server.Client(buyer), lot, demand))["id"]!.GetValue<string>();
        using var client = Server.Client(outsider);

        await ProblemAsync(await client.GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.NotFound, "match-not-found");
        await ProblemAsync(await client.PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.NotFound, "match-not-found");
        await ProblemAsync(await client.PostAsync($"/api/v1/matches/{id}/decline", null), HttpStatusCode.NotFound, "match-not-found");
        await ProblemAsync(await client.PostAsync("/api/v1/matches/no-such-match/accept", null), HttpStatusCode.NotFound, "match-not-found");
        Assert.DoesNotContain((await ReadAsync(await client.GetAsync("/api/v1/matches"), HttpStatusCode.OK))["items"]!.AsArray(), m => m!["id"]!.GetValue<string>() == id);
        await ProblemAsync(await client.GetAsync("/api/v1/matches?status=maybe"), HttpStatusCode.UnprocessableEntity, "validation-failed", "status");
        await ProblemAsync(await client.GetAsync("/api/v1/matches?role=broker"), HttpStatusCode.UnprocessableEntity, "validation-failed", "role");
    }

    [Fact]
    public async Task Accept_WhenTheLotNoLongerHasTheQuantity_Is409_AndTheMatchSaysSo()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var rival = await RegisterFirmAsync(Server, "buyer");
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 400, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(Server.Client(buyer), lot, demand))["id"]!.GetValue<string>();
        await ReadAsync(await Server.Client(rival).PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 350 }), HttpStatusCode.Created);

        var problem = await ProblemAsync(await Server.Client(buyer).PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.Conflict, "match-quantity-gone");

        Assert.Equal(50m, problem["available"]!.GetValue<decimal>());
        // The rival's hold reaches the partition one-way, possibly after the accept expired the match: the pair may then
        // be proposed again for what is left. Either way the match never offers more than the lot still has.
        var match = await ReadAsync(await Server.Client(buyer).GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.OK);
        var status = match["status"]!.GetValue<string>();
        if (status == "expired")
        {
            Assert.Equal("quantity-gone", match["reason"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal("proposed", status);
            Assert.InRange(match["quantity"]!.GetValue<decimal>(), 0.001m, 50m);
        }

        Assert.Equal(350m, (await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["held"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Accept_AfterTheLotsPriceRosePastTheDemandsMaximum_Is409_AndHoldsNothing()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(Server.Client(buyer), lot, demand))["id"]!.GetValue<string>();
        // The demand pays at most 0.60 a piece; the seller asks 0.45, then 3.00.
        await ReadAsync(await Server.Client(seller).PatchAsJsonAsync($"/api/v1/listings/{lot}", new { unitPrice = new { minorUnits = 300, currency = "EUR" } }), HttpStatusCode.OK);

        // Before, the buyer's acceptance ordered at five times its maximum price (probe 30).
        var problem = await ProblemAsync(await Server.Client(buyer).PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.Conflict, "match-no-longer-fits");

        Assert.Equal("no-longer-fits", problem["reason"]!.GetValue<string>());
        Assert.Equal(0m, (await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["held"]!.GetValue<decimal>());
        Assert.Equal("expired", (await ReadAsync(await Server.Client(buyer).GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Accept_AfterTheDemandWasCancelled_Is409_AndHoldsNothing()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(Server.Client(buyer), lot, demand))["id"]!.GetValue<string>();
        await ReadAsync(await Server.Client(buyer).PostAsync($"/api/v1/demands/{demand}/cancel", null), HttpStatusCode.OK);

        var problem = await ProblemAsync(await Server.Client(buyer).PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.Conflict, "match-demand-closed");

        Assert.Equal("demand-closed", problem["reason"]!.GetValue<string>());
        Assert.Equal(0m, (await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["quantities"]!["held"]!.GetValue<decimal>());
        Assert.Equal("expired", (await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task HoldOfAMatch_ThroughTheHoldsApi_Is409HoldBelongsToItsOrder()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(Server.Client(buyer), lot, demand))["id"]!.GetValue<string>();
        var accepted = await ReadAsync(await Server.Client(buyer).PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.OK);
        var hold = accepted["holdId"]!.GetValue<string>();

        // The acceptance placed the match's order, which holds the hold for the match.
        var release = await ProblemAsync(await Server.Client(buyer).DeleteAsync($"/api/v1/listings/{lot}/holds/{hold}"), HttpStatusCode.Conflict, "hold-belongs-to-order");
        await ProblemAsync(await Server.Client(seller).PostAsync($"/api/v1/listings/{lot}/holds/{hold}/confirm", null), HttpStatusCode.Conflict, "hold-belongs-to-order");

        Assert.Equal(accepted["orderId"]!.GetValue<string>(), release["orderId"]!.GetValue<string>());

        // Nor is its order accepted around the match: the demand would not record the purchase.
        var direct = await ProblemAsync(await Server.Client(seller).PostAsync($"/api/v1/orders/{accepted["orderId"]!.GetValue<string>()}/accept", null),
            HttpStatusCode.Conflict, "order-belongs-to-match");
        Assert.Equal(id, direct["matchId"]!.GetValue<string>());
        Assert.Equal((700m, 300m, 0m), Quantities(await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
        await ReadAsync(await Server.Client(seller).PostAsync($"/api/v1/matches/{id}/confirm", null), HttpStatusCode.OK);
        Assert.Equal((700m, 0m, 300m), Quantities(await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Accept_WithCheckoutDetails_PlacesItsOrderOnce_ConfirmAcceptsIt_BadDetailsAre422()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(buyerClient, lot, demand))["id"]!.GetValue<string>();

        // Refused details: 422 naming the field; nothing stays held and the match can still be accepted.
        var bad = new JsonObject { ["fulfilment"] = "teleport" };
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/matches/{id}/accept", bad), HttpStatusCode.UnprocessableEntity, "validation-failed", "fulfilment");
        Assert.Equal("proposed", (await ReadAsync(await buyerClient.GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
        Assert.Equal((1000m, 0m, 0m), Quantities(await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));

        var details = new JsonObject
        {
            ["fulfilment"] = "pickup",
            ["paymentMethod"] = "invoice",
            ["address"] = new JsonObject { ["address"] = "Työmaa 5", ["postalCode"] = "00100", ["municipality"] = "Helsinki", ["latitude"] = at.Latitude, ["longitude"] = at.Longitude },
            ["invoicing"] = new JsonObject { ["email"] = "ap@buyer.example" },
        };
        using var accept = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/matches/{id}/accept") { Content = JsonBody(details.ToJsonString()) };
        accept.Headers.Add("Idempotency-Key", "accept-" + id);
        var accepted = await ReadAsync(await buyerClient.SendAsync(accept), HttpStatusCode.OK);
        var orderId = accepted["orderId"]!.GetValue<string>();
        Assert.Equal("accepted", accepted["status"]!.GetValue<string>());

        // The same request again (a client's retry) is answered as the first: one hold, one order.
        using var again = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/matches/{id}/accept") { Content = JsonBody(details.ToJsonString()) };
        again.Headers.Add("Idempotency-Key", "accept-" + id);
        using var replay = await buyerClient.SendAsync(again);
        Assert.Equal(orderId, (await ReadAsync(replay, HttpStatusCode.OK))["orderId"]!.GetValue<string>());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal((700m, 300m, 0m), Quantities(await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
        Assert.Equal(orderId, (await ReadAsync(await sellerClient.GetAsync($"/api/v1/matches/{id}"), HttpStatusCode.OK))["orderId"]!.GetValue<string>());
        var placed = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.OK);
        Assert.Equal((id, "placed", accepted["holdId"]!.GetValue<string>()), (placed["matchId"]!.GetValue<string>(), placed["status"]!.GetValue<string>(), placed["holdId"]!.GetValue<string>()));

        // The seller's confirmation accepts the order: sold once.
        var confirmed = await ReadAsync(await sellerClient.PostAsync($"/api/v1/matches/{id}/confirm", null), HttpStatusCode.OK);
        Assert.Equal(("confirmed", orderId), (confirmed["status"]!.GetValue<string>(), confirmed["orderId"]!.GetValue<string>()));
        Assert.Equal((700m, 0m, 300m), Quantities(await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
        Assert.Equal("accepted", (await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
        await ProblemAsync(await sellerClient.PostAsync($"/api/v1/matches/{id}/confirm", null), HttpStatusCode.Conflict, "match-not-accepted");
        Assert.Equal((700m, 0m, 300m), Quantities(await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Decline_AfterAccept_CancelsTheMatchsOrder_AndFreesTheQuantity()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var buyerClient = Server.Client(buyer);
        var at = RandomPlace();
        var lot = await ActiveLotAsync(Server, seller, 1000, at);
        var demand = await DemandAsync(Server, buyer, Demand(300, at));
        var id = (await MatchAsync(buyerClient, lot, demand))["id"]!.GetValue<string>();
        var orderId = (await ReadAsync(await buyerClient.PostAsync($"/api/v1/matches/{id}/accept", null), HttpStatusCode.OK))["orderId"]!.GetValue<string>();

        await ReadAsync(await buyerClient.PostAsync($"/api/v1/matches/{id}/decline", null), HttpStatusCode.OK);

        var order = await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.OK);
        Assert.Equal(("cancelled", id), (order["status"]!.GetValue<string>(), order["matchId"]!.GetValue<string>()));
        Assert.Equal((1000m, 0m, 0m), Quantities(await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK)));
    }

    private static (decimal Available, decimal Held, decimal Sold) Quantities(JsonObject listing)
        => (listing["quantities"]!["available"]!.GetValue<decimal>(), listing["quantities"]!["held"]!.GetValue<decimal>(), listing["quantities"]!["sold"]!.GetValue<decimal>());
}
