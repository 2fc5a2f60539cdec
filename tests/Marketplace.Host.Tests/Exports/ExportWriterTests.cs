using System.Globalization;
using Marketplace.Host.Api.Exports;

namespace Marketplace.Host.Tests.Exports;

public class ExportWriterTests
{
    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+358 40 1", "'+358 40 1")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=a,b", "\"'=a,b\"")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    public void Cell_Text_IsGuardedAndQuoted(string text, string expected) => Assert.Equal(expected, ExportWriter.Cell(text));

    [Fact]
    public void Cell_Numbers_AreInvariantUnguardedAndWithoutTrailingZeros()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fi-FI");
        try
        {
            Assert.Equal("-1234.5", ExportWriter.Cell(-1234.500m));
            Assert.Equal("60.1841", ExportWriter.Cell(60.1841));
            Assert.Equal("-45", ExportWriter.Cell(-45L));
            Assert.Equal("2026-11-29", ExportWriter.Cell(new DateOnly(2026, 11, 29)));
            Assert.Equal("2026-11-29T10:00:00.0000000+00:00", ExportWriter.Cell(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero)));
            Assert.Equal("true", ExportWriter.Cell(true));
            Assert.Equal("", ExportWriter.Cell(null));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
