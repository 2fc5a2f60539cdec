using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Imports;

public class ImportTableTests
{
    private static readonly ImportLimits Limits = new(MaxRows: 10, MaxFieldLength: 50);

    [Fact]
    public void Parse_SemicolonCsvWithQuotes_KeepsSeparatorsQuotesAndLineBreaksInCells_AndStartLines()
    {
        var table = ImportTable.Parse("\uFEFFexternalId;title;quantity\r\n1;\"a; \"\"b\"\"\nc\";1,5\r\n2;plain;3\r\n", ImportFormat.Csv, Limits);

        Assert.Equal(';', table.Separator);
        Assert.Equal(["externalId", "title", "quantity"], table.Columns);
        Assert.Equal("a; \"b\"\nc", table.Rows[0].Cells[1]);
        Assert.Equal([2, 4], table.Rows.Select(r => r.Line));
    }

    [Fact]
    public void Parse_CommaCsv_ReportsBadRowsOnTheirLine_WithoutDroppingTheFile()
    {
        var table = ImportTable.Parse("a,b\n1,2\n1,2,3\n4,\"" + new string('x', 60) + "\"\n", ImportFormat.Csv, Limits);

        Assert.Equal(',', table.Separator);
        Assert.Null(table.Rows[0].Error);
        Assert.Contains("3 cells", table.Rows[1].Error);
        Assert.Contains("longer than 50", table.Rows[2].Error);
        Assert.Equal(4, table.Rows[2].Line);
    }

    [Fact]
    public void Parse_OverTheRowLimit_IsRefused()
    {
        var e = Assert.Throws<DomainException>(() => ImportTable.Parse("a\n" + string.Concat(Enumerable.Repeat("1\n", 11)), ImportFormat.Csv, Limits));
        Assert.Equal("import-too-many-rows", e.Code);
    }

    [Fact]
    public void Parse_JsonLines_FlattensNestedObjects_AndReportsLinesThatAreNotObjects()
    {
        var table = ImportTable.Parse("{\"externalId\":\"1\",\"location\":{\"latitude\":60.1},\"photos\":[\"https://x/1\",\"https://x/2\"]}\n[1]\n", ImportFormat.JsonLines, Limits);

        Assert.Equal("60.1", table.Rows[0].Cells[table.IndexOf("location.latitude")]);
        Assert.Equal("https://x/1 https://x/2", table.Rows[0].Cells[table.IndexOf("photos")]);
        Assert.Equal("The line is not a JSON object.", table.Rows[1].Error);
    }

    [Fact]
    public void Parse_JsonLinesWhoseLinesAllFail_IsRefusedWithTheFirstLinesReason_NotAsMissingColumns()
    {
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);

        var e = Assert.Throws<DomainException>(() => ImportTable.Parse(nested + "\n[1]\n", ImportFormat.JsonLines, Limits));

