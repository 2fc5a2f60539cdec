using System.Net;
using System.Net.Http.Json;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Listings;

[Collection(ApiCollection.Name)]
public class HoldsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    /// <summary>A decimal lot held whole shows 0 available, not 0.0 (the decimal's scale leaked into the JSON: probe 10).</summary>
    [Fact]
    public async Task DecimalLot_HeldWhole_ShowsQuantitiesWithoutTrailingZeros()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        var lot = Lot(2.5m);
        lot["unit"] = "t";
        var id = (await ReadAsync(await sellerClient.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);

        using var held = await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 2.50m });
        var answer = await held.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);
        Assert.Contains("\"available\":0,", answer, StringComparison.Ordinal);
        Assert.Contains("\"held\":2.5,", answer, StringComparison.Ordinal);
        var read = await (await sellerClient.GetAsync($"/api/v1/listings/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("\"quantities\":{\"listed\":2.5,\"available\":0,\"held\":2.5,\"sold\":0}", read, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlaceHold_Is201WithIdAndExpiry_ThenConfirm_SellsIt()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 1000);
        var until = DateTimeOffset.UtcNow.AddDays(7);

        var response = await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 400, until });
        var placed = await ReadAsync(response, HttpStatusCode.Created);
        var holdId = placed["hold"]!["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/listings/{id}/holds/{holdId}", response.Headers.Location?.ToString());
        Assert.Equal(until, placed["hold"]!["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(600m, placed["quantities"]!["available"]!.GetValue<decimal>());

        var confirmed = await ReadAsync(await Server.Client(seller).PostAsync($"/api/v1/listings/{id}/holds/{holdId}/confirm", null), HttpStatusCode.OK);
        Assert.Equal("confirmed", confirmed["hold"]!["status"]!.GetValue<string>());
        Assert.Equal((600m, 0m, 400m), (
            confirmed["quantities"]!["available"]!.GetValue<decimal>(),
            confirmed["quantities"]!["held"]!.GetValue<decimal>(),
            confirmed["quantities"]!["sold"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task PlaceHold_MoreThanAvailable_Is409WithAvailableQuantity()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 10);
        await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 8 }), HttpStatusCode.Created);

        var problem = await ProblemAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 3 }), HttpStatusCode.Conflict, "hold-exceeds-available");

        Assert.Equal(2m, problem["available"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task PlaceHold_InvalidQuantityOrExpiry_Is422()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 10);
        using var client = Server.Client(buyer);

        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 0 }), HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity");
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 1, until = DateTimeOffset.UtcNow.AddDays(-1) }), HttpStatusCode.UnprocessableEntity, "validation-failed", "until");
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 1, until = DateTimeOffset.UtcNow.AddDays(31) }), HttpStatusCode.UnprocessableEntity, "validation-failed", "until");

        // An instant without its offset is refused (it was taken as UTC); with one, local or Z, it is read as given.
        var local = DateTimeOffset.UtcNow.AddDays(2).ToOffset(TimeSpan.FromHours(2));
        await ProblemAsync(await client.PostAsync($"/api/v1/listings/{id}/holds", JsonBody($$"""{"quantity":1,"until":"{{local:yyyy-MM-dd'T'HH:mm:ss}}"}""")), HttpStatusCode.BadRequest, "malformed-json", "until");
        var held = await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/holds", JsonBody($$"""{"quantity":1,"until":"{{local:yyyy-MM-dd'T'HH:mm:sszzz}}"}""")), HttpStatusCode.Created);
        Assert.Equal(local.ToUnixTimeSeconds(), held["hold"]!["expiresAt"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/holds", JsonBody($$"""{"quantity":1,"until":"{{local.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff}}Z"}""")), HttpStatusCode.Created);
    }

    [Fact]
    public async Task ReleaseAndConfirm_AreGuardedByWhoHoldsAndWhoSells()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var stranger = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 10);
        var placed = await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 4 }), HttpStatusCode.Created);
        var holdId = placed["hold"]!["id"]!.GetValue<string>();

        await ProblemAsync(await Server.Client(stranger).DeleteAsync($"/api/v1/listings/{id}/holds/{holdId}"), HttpStatusCode.NotFound, "hold-not-found");
        await ProblemAsync(await Server.Client(buyer).PostAsync($"/api/v1/listings/{id}/holds/{holdId}/confirm", null), HttpStatusCode.Forbidden, "seller-only");
        await ProblemAsync(await Server.Client().DeleteAsync($"/api/v1/listings/{id}/holds/{holdId}"), HttpStatusCode.Unauthorized, "unauthenticated");

        var seenByStranger = await ReadAsync(await Server.Client(stranger).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Empty(seenByStranger["holds"]!.AsArray());
        Assert.Equal(4m, seenByStranger["quantities"]!["held"]!.GetValue<decimal>());

        var released = await ReadAsync(await Server.Client(buyer).DeleteAsync($"/api/v1/listings/{id}/holds/{holdId}"), HttpStatusCode.OK);
        Assert.Equal("released", released["hold"]!["status"]!.GetValue<string>());
        Assert.Equal(10m, released["quantities"]!["available"]!.GetValue<decimal>());
        await ProblemAsync(await Server.Client(buyer).DeleteAsync($"/api/v1/listings/{id}/holds/{holdId}"), HttpStatusCode.Conflict, "hold-closed");
    }

    [Fact]
    public async Task FiftyConcurrentHolds_OnLotOfTen_NeverHoldMoreThanTen()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RegisterFirmAsync(Server, "buyer")));
        var id = await ActiveLotAsync(Server, seller, 10);
        var clients = buyers.Select(b => Server.Client(b)).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            clients[i % clients.Length].PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 1 })));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(40, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        foreach (var refused in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await ProblemAsync(refused, HttpStatusCode.Conflict, "hold-exceeds-available");
        }

        var lot = await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal(10m, lot["quantities"]!["held"]!.GetValue<decimal>());
        Assert.Equal(0m, lot["quantities"]!["available"]!.GetValue<decimal>());
        Assert.Equal(10, lot["holds"]!.AsArray().Count);
    }

    [Fact]
    public async Task PlaceHold_ByFirmWithoutBuyerRole_Is403()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var otherSeller = await RegisterFirmAsync(Server, "seller");
        var id = await ActiveLotAsync(Server, seller, 10);
        await ProblemAsync(await Server.Client(otherSeller).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 1 }), HttpStatusCode.Forbidden, "role-required");
    }

    [Fact]
    public async Task PlaceHold_RetriedWithSameIdempotencyKey_HoldsOnce()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 10);
        using var client = Server.Client(buyer);
        var key = Guid.NewGuid().ToString();

        HttpRequestMessage Request() => new(HttpMethod.Post, $"/api/v1/listings/{id}/holds")
        {
            Content = JsonBody("""{"quantity":6}"""),
            Headers = { { "Idempotency-Key", key } },
        };

        var first = await ReadAsync(await client.SendAsync(Request()), HttpStatusCode.Created);
        var retry = await ReadAsync(await client.SendAsync(Request()), HttpStatusCode.Created);

        Assert.Equal(first["hold"]!["id"]!.GetValue<string>(), retry["hold"]!["id"]!.GetValue<string>());
        var lot = await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal(6m, lot["quantities"]!["held"]!.GetValue<decimal>());
        Assert.Single(lot["holds"]!.AsArray());
    }

    [Fact]
    public async Task SameIdempotencyKey_FromAnotherFirm_IsIndependent()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyerA = await RegisterFirmAsync(Server, "buyer");
        var buyerB = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 10);
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> HoldAsync(string buyer) => await Server.Client(buyer).SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/listings/{id}/holds")
        {
            Content = JsonBody("""{"quantity":2}"""),
            Headers = { { "Idempotency-Key", key } },
        });

        await ReadAsync(await HoldAsync(buyerA), HttpStatusCode.Created);
        await ReadAsync(await HoldAsync(buyerB), HttpStatusCode.Created);

        var lot = await ReadAsync(await Server.Client(seller).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal(4m, lot["quantities"]!["held"]!.GetValue<decimal>());
    }
}
