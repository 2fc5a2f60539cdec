using Marketplace.Domain.Common;

namespace Marketplace.Domain.Tests.Common;

/// <summary>A requirement's interpolated message is formatted only when the requirement fails, and then as a string would be.</summary>
public sealed class ValidationTests
{
    [Fact]
    public void AMetRequirement_DoesNotFormatItsMessage()
    {
        var counted = new Counted();

        var v = new Validation().Require(true, "field", $"never {counted} shown");

        Assert.True(v.IsValid);
        Assert.Equal(0, counted.Formatted);
    }

    [Fact]
    public void AFailedRequirement_ReportsItsMessage_AsTheInterpolatedStringReads()
    {
        var counted = new Counted();
        var limit = 12.5m;

        var error = Assert.Throws<DomainException>(() => new Validation()
            .Require(false, "radiusKm", $"At most {limit:0} km ({counted}, {"text",6}|{3,-3:00}|).")
            .ThrowIfInvalid());

        Assert.Equal(1, counted.Formatted);
        Assert.Equal([$"At most {limit:0} km (counted 1, {"text",6}|{3,-3:00}|)."], error.Errors["radiusKm"]);
    }

    private sealed class Counted
    {
        public int Formatted { get; private set; }

        public override string ToString() => $"counted {++Formatted}";
    }
}