        Assert.Equal("import-unreadable", e.Code);
        Assert.Contains("Line 1: The line is not valid JSON", e.Message);
        Assert.Contains("depth", e.Message);
        Assert.DoesNotContain("Path:", e.Message);
    }

    [Fact]
    public void Parse_JsonLinesWithOneReadableLine_KeepsTheOthersAsRowErrors()
    {
        var table = ImportTable.Parse("[1]\n{\"externalId\":\"1\"}\n", ImportFormat.JsonLines, Limits);

        Assert.Equal("The line is not a JSON object.", table.Rows[0].Error);
        Assert.Equal(["externalId"], table.Columns);
    }

    /// <summary>
    /// A lone surrogate escape (in a value, a name or an array) and a field given twice make their line a row error, as
    /// the JSON API refuses them, not a 500 for the whole import or a silent last-one-wins (probe 25).
    /// </summary>
    [Theory]
    [InlineData("{\"externalId\":\"2\",\"title\":\"a\\ud800b\"}", "not valid Unicode")]
    [InlineData("{\"externalId\":\"2\",\"t\\ud800\":\"x\"}", "not valid Unicode")]
    [InlineData("{\"externalId\":\"2\",\"photos\":[\"\\udc00\"]}", "not valid Unicode")]
    [InlineData("{\"externalId\":\"2\",\"title\":\"a\",\"title\":\"b\"}", "not valid JSON")]
    [InlineData("{\"externalId\":\"2\",\"location.latitude\":1,\"location\":{\"latitude\":2}}", "'location.latitude' is given twice")]
    [InlineData("{\"externalId\":\"2\",\"Title\":\"a\",\"title\":\"b\"}", "'title' is given twice")]
    public void Parse_JsonLinesWithABadLine_KeepsItAsARowError(string line, string error)
    {
        var table = ImportTable.Parse("{\"externalId\":\"1\"}\n" + line + "\n", ImportFormat.JsonLines, Limits);

        Assert.Null(table.Rows[0].Error);
        Assert.Contains(error, table.Rows[1].Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1234,5", 1234.5)]
    [InlineData("1 234,5", 1234.5)]
    [InlineData("1\u00A0234.25", 1234.25)]
    [InlineData("-3", -3)]
    public void TryParseNumber_AcceptsDecimalPointOrComma(string text, decimal expected)
    {
        Assert.True(LotRowReader.TryParseNumber(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1.234,5")]
    [InlineData("12,3,4")]
    [InlineData("abc")]
    public void TryParseNumber_RefusesAmbiguousOrOtherText(string text) => Assert.False(LotRowReader.TryParseNumber(text, out _));

    [Fact]
    public void Read_FinnishRow_BecomesTheLotTheApiWouldCreate_AndBadFieldsAreReportedByName()
    {
        var table = ImportTable.Parse(
            "externalId;title;category;quantity;unit;condition;unitPrice;latitude;longitude;municipality;availableFrom;availableTo\n"
            + "K1;Tiilet;Savitiilet;1 200;kpl;b;0,45;60,18;24,95;Helsinki;1.12.2026;31.1.2027\n"
            + "K2;;Banaanit;-1;kpl;A;1;60,18;24,95;Helsinki;2026-12-01;2027-01-31\n",
            ImportFormat.Csv, new ImportLimits());
        var reader = new LotRowReader("firm-1", ImportMapping.Default.Resolve(table), MaterialTaxonomy.Default, () => new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero), null);

        var good = reader.Read(table.Rows[0]);
        var bad = reader.Read(table.Rows[1]);

        Assert.Empty(good.Errors);
        Assert.Equal(("masonry/bricks/clay", 1200m, "pcs", "B", 45L), (good.Details!.Category, good.Details.Quantity, good.Details.Unit, good.Details.Condition, good.Details.UnitPrice.MinorUnits));
        Assert.Equal(new DateOnly(2026, 12, 1), good.Details.Availability.From);
        Assert.Equal(LotRowReader.LotIdFor("firm-1", "K1"), good.LotId);
        Assert.NotEqual(LotRowReader.LotIdFor("firm-2", "K1"), good.LotId);
        Assert.Null(bad.Details);
        Assert.Equal(["category", "quantity", "title"], bad.Errors.Select(e => e.Field).Order());
        Assert.All(bad.Errors, e => Assert.Equal((3, "K2"), (e.Line, e.ExternalId)));
    }

    [Theory]
    [InlineData("unitPrice", "99999999999999999999", "The price must be at most")]
    [InlineData("unitPrice", "1000000000,01", "The price must be from 0 to")]
    [InlineData("unitPrice", "0,455", "The price has at most two decimals.")]
    [InlineData("unitPriceMinor", "99999999999999999999", "The price must be at most")]
    [InlineData("unitPriceMinor", "45,5", "The price in minor units (cents) is a whole number.")]
    public void Read_APriceTooLargeOrTooFine_SaysWhich(string column, string price, string message)
    {
        var table = ImportTable.Parse(
            $"externalId;title;category;quantity;unit;condition;{column};latitude;longitude;municipality;availableFrom;availableTo\n"
            + $"K1;Tiilet;Savitiilet;1;kpl;b;{price};60,18;24,95;Helsinki;1.12.2026;31.1.2027\n",
            ImportFormat.Csv, new ImportLimits());
        var reader = new LotRowReader("firm-1", ImportMapping.Default.Resolve(table), MaterialTaxonomy.Default, () => new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero), null);

        var error = Assert.Single(reader.Read(table.Rows[0]).Errors);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_NamingAMissingColumnOrAnUnknownField_IsRefused()
    {
        var table = ImportTable.Parse("Tunnus;Nimi\n1;x\n", ImportFormat.Csv, Limits);

        Assert.Equal("invalid-mapping", Assert.Throws<DomainException>(() => ImportMapping.Default.With("colour", "Väri")).Code);
        Assert.Equal("invalid-mapping", Assert.Throws<DomainException>(() => ImportMapping.Default.With("title", "Otsikko").Resolve(table)).Code);
        Assert.Equal("invalid-mapping", Assert.Throws<DomainException>(() => ImportMapping.Default.Resolve(table)).Code);
        Assert.Equal(0, ImportMapping.Default.With("externalId", "tunnus").Resolve(table)["externalId"]);
    }
}
