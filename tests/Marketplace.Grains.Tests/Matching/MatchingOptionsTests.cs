using Marketplace.Grains.Matching;
using Marketplace.Grains.Tests.Silo;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>Matching's options are bounded: a setting out of range stops the silo with the option named, before it matches anything.</summary>
public sealed class MatchingOptionsTests
{
    private static MatchingOptions Options(Dictionary<string, string?> settings) => SiloOptions.Of<MatchingOptions>(settings);

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    public void MaxProposalsPerRound_OutOfRange_IsRefusedNamingIt(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Options(new() { ["Matching:MaxProposalsPerRound"] = value }));

        Assert.Contains("MaxProposalsPerRound must be 1 to 1,000", e.Message);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1000", 1000)]
    public void MaxProposalsPerRound_InRange_IsTaken(string value, int expected)
        => Assert.Equal(expected, Options(new() { ["Matching:MaxProposalsPerRound"] = value }).MaxProposalsPerRound);
}
