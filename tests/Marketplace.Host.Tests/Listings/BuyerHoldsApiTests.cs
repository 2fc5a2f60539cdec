using System.Net;
using System.Net.Http.Json;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Listings;

[Collection(ApiCollection.Name)]
public class BuyerHoldsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task ListHolds_AcrossLots_OwnOnlyNewestFirst_FilteredAndPaged()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var other = await RegisterFirmAsync(Server, "buyer");
        var first = await ActiveLotAsync(Server, seller, 100);
        var second = await ActiveLotAsync(Server, seller, 100);
        using var client = Server.Client(buyer);
        var released = await HoldAsync(client, first, 10);
        await ReadAsync(await client.DeleteAsync($"/api/v1/listings/{first}/holds/{released}"), HttpStatusCode.OK);
        var active = await HoldAsync(client, second, 20);
        await HoldAsync(Server.Client(other), second, 30);

        var all = await ReadAsync(await client.GetAsync("/api/v1/holds"), HttpStatusCode.OK);
        Assert.Equal([(second, active, "active"), (first, released, "released")], all["items"]!.AsArray()
            .Select(h => (h!["listingId"]!.GetValue<string>(), h["hold"]!["id"]!.GetValue<string>(), h["hold"]!["status"]!.GetValue<string>())));
        Assert.False(string.IsNullOrEmpty(all["items"]![0]!["title"]!.GetValue<string>()));
        Assert.Equal(20m, all["items"]![0]!["hold"]!["quantity"]!.GetValue<decimal>());
        Assert.Null(all["nextCursor"]);

        var open = await ReadAsync(await client.GetAsync("/api/v1/holds?status=active"), HttpStatusCode.OK);
        Assert.Equal([active], open["items"]!.AsArray().Select(h => h!["hold"]!["id"]!.GetValue<string>()));

        var page1 = await ReadAsync(await client.GetAsync("/api/v1/holds?limit=1"), HttpStatusCode.OK);
        var cursor = page1["nextCursor"]!.GetValue<string>();
        var page2 = await ReadAsync(await client.GetAsync($"/api/v1/holds?limit=1&cursor={cursor}"), HttpStatusCode.OK);
        Assert.Equal(released, page2["items"]![0]!["hold"]!["id"]!.GetValue<string>());

        var seen = await ReadAsync(await Server.Client(seller).GetAsync("/api/v1/holds"), HttpStatusCode.OK);
        Assert.Empty(seen["items"]!.AsArray());
        await ProblemAsync(await client.GetAsync("/api/v1/holds?limit=101"), HttpStatusCode.UnprocessableEntity, "validation-failed", "limit");
        // A value that is no number, or the parameter twice, is named too.
        foreach (var query in new[] { "limit=abc", "limit=5&limit=5", "limit=1e3" })
        {
            var problem = await ProblemAsync(await client.GetAsync("/api/v1/holds?" + query), HttpStatusCode.BadRequest, "bad-request", "limit");
            Assert.DoesNotContain("int?", problem.ToJsonString(), StringComparison.Ordinal);
        }
        await ProblemAsync(await client.GetAsync("/api/v1/holds?status=sold"), HttpStatusCode.UnprocessableEntity, "validation-failed", "status");
        await ProblemAsync(await client.GetAsync("/api/v1/holds?cursor=nonsense"), HttpStatusCode.UnprocessableEntity, "validation-failed", "cursor");
        await ProblemAsync(await Server.Client().GetAsync("/api/v1/holds"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    private static async Task<string> HoldAsync(HttpClient client, string lot, decimal quantity)
        => (await ReadAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity }), HttpStatusCode.Created))["hold"]!["id"]!.GetValue<string>();
}
