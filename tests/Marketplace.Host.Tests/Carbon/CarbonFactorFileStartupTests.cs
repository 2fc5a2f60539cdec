using System.Text.Json.Nodes;
using Marketplace.Domain.Carbon;

namespace Marketplace.Host.Tests.Carbon;

/// <summary>An operator's factor file with a bad row stops the host at start, with a message naming the row.</summary>
public sealed class CarbonFactorFileStartupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("carbon-start-").FullName;

    [Fact]
    public async Task Start_FactorFileWithABadRow_FailsNamingTheRow()
    {
        var file = JsonNode.Parse(EmissionFactors.ReadEmbedded())!;
        file["substitution"]![1]!["ratio"] = 0;
        var path = Path.Combine(_folder, "factors.json");
        await File.WriteAllTextAsync(path, file.ToJsonString());

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => MarketplaceServer.StartAsync(new() { ["Carbon:FactorFile"] = path }));

        var explanation = StartupProblem.Explain(failure);
        Assert.NotNull(explanation);
        Assert.StartsWith("Configuration error:", explanation);
        Assert.Contains("Carbon:FactorFile", explanation);
        Assert.Contains("substitution-b", explanation);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
