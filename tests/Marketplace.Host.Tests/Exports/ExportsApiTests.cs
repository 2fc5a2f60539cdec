using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Duende.IdentityModel.Client;
using Marketplace.Domain.Carbon;
using Marketplace.Grains.Carbon;
using Marketplace.Host.Tests.Orders;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Exports;

[Collection(ApiCollection.Name)]
public class ExportsApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    /// <summary>Reads RFC 4180 CSV (quoted cells with commas, doubled quotes and line breaks) into rows of cells.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
            {
                cell.Append(c);
            }
        }

        Assert.True(cell.Length == 0 && row.Count == 0 && !quoted, "the CSV does not end with CRLF after its last row");
        return rows;
    }

    private static Dictionary<string, string> Row(List<string[]> csv, string id)
    {
        var header = csv[0];
        var row = csv.Single(r => r[0] == id);
        Assert.Equal(header.Length, row.Length);
        return header.Zip(row).ToDictionary(p => p.First, p => p.Second);
    }

    [Fact]
    public async Task Lots_AsCsv_ParsesBackWithQuotingInvariantNumbersAndTheFormulaGuard()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        var lot = Lot(1234.5m).With(l =>
        {
            l["title"] = "=HYPERLINK(\"http://evil\"),bricks";
            l["description"] = "Line one, \"quoted\"\nline two";
        });
        var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();

        using var response = await client.GetAsync($"/api/v1/traders/{seller}/exports/lots?format=csv");
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var csv = ParseCsv(text);
        Assert.Equal("id", csv[0][0]);
        var row = Row(csv, id);
        Assert.Equal("'=HYPERLINK(\"http://evil\"),bricks", row["title"]);
        Assert.Equal("Line one, \"quoted\"\nline two", row["description"]);
        Assert.Equal("1234.5", row["listedQuantity"]);
        Assert.Equal("45", row["unitPriceMinor"]);
        Assert.Equal("draft", row["status"]);
        Assert.Equal("60.1841", row["latitude"]);
    }

    [Fact]
    public async Task Demands_AsJsonLinesByAccept_OneDocumentPerLineAsTheApiReturnsIt()
    {
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var first = await DemandAsync(Server, buyer);
        var second = await DemandAsync(Server, buyer);
        using var client = Server.Client(buyer);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/traders/{buyer}/exports/demands");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal([first, second], lines.Select(l => (string)l["id"]!));
        var api = await ReadAsync(await client.GetAsync($"/api/v1/demands/{first}"), HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(api, lines[0]), $"{api.ToJsonString()} != {lines[0].ToJsonString()}");
    }

    [Fact]
    public async Task Orders_BothSidesExportTheOrder_WithTheirRole()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller);
        using var buyerClient = Server.Client(buyer);
        var order = (await OrderDriver.PlaceAsync(buyerClient, lot, 10)).Id();

        using var sellerClient = Server.Client(seller);
        var sold = Row(ParseCsv(await (await sellerClient.GetAsync($"/api/v1/traders/{seller}/exports/orders?format=csv")).Content.ReadAsStringAsync()), order);
        var bought = Row(ParseCsv(await (await buyerClient.GetAsync($"/api/v1/traders/{buyer}/exports/orders?format=csv")).Content.ReadAsStringAsync()), order);

        Assert.Equal(("seller", "buyer"), (sold["role"], bought["role"]));
        Assert.Equal(("placed", "10", lot), (sold["status"], sold["quantity"], sold["listingId"]));
    }

    [Fact]
    public async Task Carbon_AsCsv_GivesTheFirmsTotalsByMonthAndCategory()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var at = DateTimeOffset.UtcNow;
        await Server.Services.GetRequiredService<IGrainFactory>().GetGrain<ICarbonLedgerGrain>(seller).RecordAsync(new CarbonEntry(
            "order-" + Guid.NewGuid().ToString("N"), seller, "b", "metals/steel/beams", "Espoo", at,
            new CarbonCalculator(EmissionFactors.Default).Calculate(new CarbonInput("metals/steel/beams", "A", 10_000m, 50m))));

        using var client = Server.Client(seller);
        var csv = ParseCsv(await (await client.GetAsync($"/api/v1/traders/{seller}/exports/carbon?format=csv")).Content.ReadAsStringAsync());

        Assert.Equal(["month", "category", "orders", "tonnesReused", "avoidedKgCo2e", "negativeOrders"], csv[0]);
        Assert.Equal([CarbonLedger.MonthOf(at), "metals/steel/beams", "1", "10", "15452.5", "0"], csv.Single(r => r[0] != "month"));
    }

    [Fact]
    public async Task Export_WithATokenForLotsOnly_ExportsLotsButNotOrdersOrDemands()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        var created = await ReadAsync(await Server.Client(firm).PostAsJsonAsync($"/api/v1/traders/{firm}/clients",
            new { name = "Lot feed", scopes = "listings.read" }), HttpStatusCode.Created);
        using var http = new HttpClient();
        var disco = await http.GetDiscoveryDocumentAsync(Server.Address.ToString());
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = created["clientId"]!.GetValue<string>(), ClientSecret = created["clientSecret"]!.GetValue<string>(), Scope = "listings.read",
        });
        Assert.False(token.IsError, token.Error);
        using var client = Server.BearerClient(token.AccessToken!);

        using var lots = await client.GetAsync($"/api/v1/traders/{firm}/exports/lots?format=csv");
        Assert.Equal(HttpStatusCode.OK, lots.StatusCode);
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{firm}/exports/orders"), HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{firm}/exports/demands"), HttpStatusCode.Forbidden, "insufficient-scope");
    }

    [Fact]
    public async Task Export_OtherFirmAnonymousAndBadInput_GetProblems()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "buyer");
        using var own = Server.Client(seller);

        await ProblemAsync(await Server.Client(other).GetAsync($"/api/v1/traders/{seller}/exports/lots"), HttpStatusCode.Forbidden, "firm-members-only");
        await ProblemAsync(await Server.Client().GetAsync($"/api/v1/traders/{seller}/exports/lots"), HttpStatusCode.Unauthorized, "unauthenticated");
        await ProblemAsync(await own.GetAsync($"/api/v1/traders/{seller}/exports/holds"), HttpStatusCode.NotFound, "not-found");
        await ProblemAsync(await own.GetAsync($"/api/v1/traders/{seller}/exports/lots?format=xlsx"), HttpStatusCode.UnprocessableEntity, "invalid-format", "format");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/traders/{seller}/exports/lots");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        await ProblemAsync(await own.SendAsync(request), HttpStatusCode.NotAcceptable, "not-acceptable");

        // q=0 refuses a type: JSON Lines at q=0 and nothing else acceptable is a 406, not JSON Lines.
        using var refused = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/traders/{seller}/exports/lots");
        refused.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson", 0));
        await ProblemAsync(await own.SendAsync(refused), HttpStatusCode.NotAcceptable, "not-acceptable");
    }
}

