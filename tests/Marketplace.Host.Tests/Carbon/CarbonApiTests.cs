using System.Net;
using System.Text.Json.Nodes;
using Marketplace.Domain.Carbon;
using Marketplace.Grains.Carbon;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Carbon;

[Collection(ApiCollection.Name)]
public class CarbonApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private static readonly JsonNode File = JsonNode.Parse(EmissionFactors.ReadEmbedded())!;

    private static decimal FactorInFile(string category)
        => File["materials"]!.AsArray().Single(r => r!["categories"]!.AsArray().Any(c => (string?)c == category))!["kgCo2ePerKg"]!.GetValue<decimal>();

    private IGrainFactory Grains => Server.Services.GetRequiredService<IGrainFactory>();

    private static CarbonEntry Entry(string seller, string buyer, string municipality, decimal kg, decimal km, string category = "metals/steel/beams")
        => new("order-" + Guid.NewGuid().ToString("N"), seller, buyer, category, municipality, DateTimeOffset.UtcNow,
            new CarbonCalculator(EmissionFactors.Default).Calculate(new CarbonInput(category, "A", kg, km)));

    [Fact]
    public async Task Region_IsPublic_AndShowsTotalsByCategoryAndMunicipality()
    {
        var municipality = "Testikunta-" + Guid.NewGuid().ToString("N")[..8];
        var region = Grains.GetGrain<ICarbonLedgerGrain>(CarbonLedgers.Region);
        var entry = Entry("s", "b", municipality, 10_000m, 50m);
        await region.RecordAsync(entry);
        await region.RecordAsync(entry);

        var body = await ReadAsync(await Server.Client().GetAsync("/api/v1/carbon/region"), HttpStatusCode.OK);

        Assert.Equal("region", (string?)body["ledger"]);
        var row = body["byMunicipality"]!.AsArray().Single(r => (string?)r!["municipality"] == municipality)!;
        Assert.Equal(1, row["orders"]!.GetValue<int>());
        Assert.Equal(10m, row["tonnesReused"]!.GetValue<decimal>());
        Assert.Equal(15_452.5m, row["avoidedKgCo2e"]!.GetValue<decimal>());
        Assert.Contains(body["byCategory"]!.AsArray(), r => (string?)r!["category"] == "metals/steel/beams" && r["tonnesReused"]!.GetValue<decimal>() >= 10m);
        Assert.Contains(EmissionFactors.Default.Version, body["dataVersions"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task Trader_MembersSeeTheirTotalsByMonthAndCategory_OthersAreRefused()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var negative = Entry(seller, buyer, "Espoo", 1_000m, 200m, "soil-aggregates/gravel");
        await Grains.GetGrain<ICarbonLedgerGrain>(seller).RecordAsync(Entry(seller, buyer, "Espoo", 10_000m, 50m));
        await Grains.GetGrain<ICarbonLedgerGrain>(seller).RecordAsync(negative);

        using var own = Server.Client(seller);
        var body = await ReadAsync(await own.GetAsync($"/api/v1/carbon/traders/{seller}"), HttpStatusCode.OK);

        Assert.Equal(seller, (string?)body["ledger"]);
        Assert.Equal(2, body["overall"]!["orders"]!.GetValue<int>());
        Assert.Equal(1, body["overall"]!["negativeOrders"]!.GetValue<int>());
        Assert.Equal(15_452.5m - 11.4m, body["overall"]!["avoidedKgCo2e"]!.GetValue<decimal>());
        var month = CarbonLedger.MonthOf(negative.CompletedAt);
        Assert.Equal([(month, "metals/steel/beams"), (month, "soil-aggregates/gravel")],
            body["byMonthAndCategory"]!.AsArray().Select(r => ((string)r!["month"]!, (string)r["category"]!)));

        using var other = Server.Client(buyer);
        await ProblemAsync(await other.GetAsync($"/api/v1/carbon/traders/{seller}"), HttpStatusCode.Forbidden, "firm-members-only");
        await ProblemAsync(await Server.Client().GetAsync($"/api/v1/carbon/traders/{seller}"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Factors_ArePublic_WithVersionSourcesAndLicences()
    {
        var body = await ReadAsync(await Server.Client().GetAsync("/api/v1/carbon/factors"), HttpStatusCode.OK);

        Assert.Equal((string?)File["version"], (string?)body["version"]);
        var steel = body["materials"]!.AsArray().Single(r => (string?)r!["id"] == "ice3-steel-section-world")!;
        Assert.Equal(FactorInFile("metals/steel/beams"), steel["kgCo2ePerKg"]!.GetValue<decimal>());
        Assert.All(body["materials"]!.AsArray(), r =>
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)r!["source"]));
            Assert.False(string.IsNullOrWhiteSpace((string?)r["licence"]));
        });
        Assert.Equal(0.095m, body["transport"]!["kgCo2ePerTonneKm"]!.GetValue<decimal>());
        Assert.Equal(3, body["substitution"]!.AsArray().Count);
        Assert.Equal(1m, body["reporting"]!["attributionShare"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Estimate_TenTonnesOfSteelSections_PerUnitAndTotal_WithoutTransport()
    {
        var body = await ReadAsync(await Server.Client().GetAsync("/api/v1/carbon/estimate?category=metals/steel/beams&condition=A&quantity=10&unit=t"), HttpStatusCode.OK);

        Assert.Equal(1_000m * FactorInFile("metals/steel/beams"), body["perUnitKgCo2e"]!.GetValue<decimal>());
        Assert.Equal(15_500m, body["totalKgCo2e"]!.GetValue<decimal>());
        Assert.Equal(10_000m, body["totalMassKg"]!.GetValue<decimal>());
        Assert.True(body["excludesTransport"]!.GetValue<bool>());
        Assert.Contains("transport", (string?)body["note"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal((string?)File["version"], (string?)body["dataVersion"]);
    }

    [Fact]
    public async Task Estimate_PiecesUseTheTaxonomysTypicalMass_OrTheGivenOne()
    {
        // A clay brick weighs 2.6 kg in the taxonomy; condition B replaces 0.9 of a new one. Figures are kept to the gram.
        var typical = await ReadAsync(await Server.Client().GetAsync("/api/v1/carbon/estimate?category=masonry/bricks/clay&condition=B&quantity=1000&unit=pcs"), HttpStatusCode.OK);
        Assert.Equal(Math.Round(2.6m * FactorInFile("masonry/bricks/clay") * 0.9m, 3, MidpointRounding.AwayFromZero), typical["perUnitKgCo2e"]!.GetValue<decimal>());
        Assert.Equal(2_600m * FactorInFile("masonry/bricks/clay") * 0.9m, typical["totalKgCo2e"]!.GetValue<decimal>());

        var given = await ReadAsync(await Server.Client().GetAsync("/api/v1/carbon/estimate?category=masonry/bricks/clay&quantity=2&unit=pcs&massPerUnitKg=3"), HttpStatusCode.OK);
        Assert.Equal(3m * FactorInFile("masonry/bricks/clay"), given["perUnitKgCo2e"]!.GetValue<decimal>());
    }

    [Theory]
    [InlineData("category=masonry/unobtainium", HttpStatusCode.UnprocessableEntity, "validation-failed", "category")]
    [InlineData("quantity=1", HttpStatusCode.UnprocessableEntity, "validation-failed", "category")]
    [InlineData("category=metals&condition=D", HttpStatusCode.UnprocessableEntity, "validation-failed", "condition")]
    [InlineData("category=metals&quantity=0", HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity")]
    [InlineData("category=metals&quantity=-2", HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity")]
    [InlineData("category=metals&quantity=99999999999", HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity")]
    [InlineData("category=metals&unit=litre", HttpStatusCode.UnprocessableEntity, "validation-failed", "unit")]
    [InlineData("category=soil-aggregates/sand&unit=pcs", HttpStatusCode.UnprocessableEntity, "validation-failed", "unit")]
    [InlineData("category=furniture/desks&unit=pcs", HttpStatusCode.UnprocessableEntity, "validation-failed", "massPerUnitKg")]
    [InlineData("category=metals&unit=pcs&massPerUnitKg=0", HttpStatusCode.UnprocessableEntity, "validation-failed", "massPerUnitKg")]
    [InlineData("category=metals&quantity=1000000000&unit=t", HttpStatusCode.UnprocessableEntity, "validation-failed", "massKg")]
    [InlineData("category=metals&quantity=ten", HttpStatusCode.BadRequest, "bad-request", null)]
    [InlineData("category=metals&quantity=1,5", HttpStatusCode.BadRequest, "bad-request", null)]
    [InlineData("category=metals&quantity=1e3", HttpStatusCode.BadRequest, "bad-request", null)]
    [InlineData("category=metals&unit=pcs&massPerUnitKg=heavy", HttpStatusCode.BadRequest, "bad-request", null)]
    public async Task Estimate_BadInput_IsAProblemDocument(string query, HttpStatusCode status, string code, string? field)
    {
        var problem = await ProblemAsync(await Server.Client().GetAsync("/api/v1/carbon/estimate?" + query), status, code, field);

        if (status == HttpStatusCode.BadRequest)
        {
            Assert.Contains(query.Contains("massPerUnitKg=heavy") ? "massPerUnitKg" : "quantity", (string?)problem["detail"]);
        }
    }

    [Fact]
    public async Task Listing_ShowsItsEstimatePerUnitBeforeAnyoneBuys()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var lot = await ActiveLotAsync(Server, seller);

        var body = await ReadAsync(await Server.Client().GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);

        // The sample lot: bricks (masonry/bricks) in pieces, condition A, 2.5 kg each by the taxonomy.
        var carbon = body["carbon"]!;
        Assert.Equal(2.5m * FactorInFile("masonry/bricks"), carbon["perUnitKgCo2e"]!.GetValue<decimal>());
        Assert.Equal("pcs", (string?)carbon["unit"]);
        Assert.True(carbon["excludesTransport"]!.GetValue<bool>());
        Assert.Equal((string?)File["version"], (string?)carbon["dataVersion"]);
        Assert.Contains("ice3-clay-brick", carbon["factorIds"]!.AsArray().Select(v => (string?)v));
    }
}
