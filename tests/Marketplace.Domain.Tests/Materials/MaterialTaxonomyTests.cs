using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Materials;

public class MaterialTaxonomyTests
{
    private static readonly MaterialTaxonomy Taxonomy = MaterialTaxonomy.Default;

    [Fact]
    public void Default_HasTheTwelveTopCategories()
    {
        string[] expected = ["masonry", "concrete", "metals", "timber", "windows-doors", "insulation", "boards", "roofing-facade", "fixtures-services", "soil-aggregates", "bituminous", "furniture"];
        Assert.Equal(expected, Taxonomy.Categories.Where(c => c.ParentId is null).Select(c => c.Id));
    }

    [Fact]
    public void Default_EveryCategoryHasNamesUnitsAndAKnownParent()
    {
        Assert.All(Taxonomy.Categories, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.NameEn));
            Assert.False(string.IsNullOrWhiteSpace(c.NameFi));
            Assert.NotEmpty(c.Units);
            Assert.True(c.ParentId is null || Taxonomy.Find(c.ParentId) is not null, c.Id);
            Assert.All(c.MassPerUnitKg, kv => Assert.True(c.Allows(kv.Key) && kv.Value > 0, c.Id));
            Assert.True(c.WasteCode is null || c.WasteCode.StartsWith("17 ", StringComparison.Ordinal), c.Id);
        });
    }

    [Fact]
    public void Find_SteelBeams_HasFinnishNameAndWasteCode()
    {
        var beams = Taxonomy.Find("metals/steel/beams");
        Assert.NotNull(beams);
        Assert.Equal("metals", beams.TopLevelId);
        Assert.Equal(3, beams.Depth);
        Assert.Equal("17 04 05", beams.WasteCode);
    }

    [Theory]
    [InlineData("metals/steel/beams", "metals", true)]
    [InlineData("metals/steel/beams", "metals/steel", true)]
    [InlineData("metals/steel", "metals/steel", true)]
    [InlineData("metals/steelwork", "metals/steel", false)]
    [InlineData("metals", "metals/steel", false)]
    public void IsSameOrBelow_RespectsSlugBoundaries(string id, string ancestor, bool expected)
        => Assert.Equal(expected, MaterialTaxonomy.IsSameOrBelow(id, ancestor));

    [Theory]
    [InlineData("""{"categories":[{"id":"a/b","en":"x","fi":"y","units":["kg"]}]}""", "before its parent")]
    [InlineData("""{"categories":[{"id":"A","en":"x","fi":"y","units":["kg"]}]}""", "valid slug")]
    [InlineData("""{"categories":[{"id":"a","en":"x","fi":"y","units":["lbs"]}]}""", "unknown unit")]
    public void Parse_BrokenFile_NamesTheProblem(string json, string expected)
        => Assert.Contains(expected, Assert.Throws<FormatException>(() => MaterialTaxonomy.Parse(json)).Message);
}