[Collection(ApiCollection.Name)]
public class OpenDataApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private static readonly string[] PublicFields =
    [
        "id", "sellerId", "title", "category", "condition", "unit", "availableQuantity", "unitPriceMinor", "currency", "municipality",
        "latitude", "longitude", "availableFrom", "availableTo",
    ];

    [Fact]
    public async Task Lots_Anonymous_StreamsActiveLotsWithPublicFieldsOnly_UnderCcBy()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var active = await ActiveLotAsync(Server, seller);
        using var sellerClient = Server.Client(seller);
        var draft = (await ReadAsync(await sellerClient.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created))["id"]!.GetValue<string>();
        using var buyerClient = Server.Client(buyer);
        await ReadAsync(await buyerClient.PostAsJsonAsync($"/api/v1/listings/{active}/holds", new { quantity = 7 }), HttpStatusCode.Created);

        JsonObject[] lines = [];
        HttpResponseMessage? last = null;
        var found = await Marketplace.Testing.Eventually.TrueAsync(async () =>
        {
            last?.Dispose();
            last = await Server.Client().GetAsync("/api/v1/open-data/lots");
            var text = await last.Content.ReadAsStringAsync();
            lines = [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
            return lines.Any(l => (string?)l["id"] == active && l["availableQuantity"]!.GetValue<decimal>() == 993m);
        }, TimeSpan.FromSeconds(20));

        Assert.True(found, "the active lot (with its hold counted) never appeared in the feed");
        Assert.Equal(HttpStatusCode.OK, last!.StatusCode);
        Assert.Equal("application/x-ndjson", last.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<https://creativecommons.org/licenses/by/4.0/>; rel=\"license\"", last.Headers.GetValues("Link"));
        Assert.DoesNotContain(lines, l => (string?)l["id"] == draft);
        Assert.All(lines, l => Assert.Equal(PublicFields.Order(), l.Select(p => p.Key).Order()));
        last.Dispose();

        var csv = ExportsApiTests.ParseCsv(await (await Server.Client().GetAsync("/api/v1/open-data/lots?format=csv")).Content.ReadAsStringAsync());
        Assert.Equal(PublicFields, csv[0]);
        Assert.Contains(csv, r => r[0] == active && r[1] == seller);
    }
}
