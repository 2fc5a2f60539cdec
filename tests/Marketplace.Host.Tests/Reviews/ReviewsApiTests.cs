using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Api;
using Marketplace.Host.Tests.Orders;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Reviews;

/// <summary>Reviews over HTTP: after a completed order each side rates the other once; profiles show count and average; reports reach admins.</summary>
[Collection(ApiCollection.Name)]
public class ReviewsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    /// <summary>The buyer buys 100 of a new lot of the seller, which is accepted, handed over and completed; returns the order id.</summary>
    internal static async Task<string> CompletedOrderAsync(MarketplaceServer server, string seller, string buyer)
    {
        var order = (await PlacedOrderAsync(server, seller, buyer)).Id();
        using var sellerClient = server.Client(seller);
        using var buyerClient = server.Client(buyer);
        await OrderDriver.StepAsync(sellerClient, order, "accept");
        await OrderDriver.StepAsync(buyerClient, order, "handover");
        Assert.Equal("completed", (await OrderDriver.StepAsync(buyerClient, order, "complete")).Status());
        return order;
    }

    private static async Task<JsonObject> PlacedOrderAsync(MarketplaceServer server, string seller, string buyer)
    {
        var lot = await ActiveLotAsync(server, seller);
        using var buyerClient = server.Client(buyer);
        return await OrderDriver.PlaceAsync(buyerClient, lot, 100);
    }

    private static JsonObject Review(string orderId, int rating, string text) => new() { ["orderId"] = orderId, ["rating"] = rating, ["text"] = text };

    [Fact]
    public async Task EachSide_RatesTheOtherOnce_AndAnyoneSeesCountAndAverage_Paged()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer", "seller");
        var first = await CompletedOrderAsync(Server, seller, buyer);
        var second = await CompletedOrderAsync(Server, seller, buyer);

        var ofSeller = await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/traders/{seller}/reviews", Review(first, 5, "  Clean bricks, on time.  ")), HttpStatusCode.Created);
        Assert.Equal(("Clean bricks, on time.", 5, buyer, "buyer", seller), (ofSeller["text"]!.GetValue<string>(), ofSeller["rating"]!.GetValue<int>(),
            ofSeller["authorId"]!.GetValue<string>(), ofSeller["authorRole"]!.GetValue<string>(), ofSeller["traderId"]!.GetValue<string>()));
        await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/traders/{seller}/reviews", Review(second, 2, "Late.")), HttpStatusCode.Created);
        var ofBuyer = await ReadAsync(await Server.Client(seller).PostAsJsonAsync($"/api/v1/traders/{buyer}/reviews", Review(first, 4, "Paid promptly.")), HttpStatusCode.Created);
        Assert.Equal("seller", ofBuyer["authorRole"]!.GetValue<string>());

        using var anonymous = Server.Client();
        var page = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/reviews?limit=1"), HttpStatusCode.OK);
        Assert.Equal((2, 3.5m), (page["count"]!.GetValue<int>(), page["average"]!.GetValue<decimal>()));
        Assert.Equal("Late.", Assert.Single(page["items"]!.AsArray())!["text"]!.GetValue<string>());
        var next = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/reviews?limit=1&cursor={page["nextCursor"]!.GetValue<string>()}"), HttpStatusCode.OK);
        Assert.Equal(ofSeller["id"]!.GetValue<string>(), Assert.Single(next["items"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Null(next["nextCursor"]);
        Assert.DoesNotContain("writtenBy", page.ToJsonString(), StringComparison.Ordinal);

        var profile = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}"), HttpStatusCode.OK);
        Assert.Equal((2, 3.5m), (profile["reviews"]!["count"]!.GetValue<int>(), profile["reviews"]!["average"]!.GetValue<decimal>()));
        var buyerProfile = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{buyer}"), HttpStatusCode.OK);
        Assert.Equal((1, 4m), (buyerProfile["reviews"]!["count"]!.GetValue<int>(), buyerProfile["reviews"]!["average"]!.GetValue<decimal>()));
        var unrated = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{await RegisterFirmAsync(Server, "buyer")}"), HttpStatusCode.OK);
        Assert.Equal(0, unrated["reviews"]!["count"]!.GetValue<int>());
        Assert.Null(unrated["reviews"]!["average"]);
    }

    [Fact]
    public async Task Review_RetriedIsDoneOnce_ASecondOneIs409_OthersAre403_NotCompletedIs409_BadInputIs422()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var stranger = await RegisterFirmAsync(Server, "buyer");
        var order = await CompletedOrderAsync(Server, seller, buyer);
        using var buyerClient = Server.Client(buyer);
        var path = $"/api/v1/traders/{seller}/reviews";

        // With an Idempotency-Key the answer is replayed; without one the same review is answered as the first.
        using var keyed = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonBody(Review(order, 4, "Good").ToJsonString()) };
        keyed.Headers.Add("Idempotency-Key", "review-" + order);
        var first = await ReadAsync(await buyerClient.SendAsync(keyed), HttpStatusCode.Created);
        using var replayed = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonBody(Review(order, 4, "Good").ToJsonString()) };
        replayed.Headers.Add("Idempotency-Key", "review-" + order);
        using var replay = await buyerClient.SendAsync(replayed);
        Assert.Equal(first["id"]!.GetValue<string>(), (await ReadAsync(replay, HttpStatusCode.Created))["id"]!.GetValue<string>());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var again = await ReadAsync(await buyerClient.PostAsJsonAsync(path, Review(order, 4, "Good")), HttpStatusCode.Created);
        Assert.Equal(first["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review(order, 1, "Changed my mind")), HttpStatusCode.Conflict, "review-exists");
        Assert.Equal(1, (await ReadAsync(await buyerClient.GetAsync(path), HttpStatusCode.OK))["count"]!.GetValue<int>());

        // Not a party, rating oneself, an unknown order: 403 alike, so order ids cannot be probed.
        await ProblemAsync(await Server.Client(stranger).PostAsJsonAsync(path, Review(order, 1, "Never bought")), HttpStatusCode.Forbidden, "not-order-party");
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/traders/{buyer}/reviews", Review(order, 5, "Great me")), HttpStatusCode.Forbidden, "not-order-party");
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/traders/{stranger}/reviews", Review(order, 5, "Who?")), HttpStatusCode.Forbidden, "not-order-party");
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review("no-such-order", 5, "x")), HttpStatusCode.Forbidden, "not-order-party");
        await ProblemAsync(await buyerClient.PostAsJsonAsync("/api/v1/traders/nobody/reviews", Review(order, 5, "x")), HttpStatusCode.NotFound, "trader-not-found");

        // An order not completed yet.
        var placed = (await PlacedOrderAsync(Server, seller, buyer)).Id();
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review(placed, 5, "Too early")), HttpStatusCode.Conflict, "order-not-completed");

        // Bad input names the field.
        var other = await CompletedOrderAsync(Server, seller, buyer);
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review(other, 6, "x")), HttpStatusCode.UnprocessableEntity, "validation-failed", "rating");
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review(other, 3, "   ")), HttpStatusCode.UnprocessableEntity, "validation-failed", "text");
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, Review(other, 3, new string('x', 501))), HttpStatusCode.UnprocessableEntity, "validation-failed", "text");
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, new { rating = 3, text = "x" }), HttpStatusCode.UnprocessableEntity, "validation-failed", "orderId");
        await ProblemAsync(await buyerClient.PostAsJsonAsync(path, new { orderId = other, rating = "five", text = "x" }), HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await Server.Client().PostAsJsonAsync(path, Review(other, 3, "x")), HttpStatusCode.Unauthorized, "unauthenticated");
        await ProblemAsync(await Server.Client().GetAsync("/api/v1/traders/nobody/reviews"), HttpStatusCode.NotFound, "trader-not-found");
        Assert.Equal(1, (await ReadAsync(await buyerClient.GetAsync(path), HttpStatusCode.OK))["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Report_ReachesPlatformAdmins_OncePerFirm()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var reporter = await RegisterFirmAsync(Server, "buyer");
        var order = await CompletedOrderAsync(Server, seller, buyer);
        var review = (await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/traders/{seller}/reviews", Review(order, 1, "Crooks, all of them")), HttpStatusCode.Created))["id"]!.GetValue<string>();
        using var client = Server.Client(reporter);
        var path = $"/api/v1/reviews/{review}/reports";

        var report = await ReadAsync(await client.PostAsJsonAsync(path, new { reason = " Insulting " }), HttpStatusCode.Created);
        Assert.Equal(("Insulting", reporter, review), (report["reason"]!.GetValue<string>(), report["reporterId"]!.GetValue<string>(), report["review"]!["id"]!.GetValue<string>()));
        Assert.Equal(report["id"]!.GetValue<string>(), (await ReadAsync(await client.PostAsJsonAsync(path, new { reason = "Insulting" }), HttpStatusCode.Created))["id"]!.GetValue<string>());
        await ProblemAsync(await client.PostAsJsonAsync(path, new { reason = "Spam" }), HttpStatusCode.Conflict, "review-already-reported");
        await ProblemAsync(await client.PostAsJsonAsync(path, new { reason = "" }), HttpStatusCode.UnprocessableEntity, "validation-failed", "reason");
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/reviews/{seller}.00000000000000000000/reports", new { reason = "x" }), HttpStatusCode.NotFound, "review-not-found");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/reviews/garbage/reports", new { reason = "x" }), HttpStatusCode.NotFound, "review-not-found");
        await ProblemAsync(await Server.Client().PostAsJsonAsync(path, new { reason = "x" }), HttpStatusCode.Unauthorized, "unauthenticated");

        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        var reports = await ReadAsync(await admin.GetAsync("/api/v1/admin/review-reports?limit=100"), HttpStatusCode.OK);
        var listed = Assert.Single(reports["items"]!.AsArray(), r => r!["review"]!["id"]!.GetValue<string>() == review)!;
        Assert.Equal(("Insulting", "Crooks, all of them"), (listed["reason"]!.GetValue<string>(), listed["review"]!["text"]!.GetValue<string>()));
        await ProblemAsync(await client.GetAsync("/api/v1/admin/review-reports"), HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await admin.GetAsync("/api/v1/admin/review-reports?limit=0"), HttpStatusCode.UnprocessableEntity, "validation-failed", "limit");

        // Once hidden, another firm's report finds no review: the answer would carry its text and the admins' reason.
        await ReadAsync(await admin.PostAsJsonAsync($"/api/v1/reviews/{review}/hide", new { reason = "Admins only: legal case 123" }), HttpStatusCode.OK);
        using var another = Server.Client(await RegisterFirmAsync(Server, "seller"));
        var refused = await another.PostAsJsonAsync(path, new { reason = "Insulting" });
        await ProblemAsync(refused, HttpStatusCode.NotFound, "review-not-found");
        Assert.DoesNotContain("legal case", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
