using Marketplace.Domain.Common;

namespace Marketplace.Domain.Tests.Common;

/// <summary>
/// A requirement's interpolated message is formatted only when the requirement fails, and then as a string would be; text
/// refuses control characters, keeping tabs and line breaks.
/// </summary>
public sealed class ValidationTests
{
    [Theory]
    [InlineData("Ti\u0000li", 3)]
    [InlineData("Tiili\u0001", 6)]
    [InlineData("\u001F", 1)]
    [InlineData("a\uFFFFb", 2)]
    [InlineData("a\u007Fb", 2)] // DEL
    [InlineData("ab\u0085c", 3)] // C1 next line
    [InlineData("\u009F", 1)]
    [InlineData("Bricks \u202Egnp.exe", 8)] // right-to-left override: shows the text reversed
    [InlineData("a\u202Ab", 2)] // left-to-right embedding
    [InlineData("ab\u2066c\u2069", 3)] // left-to-right isolate
    public void Text_WithAControlCharacter_IsRefusedNamingWhere(string text, int position)
    {
        var v = new Validation().Text(text, "title", 200);

        Assert.False(v.IsValid);
        Assert.Contains($"at position {position}", Assert.Throws<DomainException>(() => v.ThrowIfInvalid()).Errors["title"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Text_WithHalfASurrogatePair_IsRefused()
    {
        // Built here: a test case's text in an attribute loses a lone half on its way to the test.
        var text = "lone " + '\uD800' + " half";

        Assert.Equal(5, Validation.InvalidCharacterAt(text));
        Assert.Equal(4, Validation.InvalidCharacterAt("low " + '\uDC00' + " first"));
        Assert.Null(Validation.InvalidCharacterAt("pair " + '\uD83D' + '\uDE00'));
        Assert.Null(Validation.InvalidCharacterAt("mark \u200F and \u200E")); // direction marks change no text's order
    }

    [Theory]
    [InlineData("Tiilet\tlavoilla\r\nrivit")]
    [InlineData("Kierrätetty 😀 tiili")]
    [InlineData("Fönster & Dörr <b>")]
    [InlineData("Hinta\u00A0100\u00A0€")] // a no-break space is just past the C1 range
    public void Text_WithTabsLineBreaksAndPairedSurrogates_IsAccepted(string text)
        => Assert.True(new Validation().Text(text, "description", 200).IsValid);

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
