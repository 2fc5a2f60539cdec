using System.Text.Json.Nodes;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Carbon;

public class CarbonCalculatorTests
{
    private static readonly CarbonCalculator Calculator = new(EmissionFactors.Default);

    /// <summary>The shipped file as plain JSON, read without the loader, so the hand calculations do not trust it.</summary>
    private static readonly JsonNode File = JsonNode.Parse(EmissionFactors.ReadEmbedded())!;

    private static decimal MaterialFactorInFile(string category)
        => File["materials"]!.AsArray().Single(r => r!["categories"]!.AsArray().Any(c => (string?)c == category))!["kgCo2ePerKg"]!.GetValue<decimal>();

    private static decimal TransportFactorInFile => File["transport"]!["kgCo2ePerTonneKm"]!.GetValue<decimal>();

    private static decimal RatioInFile(string condition)
        => File["substitution"]!.AsArray().Single(r => (string?)r!["condition"] == condition)!["ratio"]!.GetValue<decimal>();

    [Fact]
    public void Calculate_TenTonnesOfSteelSectionsCarried50Km_Avoids15452Point5Kg()
    {
        var figure = Calculator.Calculate(new CarbonInput("metals/steel/beams", "A", 10_000m, 50m));

        // The worked example of docs/carbon.md, from the file's own rows: 10,000 × 1.55 × 1.0 − 50 × 10 × 0.095.
        Assert.Equal(1.55m, MaterialFactorInFile("metals/steel/beams"));
        Assert.Equal(0.095m, TransportFactorInFile);
        var byHand = 10_000m * MaterialFactorInFile("metals/steel/beams") * RatioInFile("A") - 50m * 10m * TransportFactorInFile;
        Assert.Equal(byHand, figure.AvoidedKgCo2e);
        Assert.Equal(15_452.5m, figure.AvoidedKgCo2e);
        Assert.Equal(15_500m, figure.VirginKgCo2e);
        Assert.Equal(47.5m, figure.TransportKgCo2e);
        Assert.Equal(0m, figure.RefurbishmentKgCo2e);
        Assert.False(figure.IsNegative);
    }

    [Fact]
    public void Calculate_TenTonnesOfAggregatesCarried50Km_Avoids28Point5Kg()
    {
        var figure = Calculator.Calculate(new CarbonInput("soil-aggregates/crushed-rock", "A", 10_000m, 50m));

        Assert.Equal(0.0076m, MaterialFactorInFile("soil-aggregates"));
        Assert.Equal(10_000m * MaterialFactorInFile("soil-aggregates") - 50m * 10m * TransportFactorInFile, figure.AvoidedKgCo2e);
        Assert.Equal(28.5m, figure.AvoidedKgCo2e);
    }

    [Fact]
    public void Calculate_AggregatesCarriedFar_StaysNegativeAndSaysSo()
    {
        var figure = Calculator.Calculate(new CarbonInput("soil-aggregates/gravel", "A", 1_000m, 200m));

        // 1,000 × 0.0076 − 200 × 1 × 0.095 = 7.6 − 19 = −11.4: transport ate the benefit.
        Assert.Equal(-11.4m, figure.AvoidedKgCo2e);
        Assert.True(figure.IsNegative);
    }

    [Fact]
    public void Calculate_ConditionBWithDeclaredRefurbishment_AppliesRatioAndNetsRefurbishment()
    {
        var figure = Calculator.Calculate(new CarbonInput("timber/glulam", "B", 2_000m, 10m, RefurbishmentKgCo2e: 12.25m));

        var virgin = 2_000m * MaterialFactorInFile("timber/glulam") * RatioInFile("B");
        Assert.Equal(virgin, figure.VirginKgCo2e);
        Assert.Equal(virgin - 10m * 2m * TransportFactorInFile - 12.25m, figure.AvoidedKgCo2e);
        Assert.Equal(12.25m, figure.RefurbishmentKgCo2e);
    }

    [Fact]
    public void Calculate_FigureCarriesDataVersionAndFactorIds()
    {
        var figure = Calculator.Calculate(new CarbonInput("metals/steel/sheets", "C", 100m, 0m));

        Assert.Equal((string?)File["version"], figure.DataVersion);
        Assert.Equal(["ice3-steel-section-world", "substitution-c", (string)File["transport"]!["id"]!, (string)File["reporting"]!["id"]!], figure.FactorIds);
        Assert.Equal(100m, figure.MassKg);
    }

    [Fact]
    public void Calculate_WithAttributionAndDeadweight_ScalesOnlyTheVirginTerm()
    {
        var file = File.DeepClone();
        file["reporting"] = new JsonObject { ["id"] = "reporting-second-source", ["attributionShare"] = 0.7m, ["deadweight"] = 0.2m };
        var calculator = new CarbonCalculator(EmissionFactors.Parse(file.ToJsonString(), MaterialTaxonomy.Default));

        var figure = calculator.Calculate(new CarbonInput("metals/steel/beams", "A", 10_000m, 50m));

        // 15,500 × (1 − 0.2) × 0.7 = 8,680; transport is an emission of this reuse and is not scaled.
        Assert.Equal(8_680m, figure.VirginKgCo2e);
        Assert.Equal(8_632.5m, figure.AvoidedKgCo2e);
        Assert.Contains("reporting-second-source", figure.FactorIds);
    }

