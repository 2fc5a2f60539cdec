using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Materials;

public class SearchVocabularyTests
{
    [Fact]
    public void Default_EveryCategoryHasSynonymsAndTheCompoundPartsAreLowerCaseWords()
    {
        var vocabulary = SearchVocabulary.Default;
        Assert.All(MaterialTaxonomy.Default.Categories.Where(c => c.ParentId is not null), c => Assert.NotEmpty(vocabulary.SynonymsOf(c.Id)));
        Assert.Contains("drywall", vocabulary.SynonymsOf("boards/gypsum"));
        Assert.Contains("lattia", vocabulary.CompoundParts);
        Assert.All(vocabulary.CompoundParts, p => Assert.True(p.All(char.IsLower), p));
    }

    [Fact]
    public void Parse_SynonymsForAnUnknownCategory_ThrowsNamingIt()
    {
        var error = Assert.Throws<FormatException>(() => SearchVocabulary.Parse("""{"synonyms": {"boards/drywall": ["x"]}}""", MaterialTaxonomy.Default));
        Assert.Contains("boards/drywall", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ACompoundPartWithCapitals_Throws()
        => Assert.Throws<FormatException>(() => SearchVocabulary.Parse("""{"compoundParts": ["Lattia"]}""", MaterialTaxonomy.Default));
}
