using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>GET /api/v1/listings/search over real HTTP, fed by the listing grains.</summary>
[Collection(ApiCollection.Name)]
public class SearchApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task PublishedLot_IsSearchableWithinOneSecond_HoldReducesAvailable_WithdrawnLeaves()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var word = "zq" + Guid.NewGuid().ToString("N")[..8];
        using var client = Server.Client(seller);
        var lot = Lot(50).With(l => l["title"] = $"Reclaimed bricks {word}");
        var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
        var acknowledged = Stopwatch.StartNew();

        var hit = await PollAsync($"/api/v1/listings/search?q={word}", h => h is not null, TimeSpan.FromSeconds(1));
        Assert.Equal(id, hit!["id"]!.GetValue<string>());
        Assert.Equal(50m, hit["available"]!.GetValue<decimal>());
        Assert.Contains($"<em>{word}</em>", hit["highlights"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(acknowledged.Elapsed < TimeSpan.FromSeconds(1), $"visible after {acknowledged.ElapsedMilliseconds} ms");

        var hold = await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 20 }), HttpStatusCode.Created);
        await PollAsync($"/api/v1/listings/search?q={word}", h => h?["available"]!.GetValue<decimal>() == 30m, TimeSpan.FromSeconds(1));

        // A hold changes only the quantity (the index skips the text); an edit after it is searchable by its new words,
        // and a release after that shows over the edited text.
        var edited = "zq" + Guid.NewGuid().ToString("N")[..8];
        await ReadAsync(await client.PatchAsJsonAsync($"/api/v1/listings/{id}", new { description = $"Cleaned, {edited}" }), HttpStatusCode.OK);
        await PollAsync($"/api/v1/listings/search?q={edited}", h => h?["available"]!.GetValue<decimal>() == 30m, TimeSpan.FromSeconds(1));
        await ReadAsync(await Server.Client(buyer).DeleteAsync($"/api/v1/listings/{id}/holds/{hold["hold"]!["id"]!.GetValue<string>()}"), HttpStatusCode.OK);
        await PollAsync($"/api/v1/listings/search?q={edited}", h => h?["available"]!.GetValue<decimal>() == 50m, TimeSpan.FromSeconds(1));

        await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/withdraw", null), HttpStatusCode.OK);
        await PollAsync($"/api/v1/listings/search?q={word}", h => h is null, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Search_ByCategoryDistanceAndFinnishText_AnswersHitsFacetsAndCursor()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var lot = Lot(100 + i).With(l =>
            {
                l["title"] = $"Punainen tiili erä {i}";
                l["location"] = new JsonObject { ["latitude"] = 60.2934 + (i * 0.01), ["longitude"] = 25.0378, ["address"] = "Tikkurilantie 1", ["municipality"] = "Vantaa" };
            });
            var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();
            await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
            ids.Add(id);
        }

        var url = $"/api/v1/listings/search?q=tiilet&category=masonry&near=60.2934,25.0378&radiusKm=5&sort=distance&limit=2&seller={seller}";
        var first = await PollPageAsync(url, page => page["total"]!.GetValue<long>() == 3, TimeSpan.FromSeconds(2));
        Assert.Equal([ids[0], ids[1]], first["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()));
        Assert.Equal(0, first["hits"]![0]!["distanceKm"]!.GetValue<double>(), 2);
        Assert.Contains(first["facets"]!["category"]!.AsArray(), f => f!["value"]!.GetValue<string>() == "masonry" && f["count"]!.GetValue<long>() == 3);
        var second = await ReadAsync(await Server.Client().GetAsync(url + "&cursor=" + first["nextCursor"]!.GetValue<string>()), HttpStatusCode.OK);
        Assert.Equal([ids[2]], second["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()));
        Assert.Null(second["nextCursor"]);
    }

    [Theory]
    [InlineData("limit=500", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("near=60.2", "near")]
    [InlineData("near=91,25", "near")]
    [InlineData("radiusKm=10", "near")]
    [InlineData("sort=distance", "sort")]
    [InlineData("sort=cheapest", "sort")]
    [InlineData("condition=E", "condition")]
    [InlineData("availableOn=tomorrow", "availableOn")]
    [InlineData("minPrice=500&maxPrice=100", "maxPrice")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("maxPrice=100&currency=euros", "currency")]
    [InlineData("condition=0", "condition")]
    [InlineData("minQuantity=1,5", "minQuantity")] // not 15
    [InlineData("minQuantity=1000&minQuantity=5", "minQuantity")] // not 10005
    [InlineData("maxPrice=100&currency=QQQ", "currency")]
    public async Task Search_BadParameter_Is400ProblemNamingIt(string query, string field)
        => await ProblemAsync(await Server.Client().GetAsync("/api/v1/listings/search?" + query), HttpStatusCode.BadRequest, "invalid-search", field);

    [Theory]
    [InlineData("maxPrice=100", "EUR")]
    [InlineData("maxPrice=100&currency=sek", "SEK")]
    [InlineData("q=tiili", "EUR")]
    public async Task Search_AnswersTheCurrencyItsPriceFiltersCompare(string query, string currency)
        => Assert.Equal(currency, (await ReadAsync(await Server.Client().GetAsync("/api/v1/listings/search?" + query), HttpStatusCode.OK))["currency"]!.GetValue<string>());

    [Theory]
    [InlineData("OSB/3")]
    [InlineData("paint!")]
    [InlineData("\"unbalanced (AND OR")]
    [InlineData("*:*")]
    [InlineData("tiili~~~ [x TO")]
    public async Task Search_AnyText_IsAnsweredWithoutError(string text)
        => await ReadAsync(await Server.Client().GetAsync("/api/v1/listings/search?q=" + Uri.EscapeDataString(text)), HttpStatusCode.OK);

    private async Task<JsonObject?> PollAsync(string url, Func<JsonObject?, bool> done, TimeSpan within)
    {
        var page = await PollPageAsync(url, p => done(p["hits"]!.AsArray().FirstOrDefault()?.AsObject()), within);
        return page["hits"]!.AsArray().FirstOrDefault()?.AsObject();
    }

    private async Task<JsonObject> PollPageAsync(string url, Func<JsonObject, bool> done, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        using var client = Server.Client();
        while (true)
        {
            var page = await ReadAsync(await client.GetAsync(url), HttpStatusCode.OK);
            if (done(page))
            {
                return page;
            }

            Assert.True(deadline.Elapsed < within, $"not as expected within {within.TotalSeconds} s: {page.ToJsonString()}");
            await Task.Delay(20);
        }
    }
}
