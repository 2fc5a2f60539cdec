using System.Numerics;
using Marketplace.Payments.Invoice;

namespace Marketplace.Payments.Tests.Invoice;

/// <summary>
/// The Finnish reference (viitenumero) and the RF creditor reference against examples their publishers print, and the
/// refusals of what a bank would refuse.
/// </summary>
public class ReferenceNumbersTests
{
    [Theory]
    [InlineData("1234567", "12345672")] // 7·7+6·3+5·1+4·7+3·3+2·1+1·7 = 118 → 120 − 118 = 2
    [InlineData("123", "1232")] // the shortest base: 3·7+2·3+1·1 = 28 → 2
    [InlineData("123456", "1234561")] // Finance Finland's structure guide prints it as "12 34561"
    [InlineData("123456712345678", "1234567123456784")] // a bank integrator's worked example, "1 23456 71234 56784"
    [InlineData("1000", "10003")] // a check digit from a sum that is not a multiple of ten: 7 → 3
    [InlineData("1300", "13000")] // 3·1+1·7 = 10: a sum ending in zero gives the check digit 0, not 10
    public void Finnish_PublishedBase_AppendsThePublishedCheckDigit(string baseDigits, string expected)
    {
        Assert.Equal(expected, ReferenceNumbers.Finnish(baseDigits));
        Assert.True(ReferenceNumbers.IsValidFinnish(expected));
    }

    [Theory]
    [InlineData("12 34561")]
    [InlineData("1 23456 71234 56784")]
    public void IsValidFinnish_PrintedInGroups_IsAccepted(string printed) => Assert.True(ReferenceNumbers.IsValidFinnish(printed));

    [Theory]
    [InlineData("1234561", "12 34561")]
    [InlineData("1234567123456784", "1 23456 71234 56784")]
    [InlineData("RF18539007547034", "RF18 5390 0754 7034")]
    public void Grouped_Reference_IsPrintedAsBanksPrintIt(string reference, string expected)
        => Assert.Equal(expected, ReferenceNumbers.Grouped(reference));

    [Theory]
    [InlineData("12")] // too short
    [InlineData("000")] // all zero
    [InlineData("12a4")] // not digits
    [InlineData("12 34")] // spaces are printing, not input
    [InlineData("12345678901234567890")] // 20 base digits: the reference would be 21
    [InlineData("")]
    public void Finnish_BadBase_Throws(string baseDigits)
        => Assert.Throws<ArgumentException>(() => ReferenceNumbers.Finnish(baseDigits));

    [Theory]
    [InlineData("12345673")] // wrong check digit
    [InlineData("1234560")]
    [InlineData("123")] // too short to carry a check digit and a base of three
    [InlineData("1234567890123456789012")] // too long
    [InlineData("1234x561")]
    [InlineData("")]
    [InlineData(null)]
    public void IsValidFinnish_BadReference_IsFalse(string? reference) => Assert.False(ReferenceNumbers.IsValidFinnish(reference));

    [Fact]
    public void Creditor_Iso11649Example_GivesRF18()
    {
        // ISO 11649's own example: the reference 539007547034 is RF18 5390 0754 7034.
        Assert.Equal("RF18539007547034", ReferenceNumbers.Creditor("539007547034"));
        Assert.True(ReferenceNumbers.IsValidCreditor("RF18 5390 0754 7034"));
        Assert.True(ReferenceNumbers.IsValidCreditor("rf18539007547034"));
    }

    [Theory]
    [InlineData("1234561")]
    [InlineData("12345672")]
    [InlineData("1232")]
    [InlineData("1234567123456784")]
    public void Creditor_FinnishReference_CarriesTheFinnishReferenceWithIso7064CheckDigits(string finnish)
    {
        // The RF form of a Finnish reference is "RF", two check digits, then the Finnish reference unchanged. The check
        // digits here are computed independently with big-integer arithmetic, as ISO 7064 MOD 97-10 states them:
        // 98 − (reference · 10⁶ + "RF00" as 27 15 00) mod 97.
        var expectedCheck = 98 - (int)(BigInteger.Parse(finnish + "271500") % 97);

        var rf = ReferenceNumbers.Creditor(finnish);

        Assert.Equal($"RF{expectedCheck:00}{finnish}", rf);
        Assert.True(ReferenceNumbers.IsValidCreditor(rf));
    }

    [Fact]
    public void Creditor_FinnishExample_IsRF34()
        // 1234561271500 mod 97 = 64, so the check digits are 98 − 64 = 34.
        => Assert.Equal("RF341234561", ReferenceNumbers.Creditor("1234561"));

    [Theory]
    [InlineData("")]
    [InlineData("1234567890123456789012")] // 22 characters: an RF reference is at most 25 with its four leading ones
    [InlineData("12-34")]
    [InlineData("12 34")]
    [InlineData("ÄÖ12")]
    public void Creditor_BadReference_Throws(string reference)
        => Assert.Throws<ArgumentException>(() => ReferenceNumbers.Creditor(reference));

    [Theory]
    [InlineData("RF19 5390 0754 7034")] // wrong check digits
    [InlineData("RF18 5390 0754 7043")] // transposed digits
    [InlineData("XX18 5390 0754 7034")] // not RF
    [InlineData("RF1")]
    [InlineData("RFAB539007547034")] // check digits must be digits
    [InlineData("RF18 5390-0754 7034")]
    [InlineData("")]
    [InlineData(null)]
    public void IsValidCreditor_BadReference_IsFalse(string? reference) => Assert.False(ReferenceNumbers.IsValidCreditor(reference));
}
