using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Tests.Traders;

public class BusinessIdTests
{
    [Theory]
    [InlineData("0112038-9", true)]
    [InlineData("1572860-0", true)]
    [InlineData("0737546-2", true)]
    [InlineData("1572860-1", false)]
    [InlineData("157286-0", false)]
    [InlineData("15728600", false)]
    [InlineData("1572860-", false)]
    [InlineData("a572860-0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValid_KnownIds(string? id, bool expected) => Assert.Equal(expected, BusinessId.IsValid(id));

    [Property]
    public Property IsValid_ExactlyOneCheckDigitFitsAnySevenDigits()
        => Prop.ForAll(Gen.Choose(0, 9_999_999).ToArbitrary(), n =>
        {
            var digits = n.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
            var fitting = Enumerable.Range(0, 10).Count(c => BusinessId.IsValid($"{digits}-{c}"));
            var expected = BusinessId.CheckDigitFor(digits) is null ? 0 : 1;
            return fitting == expected;
        });
}
