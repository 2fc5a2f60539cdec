using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Marketplace.Grains.Tests.Silo;

/// <summary>
/// Orleans' activation collection is an operator's setting (<c>Orleans:GrainCollection</c>): taken from configuration,
/// and refused with the setting named when Orleans would fail on it (a zero quantum divided by zero in its collector).
/// </summary>
public sealed class GrainCollectionSettingsTests
{
    private static GrainCollectionOptions Options(Dictionary<string, string?> settings) => SiloOptions.Of<GrainCollectionOptions>(settings);

    [Fact]
    public void Settings_AreTakenFromConfiguration()
    {
        var options = Options(new()
        {
            ["Orleans:GrainCollection:CollectionAge"] = "00:05:00",
            ["Orleans:GrainCollection:CollectionQuantum"] = "00:00:30",
            ["Orleans:GrainCollection:ClassSpecificCollectionAge:Marketplace.Grains.Listings.ListingGrain"] = "00:02:00",
            ["Orleans:GrainCollection:EnableActivationSheddingOnMemoryPressure"] = "true",
        });

        Assert.Equal(TimeSpan.FromMinutes(5), options.CollectionAge);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CollectionQuantum);
        Assert.Equal(TimeSpan.FromMinutes(2), options.ClassSpecificCollectionAge["Marketplace.Grains.Listings.ListingGrain"]);
        Assert.True(options.EnableActivationSheddingOnMemoryPressure);
    }

    [Fact]
    public void Defaults_AreOrleans()
    {
        var options = Options([]);

        Assert.Equal(new GrainCollectionOptions().CollectionAge, options.CollectionAge);
        Assert.Equal(new GrainCollectionOptions().CollectionQuantum, options.CollectionQuantum);
    }

    [Theory]
    [InlineData("Orleans:GrainCollection:CollectionQuantum", "00:00:00", "CollectionQuantum must be at least 1 second")]
    [InlineData("Orleans:GrainCollection:CollectionAge", "00:00:10", "CollectionAge and every ClassSpecificCollectionAge at least the quantum")]
    [InlineData("Orleans:GrainCollection:ClassSpecificCollectionAge:Marketplace.Grains.Listings.ListingGrain", "00:00:01", "every ClassSpecificCollectionAge at least the quantum")]
    [InlineData("Orleans:GrainCollection:MemoryUsageLimitPercentage", "0", "MemoryUsageLimitPercentage must be above 0 and at most 100")]
    [InlineData("Orleans:GrainCollection:MemoryUsageTargetPercentage", "100", "MemoryUsageTargetPercentage above 0 and below it")]
    public void ASettingOrleansWouldFailOn_IsRefusedNamingIt(string key, string value, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Options(new() { [key] = value }));

        Assert.Contains(message, e.Message);
    }
}
