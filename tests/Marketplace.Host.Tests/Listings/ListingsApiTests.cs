using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Listings;

[Collection(ApiCollection.Name)]
public class ListingsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    public static TheoryData<string, string> InvalidLots => new()
    {
        { """{"quantity":0}""", "quantity" },
        { """{"quantity":-3}""", "quantity" },
        { """{"unit":"m2"}""", "unit" },
        { """{"location":{"latitude":91,"longitude":24.9,"municipality":"Helsinki"}}""", "location.latitude" },
        { """{"location":{"latitude":60.1,"longitude":-181,"municipality":"Helsinki"}}""", "location.longitude" },
        { """{"unitPrice":{"minorUnits":-1,"currency":"EUR"}}""", "unitPrice.minorUnits" },
        { """{"title":""}""", "title" },
        { "{\"title\":\"" + new string('t', 201) + "\"}", "title" },
        { "{\"description\":\"" + new string('d', 10_001) + "\"}", "description" },
        { """{"availability":{"from":"2027-05-01","to":"2027-04-01"}}""", "availability" },
        { """{"category":"masonry/unobtainium"}""", "category" },
        { """{"condition":"E"}""", "condition" },
        { """{"condition":"0"}""", "condition" },
        { """{"location":{"latitude":59.3293,"longitude":18.0686,"municipality":"Stockholm"}}""", "location" },
        { """{"condition":"a"}""", "condition" },
        { """{"unitPrice":{"minorUnits":100000000001,"currency":"EUR"}}""", "unitPrice.minorUnits" },
        { """{"unitPrice":{"minorUnits":9223372036854775807,"currency":"EUR"}}""", "unitPrice.minorUnits" },
        { """{"location":null}""", "location" },
        { """{"availability":null}""", "availability" },
        { """{"availability":{"from":"9999-01-01","to":"9999-12-31"}}""", "availability" },
        { """{"availability":{"from":"0001-01-01","to":"2027-01-01"}}""", "availability" },
    };

    [Fact]
    public async Task Patch_TwoConcurrentEditsOfDifferentNestedMembers_BothSurvive()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        var url = $"/api/v1/listings/{id}";

        for (var round = 0; round < 15; round++)
        {
            var (address, municipality, price) = ($"Hämeentie {round}", $"Kunta {round}", 100 + round);
            var answers = await Task.WhenAll(
                client.PatchAsJsonAsync(url, new { location = new { address } }),
                client.PatchAsJsonAsync(url, new { location = new { municipality } }),
                client.PatchAsJsonAsync(url, new { unitPrice = new { minorUnits = price } }),
                client.PatchAsJsonAsync(url, new { unitPrice = new { currency = round % 2 == 0 ? "SEK" : "EUR" } }));
            foreach (var answer in answers)
            {
                await ReadAsync(answer, HttpStatusCode.OK);
            }

            var lot = await ReadAsync(await client.GetAsync(url), HttpStatusCode.OK);
            Assert.Equal((address, municipality), (lot["location"]!["address"]!.GetValue<string>(), lot["location"]!["municipality"]!.GetValue<string>()));
            Assert.Equal((price, round % 2 == 0 ? "SEK" : "EUR"), (lot["unitPrice"]!["minorUnits"]!.GetValue<long>(), lot["unitPrice"]!["currency"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Publish_WindowEndingNearTheFiveYearHorizon_Is200()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = Lot().With(l => l["availability"]!["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddYears(5).AddDays(-2)).ToString("yyyy-MM-dd"));

        var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();

        Assert.Equal("active", (await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK))["status"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(InvalidLots))]
    public async Task Create_InvalidField_Is422WithMessageForThatField(string change, string field)
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var lot = Lot();
        foreach (var (key, value) in JsonNode.Parse(change)!.AsObject())
        {
            lot[key] = value?.DeepClone();
        }

        using var client = Server.Client(seller);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.UnprocessableEntity, "validation-failed", field);
        var mine = await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Empty(mine["items"]!.AsArray());
    }

    [Fact]
    public async Task Create_ThenRead_ShowsDraftToSellerOnly_AndActiveToEveryone()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "buyer");
        using var sellerClient = Server.Client(seller);
        using var anonymous = Server.Client();

        var response = await sellerClient.PostAsJsonAsync("/api/v1/listings", Lot(1000));
        var created = await ReadAsync(response, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/listings/{id}", response.Headers.Location?.ToString());
        Assert.Equal("draft", created["status"]!.GetValue<string>());
        Assert.Equal(2.5m, created["massPerUnitKg"]!.GetValue<decimal>());

        await ProblemAsync(await anonymous.GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.NotFound, "listing-not-found");
        await ProblemAsync(await Server.Client(other).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.NotFound, "listing-not-found");

        await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
        var read = await ReadAsync(await anonymous.GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal("active", read["status"]!.GetValue<string>());
        Assert.Equal(1000m, read["quantities"]!["available"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Create_Unauthenticated_Is401Problem()
    {
        using var anonymous = Server.Client();
        var response = await anonymous.PostAsJsonAsync("/api/v1/listings", Lot());
        await ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Create_ByPersonWithoutFirm_Is403()
    {
        using var client = Server.BearerClient(await Server.PersonWithoutFirmTokenAsync());
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Forbidden, "no-acting-trader");
    }

    [Fact]
    public async Task Create_ByBuyerOnlyFirm_Is403()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await ProblemAsync(await Server.Client(buyer).PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Forbidden, "role-required");
    }

    [Theory]
    [InlineData(null)] // no unitPrice at all
    [InlineData("{}")]
    [InlineData("{\"amount\":4500,\"currency\":\"EUR\"}")] // a misspelt member
    public async Task Create_WithoutAPrice_IsRefusedNamingIt_NotListedForFree(string? price)
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var lot = Lot();
        lot.Remove("unitPrice");
        if (price is not null)
        {
            lot["unitPrice"] = System.Text.Json.Nodes.JsonNode.Parse(price);
        }

        await ProblemAsync(await Server.Client(seller).PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.UnprocessableEntity, "validation-failed", "unitPrice.minorUnits");
    }

    [Fact]
    public async Task Create_MalformedJson_Is400()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("{\"title\": ")), HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("""{"title":"x","quantity":"lots"}""")), HttpStatusCode.BadRequest, "malformed-json", "quantity");

        // The message names the field and the position, not the host's own types.
        var array = await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("[1]")), HttpStatusCode.BadRequest, "malformed-json");
        Assert.DoesNotContain("Marketplace.", array.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("converted to the expected type", array.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", array.ToJsonString(), StringComparison.Ordinal);

        // A member given twice (or in two cases) is refused, not taken from the last.
        await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("""{"title":"x","title":"y"}""")), HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("""{"title":"x","Title":"y"}""")), HttpStatusCode.BadRequest, "malformed-json");

        // Half a surrogate pair is said to be one, not a value of the wrong type.
        var half = await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody("""{"title":"Tiili\ud800"}""")), HttpStatusCode.BadRequest, "malformed-json", "title");
        Assert.Contains("half a surrogate pair", half.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-999")]
    [InlineData("\"x-unknown\"")]
    public async Task Create_WithACharsetTheServerCannotRead_Is415NamingIt(string charset)
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var body = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(Lot().ToJsonString()));
        body.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        var problem = await ProblemAsync(await client.PostAsync("/api/v1/listings", body), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");

        Assert.Contains($"'{charset.Trim('"')}'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithACompressedBody_Is415SayingSo()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(Lot().ToJsonString()));
        }

        var body = new ByteArrayContent(packed.ToArray());
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        body.Headers.ContentEncoding.Add("gzip");

        var problem = await ProblemAsync(await client.PostAsync("/api/v1/listings", body), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains("Content-Encoding", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithoutABody_SaysABodyIsNeeded_NotTheFrameworksWords()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        foreach (var body in new[] { "", "null" })
        {
            var problem = await ProblemAsync(await client.PostAsync("/api/v1/listings", JsonBody(body)), HttpStatusCode.BadRequest, "missing-body");
            Assert.Equal("The request needs a JSON body (Content-Type: application/json); it was empty or null.", problem["detail"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Create_BodyOverOneMegabyte_Is413()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var lot = Lot();
        lot["description"] = new string('x', 1_100_000);
        // The body's length is declared and the client waits for the go-ahead (100-continue): the server refuses the body
        // on its declared length, so the client does not write a megabyte into a connection the server has already
        // closed (a chunked body raced the 413 into a broken pipe once).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/listings") { Content = JsonBody(lot.ToJsonString()) };
        request.Headers.ExpectContinue = true;
        await ProblemAsync(await Server.Client(seller).SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task UnknownListing_Is404_ForReadEditPublishAndHold()
    {
        var trader = await RegisterFirmAsync(Server);
        using var client = Server.Client(trader);
        await ProblemAsync(await client.GetAsync("/api/v1/listings/no-such-lot"), HttpStatusCode.NotFound, "listing-not-found");
        await ProblemAsync(await client.PatchAsJsonAsync("/api/v1/listings/no-such-lot", new { title = "x" }), HttpStatusCode.NotFound, "listing-not-found");
        await ProblemAsync(await client.PostAsync("/api/v1/listings/no-such-lot/publish", null), HttpStatusCode.NotFound, "listing-not-found");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/listings/no-such-lot/holds", new { quantity = 1 }), HttpStatusCode.NotFound, "listing-not-found");
    }

    [Fact]
    public async Task Patch_BySeller_ChangesFields_ByOtherFirm_Is403()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "seller");
        var id = await ActiveLotAsync(Server, seller, 100);

        await ProblemAsync(await Server.Client(other).PatchAsJsonAsync($"/api/v1/listings/{id}", new { title = "Hijacked" }), HttpStatusCode.Forbidden, "seller-only");
        var patched = await ReadAsync(await Server.Client(seller).PatchAsJsonAsync($"/api/v1/listings/{id}", new { title = "Bricks, sorted", quantity = 120 }), HttpStatusCode.OK);

        Assert.Equal("Bricks, sorted", patched["title"]!.GetValue<string>());
        Assert.Equal(120m, patched["quantities"]!["listed"]!.GetValue<decimal>());
        var read = await ReadAsync(await Server.Client().GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal("Bricks, sorted", read["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_QuantityBelowHeldPlusSold_Is409WithMinimum()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 100);
        await ReadAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 60 }), HttpStatusCode.Created);

        var problem = await ProblemAsync(await Server.Client(seller).PatchAsJsonAsync($"/api/v1/listings/{id}", new { quantity = 59 }), HttpStatusCode.Conflict, "quantity-below-committed");

        Assert.Equal(60m, problem["minimum"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Publish_Twice_Is409_Withdraw_ThenHold_Is409()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var id = await ActiveLotAsync(Server, seller, 100);
        using var sellerClient = Server.Client(seller);

        await ProblemAsync(await sellerClient.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.Conflict, "invalid-transition");
        var withdrawn = await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{id}/withdraw", null), HttpStatusCode.OK);
        Assert.Equal("withdrawn", withdrawn["status"]!.GetValue<string>());

        var problem = await ProblemAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 1 }), HttpStatusCode.Conflict, "listing-not-active");
        Assert.Equal("withdrawn", problem["listingStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithSameIdempotencyKeyAndBody_CreatesOneLot_AndReplaysTheAnswer()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var key = Guid.NewGuid().ToString();
        var body = Lot(77).ToJsonString();

        HttpRequestMessage Request(string json) => new(HttpMethod.Post, "/api/v1/listings")
        {
            Content = JsonBody(json),
            Headers = { { "Idempotency-Key", key } },
        };

        var first = await client.SendAsync(Request(body));
        var firstBody = await ReadAsync(first, HttpStatusCode.Created);
        var retry = await client.SendAsync(Request(body));
        var retryBody = await ReadAsync(retry, HttpStatusCode.Created);

        Assert.Equal(firstBody["id"]!.GetValue<string>(), retryBody["id"]!.GetValue<string>());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        var mine = await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Single(mine["items"]!.AsArray());

        await ProblemAsync(await client.SendAsync(Request(Lot(78).ToJsonString())), HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
    }

    [Fact]
    public async Task Create_SameIdempotencyKey_SentConcurrently_CreatesOneLot()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var key = Guid.NewGuid().ToString();
        var body = Lot(5).ToJsonString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/listings")
        {
            Content = JsonBody(body),
            Headers = { { "Idempotency-Key", key } },
        })));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        var mine = await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Single(mine["items"]!.AsArray());
    }
}
