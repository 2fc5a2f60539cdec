using System.Text.Json.Nodes;
using Marketplace.Domain.Carbon;
using Marketplace.Grains.Carbon;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Tests.Carbon;

public sealed class CarbonSetupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("carbon-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ServiceProvider Services(Dictionary<string, string?> settings)
        => new ServiceCollection().AddMarketplaceCarbon(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    [Fact]
    public void Calculator_WithoutFactorFile_UsesTheShippedFile()
    {
        using var services = Services([]);

        var figure = services.GetRequiredService<ICarbonCalculator>().Calculate(new CarbonInput("metals/steel/beams", "A", 10_000m, 50m));

        Assert.Equal(EmissionFactors.Default.Version, figure.DataVersion);
        Assert.Equal(15_452.5m, figure.AvoidedKgCo2e);
    }

    [Fact]
    public void Calculator_WithOperatorsFactorFile_UsesItWithoutCodeChanges()
    {
        var file = JsonNode.Parse(EmissionFactors.ReadEmbedded())!;
        file["version"] = "operator-2027.1";
        file["materials"]!.AsArray().Single(r => (string?)r!["id"] == "ice3-steel-section-world")!["kgCo2ePerKg"] = 1.13m;
        var path = Path.Combine(_folder, "factors.json");
        File.WriteAllText(path, file.ToJsonString());
        using var services = Services(new() { ["Carbon:FactorFile"] = path });

        var figure = services.GetRequiredService<ICarbonCalculator>().Calculate(new CarbonInput("metals/steel/beams", "A", 10_000m, 50m));

        Assert.Equal("operator-2027.1", figure.DataVersion);
        Assert.Equal(11_300m - 47.5m, figure.AvoidedKgCo2e);
    }

    [Fact]
    public void Options_FactorFileWithABadRow_FailValidationNamingTheRow()
    {
        var file = JsonNode.Parse(EmissionFactors.ReadEmbedded())!;
        file["transport"]!["kgCo2ePerTonneKm"] = -0.1m;
        var path = Path.Combine(_folder, "bad.json");
        File.WriteAllText(path, file.ToJsonString());
        using var services = Services(new() { ["Carbon:FactorFile"] = path });

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CarbonOptions>>().Value);

        Assert.Contains("Carbon:FactorFile", e.Message);
        Assert.Contains("glec-rigid-truck-26-32t", e.Message);
    }

    [Fact]
    public void Options_MissingFactorFile_FailValidationNamingThePath()
    {
        using var services = Services(new() { ["Carbon:FactorFile"] = Path.Combine(_folder, "missing.json") });

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CarbonOptions>>().Value);

        Assert.Contains("missing.json", e.Message);
    }
}
