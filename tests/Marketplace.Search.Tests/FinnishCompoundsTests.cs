using Marketplace.Search;

namespace Marketplace.Search.Tests;

public class FinnishCompoundsTests
{
    private static readonly FinnishCompounds Compounds = FinnishCompounds.Default;

    [Theory]
    [InlineData("lattialautoja", "lattia|lautoja")]
    [InlineData("keittiökaappeja", "keittiö|kaappeja")]
    [InlineData("kalkkihiekkatiilet", "kalkki|hiekka|tiilet")]
    [InlineData("betonikattotiilet", "betoni|katto|tiilet")]
    [InlineData("väliovia", "väli|ovia")]
    [InlineData("punatiiliä", "puna|tiiliä")]
    public void Components_FinnishCompound_SplitsIntoDictionaryWordsAndTheInflectedHead(string word, string expected)
        => Assert.Equal(expected.Split('|'), Compounds.Components(word));

    [Theory]
    [InlineData("tiiliä")]
    [InlineData("hiekkaa")]
    [InlineData("ovet")]
    [InlineData("plasterboard")]
    [InlineData("puute")]
    public void Components_WordThatIsNoCompound_IsEmpty(string word)
        => Assert.Empty(Compounds.Components(word));

    [Fact]
    public void Parts_IndexTheFrontWordsAndEveryHead()
    {
        Assert.Equal(["kalkki", "hiekkatiilet", "hiekka", "tiilet"], Compounds.Parts("kalkkihiekkatiilet"));
        Assert.Null(Compounds.Parts("tiilet"));
    }

    [Theory]
    [InlineData("kaappeja", "kaappi")]
    [InlineData("lautoja", "lauta")]
    [InlineData("ovia", "ovi")]
    [InlineData("harkkoja", "harkko")]
    public void LemmasOf_InflectedWord_FindsTheDictionaryWord(string word, string lemma)
        => Assert.Contains(lemma, Compounds.LemmasOf(word));

    [Fact]
    public void LemmasOf_ShortOrUnrelatedWord_FindsNothingFarAway()
    {
        Assert.DoesNotContain("ovi", Compounds.LemmasOf("ovaalinmuotoinen"));
        Assert.Empty(Compounds.LemmasOf("xyz"));
    }
}
