using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Api;
using Marketplace.Host.Tests.Reviews;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Admin;

/// <summary>A platform admin verifies firms and hides lots and reviews with a reason; the owner is told.</summary>
[Collection(ApiCollection.Name)]
public class AdminApiTests(ServerFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Verify_ShowsTheBadgePublicly_TheFirstVerificationStands_UnverifyTakesItBack()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        using var anonymous = Server.Client();
        Assert.False((await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{firm}"), HttpStatusCode.OK))["verified"]!.GetValue<bool>());

        var verified = await ReadAsync(await admin.PostAsync($"/api/v1/traders/{firm}/verification", null), HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(verified["verifiedBy"]?.GetValue<string>()));
        var again = await ReadAsync(await admin.PostAsync($"/api/v1/traders/{firm}/verification", null), HttpStatusCode.OK);
        Assert.Equal(verified["verifiedAt"]!.GetValue<DateTimeOffset>(), again["verifiedAt"]!.GetValue<DateTimeOffset>());

        var seen = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{firm}"), HttpStatusCode.OK);
        Assert.True(seen["verified"]!.GetValue<bool>());
        Assert.Equal(verified["verifiedAt"]!.GetValue<DateTimeOffset>(), seen["verifiedAt"]!.GetValue<DateTimeOffset>());
        Assert.Null(seen["verifiedBy"]);

        await ReadAsync(await admin.DeleteAsync($"/api/v1/traders/{firm}/verification"), HttpStatusCode.OK);
        var after = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{firm}"), HttpStatusCode.OK);
        Assert.False(after["verified"]!.GetValue<bool>());
        Assert.Null(after["verifiedAt"]);
        await ProblemAsync(await admin.PostAsync("/api/v1/traders/no-such-firm/verification", null), HttpStatusCode.NotFound, "trader-not-found");
    }

    [Fact]
    public async Task HiddenLot_LeavesSearchPublicReadsAndHolds_TheSellerSeesWhy_UnhideRestoresIt()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var word = "tiilierä" + Guid.NewGuid().ToString("N")[..8];
        using var sellerClient = Server.Client(seller);
        var lot = (await ReadAsync(await sellerClient.PostAsJsonAsync("/api/v1/listings", Lot().With(l => l["title"] = $"Bricks {word}")), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
        using var anonymous = Server.Client();
        async Task<int> FoundAsync() => (await ReadAsync(await anonymous.GetAsync($"/api/v1/listings/search?q={word}"), HttpStatusCode.OK))["total"]!.GetValue<int>();
        Assert.True(await Eventually.TrueAsync(async () => await FoundAsync() == 1, Deadline), "the published lot never reached search");

        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/listings/{lot}/hide", new { reason = "  " }), HttpStatusCode.UnprocessableEntity, "validation-failed", "reason");
        var hidden = await ReadAsync(await admin.PostAsJsonAsync($"/api/v1/listings/{lot}/hide", new { reason = "Asbestos suspected in the mortar" }), HttpStatusCode.OK);
        Assert.Equal("Asbestos suspected in the mortar", hidden["hidden"]!["reason"]!.GetValue<string>());

        await ProblemAsync(await anonymous.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.NotFound, "listing-not-found");
        await ProblemAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 1 }), HttpStatusCode.NotFound, "listing-not-found");
        var publicList = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Empty(publicList["items"]!.AsArray());
        Assert.True(await Eventually.TrueAsync(async () => await FoundAsync() == 0, Deadline), "the hidden lot stayed in search");

        var own = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal(("active", "Asbestos suspected in the mortar"), (own["status"]!.GetValue<string>(), own["hidden"]!["reason"]!.GetValue<string>()));
        var notice = Assert.Single((await ReadAsync(await sellerClient.GetAsync($"/api/v1/traders/{seller}/notices"), HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal(("listing-hidden", lot, "Asbestos suspected in the mortar"),
            (notice["kind"]!.GetValue<string>(), notice["subjectId"]!.GetValue<string>(), notice["reason"]!.GetValue<string>()));
        await ProblemAsync(await Server.Client(buyer).GetAsync($"/api/v1/traders/{seller}/notices"), HttpStatusCode.Forbidden, "firm-members-only");

        await ReadAsync(await admin.PostAsync($"/api/v1/listings/{lot}/unhide", null), HttpStatusCode.OK);
        var back = await ReadAsync(await anonymous.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Null(back["hidden"]);
        Assert.True(await Eventually.TrueAsync(async () => await FoundAsync() == 1, Deadline), "the restored lot never came back to search");
        var notices = (await ReadAsync(await sellerClient.GetAsync($"/api/v1/traders/{seller}/notices"), HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Equal(["listing-restored", "listing-hidden"], notices.Select(x => x!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public async Task HiddenReview_LeavesTheListAndTheAverage_TheAuthorIsTold()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var kind = await RegisterFirmAsync(Server, "buyer");
        using var buyerClient = Server.Client(buyer);
        var rude = (await ReadAsync(await buyerClient.PostAsJsonAsync($"/api/v1/traders/{seller}/reviews",
            new { orderId = await ReviewsApiTests.CompletedOrderAsync(Server, seller, buyer), rating = 1, text = "Crooks!" }), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await Server.Client(kind).PostAsJsonAsync($"/api/v1/traders/{seller}/reviews",
            new { orderId = await ReviewsApiTests.CompletedOrderAsync(Server, seller, kind), rating = 5, text = "Good bricks." }), HttpStatusCode.Created);
        using var anonymous = Server.Client();
        Assert.Equal(3m, (await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/reviews"), HttpStatusCode.OK))["average"]!.GetValue<decimal>());

        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        var hidden = await ReadAsync(await admin.PostAsJsonAsync($"/api/v1/reviews/{rude}/hide", new { reason = "Insults, no facts" }), HttpStatusCode.OK);
        Assert.Equal("Insults, no facts", hidden["hidden"]!["reason"]!.GetValue<string>());

        var list = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/reviews"), HttpStatusCode.OK);
        Assert.Equal((1, 5m), (list["count"]!.GetValue<int>(), list["average"]!.GetValue<decimal>()));
        Assert.Equal("Good bricks.", Assert.Single(list["items"]!.AsArray())!["text"]!.GetValue<string>());
        var profile = await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}"), HttpStatusCode.OK);
        Assert.Equal((1, 5m), (profile["reviews"]!["count"]!.GetValue<int>(), profile["reviews"]!["average"]!.GetValue<decimal>()));
        var notice = Assert.Single((await ReadAsync(await buyerClient.GetAsync($"/api/v1/traders/{buyer}/notices"), HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal(("review-hidden", rude, "Insults, no facts"), (notice["kind"]!.GetValue<string>(), notice["subjectId"]!.GetValue<string>(), notice["reason"]!.GetValue<string>()));

        await ReadAsync(await admin.PostAsync($"/api/v1/reviews/{rude}/unhide", null), HttpStatusCode.OK);
        Assert.Equal(2, (await ReadAsync(await anonymous.GetAsync($"/api/v1/traders/{seller}/reviews"), HttpStatusCode.OK))["count"]!.GetValue<int>());
        await ProblemAsync(await admin.PostAsJsonAsync("/api/v1/reviews/not-a-review/hide", new { reason = "x" }), HttpStatusCode.NotFound, "review-not-found");
    }
}
