using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Demands;

/// <summary>Demands over HTTP: validation, ownership, PATCH, cancel, listing a firm's demands, idempotency.</summary>
[Collection(ApiCollection.Name)]
public class DemandsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Post_Is201_ThenTheBuyerReadsChangesAndCancelsIt()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);

        var response = await client.PostAsJsonAsync("/api/v1/demands", Demand(300));
        var created = await ReadAsync(response, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/demands/{id}", response.Headers.Location?.ToString());
        Assert.Equal(("open", 300m, "masonry", "B"), (created["status"]!.GetValue<string>(), created["remaining"]!.GetValue<decimal>(),
            created["category"]!.GetValue<string>(), created["minCondition"]!.GetValue<string>()));

        var changed = await ReadAsync(await client.PatchAsJsonAsync($"/api/v1/demands/{id}", new { radiusKm = 60, quantity = 500 }), HttpStatusCode.OK);
        Assert.Equal((60d, 500m, 2L), (changed["radiusKm"]!.GetValue<double>(), changed["quantity"]!.GetValue<decimal>(), changed["version"]!.GetValue<long>()));
        Assert.Equal(60d, (await ReadAsync(await client.GetAsync($"/api/v1/demands/{id}"), HttpStatusCode.OK))["radiusKm"]!.GetValue<double>());

        var cancelled = await ReadAsync(await client.PostAsync($"/api/v1/demands/{id}/cancel", null), HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        await ProblemAsync(await client.PostAsync($"/api/v1/demands/{id}/cancel", null), HttpStatusCode.Conflict, "demand-closed");
        await ProblemAsync(await client.PatchAsJsonAsync($"/api/v1/demands/{id}", new { radiusKm = 10 }), HttpStatusCode.Conflict, "demand-closed");
    }

    [Theory]
    [InlineData("category", "\"bricks-and-mortar\"")]
    [InlineData("quantity", "0")]
    [InlineData("unit", "\"barrels\"")]
    [InlineData("minPart", "5000")]
    [InlineData("minCondition", "\"D\"")]
    [InlineData("minCondition", "\"0\"")]
    [InlineData("maxUnitPrice", "{\"minorUnits\": 100000000001, \"currency\": \"EUR\"}")]
    [InlineData("radiusKm", "900")]
    [InlineData("radiusKm", "201")]
    [InlineData("location", "{\"latitude\": 59.3293, \"longitude\": 18.0686}")]
    [InlineData("location", "{\"latitude\": 91, \"longitude\": 24.9}")]
    [InlineData("window", "{\"from\": \"2020-01-10\", \"to\": \"2020-01-01\"}")]
    [InlineData("window", "{\"from\": \"2027-01-10\", \"to\": \"9999-12-31\"}")]
    [InlineData("expiresAt", "\"9999-12-31T23:59:59.9999999+00:00\"")]
    [InlineData("maxUnitPrice", "{\"minorUnits\": -5, \"currency\": \"EUR\"}")]
    public async Task Post_BadField_Is422NamingIt_AndStoresNothing(string field, string json)
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);
        var body = Demand().With(d => d[field] = JsonNode.Parse(json));

        await ProblemAsync(await client.PostAsync("/api/v1/demands", JsonBody(body.ToJsonString())), HttpStatusCode.UnprocessableEntity, "validation-failed", field);

        var page = await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands"), HttpStatusCode.OK);
        Assert.Empty(page["items"]!.AsArray());
    }

    /// <summary>
    /// An expiry the buyer chose survives a patch that sends the window unchanged or empty (probe 25 saw it reset to the
    /// window's end), while an expiry that was the window's end follows a window that moves.
    /// </summary>
    [Fact]
    public async Task Patch_WithTheWindow_KeepsAChosenExpiry_AndMovesADefaultOne()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);
        var chosen = Demand(100);
        var expiresAt = DateTimeOffset.UtcNow.AddDays(5).ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture);
        chosen["expiresAt"] = expiresAt;
        var created = await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", chosen), HttpStatusCode.Created);
        var url = $"/api/v1/demands/{created["id"]!.GetValue<string>()}";
        var expiry = created["expiresAt"]!.GetValue<DateTimeOffset>();

        foreach (var window in new object[] { new { }, new { to = created["window"]!["to"]!.GetValue<string>() } })
        {
            var patched = await ReadAsync(await client.PatchAsJsonAsync(url, new { window }), HttpStatusCode.OK);
            Assert.Equal(expiry, patched["expiresAt"]!.GetValue<DateTimeOffset>());
        }

        var moved = DateOnly.Parse(created["window"]!["to"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddDays(10);
        Assert.Equal(expiry, (await ReadAsync(await client.PatchAsJsonAsync(url, new { window = new { to = moved.ToString("yyyy-MM-dd") } }), HttpStatusCode.OK))["expiresAt"]!.GetValue<DateTimeOffset>());

        // A demand whose expiry is its window's end (the default) takes it along.
        var plain = await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand(100)), HttpStatusCode.Created);
        var plainUrl = $"/api/v1/demands/{plain["id"]!.GetValue<string>()}";
        var plainTo = DateOnly.Parse(plain["window"]!["to"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var followed = await ReadAsync(await client.PatchAsJsonAsync(plainUrl, new { window = new { to = plainTo.AddDays(10).ToString("yyyy-MM-dd") } }), HttpStatusCode.OK);
        Assert.True(followed["expiresAt"]!.GetValue<DateTimeOffset>() > plain["expiresAt"]!.GetValue<DateTimeOffset>(), "the default expiry did not follow the window");
    }

    [Fact]
    public async Task Patch_TwoConcurrentEditsOfDifferentNestedMembers_BothSurvive()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);
        var url = $"/api/v1/demands/{await DemandAsync(Server, buyer)}";
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        for (var round = 0; round < 10; round++)
        {
            var (from, to) = (today.AddDays(2 + round), today.AddDays(40 + round));
            var (latitude, longitude) = (60.2 + (round * 0.01), 24.6 + (round * 0.01));
            var answers = await Task.WhenAll(
                client.PatchAsJsonAsync(url, new { window = new { from = from.ToString("yyyy-MM-dd") }, location = new { latitude } }),
                client.PatchAsJsonAsync(url, new { window = new { to = to.ToString("yyyy-MM-dd") }, location = new { longitude } }));
            foreach (var answer in answers)
            {
                await ReadAsync(answer, HttpStatusCode.OK);
            }

            var demand = await ReadAsync(await client.GetAsync(url), HttpStatusCode.OK);
            Assert.Equal((from.ToString("yyyy-MM-dd"), to.ToString("yyyy-MM-dd")), (demand["window"]!["from"]!.GetValue<string>(), demand["window"]!["to"]!.GetValue<string>()));
            Assert.Equal((latitude, longitude), (demand["location"]!["latitude"]!.GetValue<double>(), demand["location"]!["longitude"]!.GetValue<double>()));
        }
    }

    [Fact]
    public async Task Post_AtLatitude89WithRadius500_Is422NamingLocationAndRadius_AndStoresNothing()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);
        var body = Demand().With(d =>
        {
            d["location"] = new JsonObject { ["latitude"] = 89, ["longitude"] = 25 };
            d["radiusKm"] = 500;
        });

        var problem = await ProblemAsync(await client.PostAsync("/api/v1/demands", JsonBody(body.ToJsonString())), HttpStatusCode.UnprocessableEntity, "validation-failed", "location");
        Assert.NotNull(problem["errors"]!["radiusKm"]);
        Assert.Empty((await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands"), HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task Post_MalformedJson_Is400_AndByASellerOnlyFirm_Is403()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await ProblemAsync(await Server.Client(buyer).PostAsync("/api/v1/demands", JsonBody("{\"quantity\": ")), HttpStatusCode.BadRequest, "malformed-json");

        var seller = await RegisterFirmAsync(Server, "seller");
        await ProblemAsync(await Server.Client(seller).PostAsJsonAsync("/api/v1/demands", Demand()), HttpStatusCode.Forbidden, "role-required");
    }

    [Fact]
    public async Task AnotherFirm_NeitherSeesNorChangesNorListsADemand()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var other = await RegisterFirmAsync(Server, "buyer");
        var id = await DemandAsync(Server, buyer);
        using var client = Server.Client(other);

        await ProblemAsync(await client.GetAsync($"/api/v1/demands/{id}"), HttpStatusCode.NotFound, "demand-not-found");
        await ProblemAsync(await client.PatchAsJsonAsync($"/api/v1/demands/{id}", new { radiusKm = 10 }), HttpStatusCode.NotFound, "demand-not-found");
        await ProblemAsync(await client.PostAsync($"/api/v1/demands/{id}/cancel", null), HttpStatusCode.NotFound, "demand-not-found");
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands"), HttpStatusCode.Forbidden, "own-firm-only");
        Assert.Equal("open", (await ReadAsync(await Server.Client(buyer).GetAsync($"/api/v1/demands/{id}"), HttpStatusCode.OK))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TraderDemands_AreListedOldestFirst_PagedAndFilteredByStatus()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await DemandAsync(Server, buyer));
        }

        using var client = Server.Client(buyer);
        await ReadAsync(await client.PostAsync($"/api/v1/demands/{ids[1]}/cancel", null), HttpStatusCode.OK);

        var first = await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands?limit=2"), HttpStatusCode.OK);
        var second = await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands?limit=2&cursor={first["nextCursor"]!.GetValue<string>()}"), HttpStatusCode.OK);
        Assert.Equal(ids, first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(d => d!["id"]!.GetValue<string>()));
        var open = await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands?status=open"), HttpStatusCode.OK);
        Assert.Equal([ids[0], ids[2]], open["items"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()));
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands?status=sleeping"), HttpStatusCode.UnprocessableEntity, "validation-failed", "status");
    }

    [Fact]
    public async Task Post_RetriedWithTheSameIdempotencyKey_CreatesOneDemand()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var client = Server.Client(buyer);
        var key = Guid.NewGuid().ToString();

        async Task<JsonObject> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/demands") { Content = JsonBody(Demand().ToJsonString()) };
            request.Headers.Add("Idempotency-Key", key);
            return await ReadAsync(await client.SendAsync(request), HttpStatusCode.Created);
        }

        var first = await PostAsync();
        var retry = await PostAsync();

        Assert.Equal(first["id"]!.GetValue<string>(), retry["id"]!.GetValue<string>());
        var page = await ReadAsync(await client.GetAsync($"/api/v1/traders/{buyer}/demands"), HttpStatusCode.OK);
        Assert.Single(page["items"]!.AsArray());
    }
}