    [Fact]
    public void Calculate_TermsAreRoundedToTheGramAndAddUp()
    {
        var figure = Calculator.Calculate(new CarbonInput("insulation/eps", "B", 0.3333m, 7.77m));

        Assert.Equal(figure.VirginKgCo2e - figure.TransportKgCo2e - figure.RefurbishmentKgCo2e, figure.AvoidedKgCo2e);
        Assert.Equal(Math.Round(0.3333m * 3.29m * 0.9m, 3, MidpointRounding.AwayFromZero), figure.VirginKgCo2e);
        Assert.True(figure.VirginKgCo2e.Scale <= 3 && figure.TransportKgCo2e.Scale <= 3);
    }

    [Theory]
    [InlineData("not/a-category", "A", 1, 0, "category")]
    [InlineData("metals", "D", 1, 0, "condition")]
    [InlineData("metals", "A", -1, 0, "massKg")]
    [InlineData("metals", "A", 1, -5, "transportKm")]
    public void Calculate_BadInput_IsRefusedNamingTheField(string category, string condition, int massKg, int km, string field)
    {
        var e = Assert.Throws<DomainException>(() => Calculator.Calculate(new CarbonInput(category, condition, massKg, km)));

        Assert.Equal(DomainErrorKind.Validation, e.Kind);
        Assert.Contains(field, e.Errors.Keys);
    }

    [Fact]
    public void MaterialFor_EveryTaxonomyCategory_ResolvesToItsOwnRowOrAnAncestors()
    {
        Assert.All(MaterialTaxonomy.Default.Categories, c =>
        {
            var row = EmissionFactors.Default.MaterialFor(c.Id);
            Assert.NotNull(row);
            Assert.Contains(row.Categories, slug => MaterialTaxonomy.IsSameOrBelow(c.Id, slug));
        });
    }

    [Fact]
    public void MaterialFor_MostSpecificSlugWins()
    {
        Assert.Equal("ice3-rebar-world", EmissionFactors.Default.MaterialFor("metals/steel/rebar")!.Id);
        Assert.Equal("ice3-glass-wool", EmissionFactors.Default.MaterialFor("insulation/mineral-wool/glass-wool")!.Id);
        Assert.Equal("ice3-mineral-wool", EmissionFactors.Default.MaterialFor("insulation/xps")!.Id);
    }

    [Fact]
    public void Default_EveryRowNamesItsSourceYearAndLicence()
    {
        Assert.All(EmissionFactors.Default.Materials, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Source));
            Assert.False(string.IsNullOrWhiteSpace(r.Licence));
            Assert.InRange(r.Year, 2000, 2030);
        });
        Assert.Equal([1.0m, 0.9m, 0.5m], EmissionFactors.Default.Substitution.Select(s => s.Ratio));
        Assert.Equal((1m, 0m), (EmissionFactors.Default.Reporting.AttributionShare, EmissionFactors.Default.Reporting.Deadweight));
    }

    [Theory]
    [InlineData("kgCo2ePerKg", -1, "ice3-glulam")]
    [InlineData("source", "", "ice3-glulam")]
    [InlineData("licence", null, "ice3-glulam")]
    public void Parse_FileWithABadMaterialRow_IsRefusedNamingTheRow(string field, object? value, string id)
    {
        var file = File.DeepClone();
        var row = file["materials"]!.AsArray().Single(r => (string?)r!["id"] == id)!;
        row[field] = value is null ? null : JsonValue.Create(value);

        var e = Assert.Throws<FormatException>(() => EmissionFactors.Parse(file.ToJsonString(), MaterialTaxonomy.Default));

        Assert.Contains($"id '{id}'", e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Parse_FileLeavingATopCategoryUncovered_IsRefusedNamingTheCategory()
    {
        var file = File.DeepClone();
        var materials = file["materials"]!.AsArray();
        materials.Remove(materials.Single(r => (string?)r!["id"] == "ice3-asphalt-5pc-binder"));

        var e = Assert.Throws<FormatException>(() => EmissionFactors.Parse(file.ToJsonString(), MaterialTaxonomy.Default));

        Assert.Contains("'bituminous'", e.Message);
    }

    [Fact]
    public void Parse_RowNamingAnUnknownCategoryOrASecondRowForOne_IsRefused()
    {
        var unknown = File.DeepClone();
        unknown["materials"]![0]!["categories"]!.AsArray().Add("masonry/marble");
        Assert.Contains("masonry/marble", Assert.Throws<FormatException>(() => EmissionFactors.Parse(unknown.ToJsonString(), MaterialTaxonomy.Default)).Message);

        var twice = File.DeepClone();
        twice["materials"]![1]!["categories"]!.AsArray().Add("masonry");
        Assert.Contains("already covers", Assert.Throws<FormatException>(() => EmissionFactors.Parse(twice.ToJsonString(), MaterialTaxonomy.Default)).Message);
    }

    [Fact]
    public void Parse_BadSubstitutionOrJson_IsRefused()
    {
        var ratio = File.DeepClone();
        ratio["substitution"]![2]!["ratio"] = 1.5m;
        Assert.Contains("substitution-c", Assert.Throws<FormatException>(() => EmissionFactors.Parse(ratio.ToJsonString())).Message);

        Assert.Throws<FormatException>(() => EmissionFactors.Parse("{ not json"));
        Assert.Contains("version", Assert.Throws<FormatException>(() => EmissionFactors.Parse("{}")).Message);
    }
}
