using System.Text;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Analysis.Util;
using Marketplace.Search.Lucene;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>
/// A hit's highlights, compared with a plain oracle: every word of the text as a string, kept when it is one of the
/// query's words or starts with one of their prefixes (what <see cref="TextAnalysis.Highlight"/> did before it compared
/// the words in the token stream's buffer).
/// </summary>
public sealed class TextAnalysisHighlightTests
{
    private static readonly string[] Texts =
    [
        "Reclaimed red clay bricks from a facade in Kallio, cleaned & stacked on pallets <2 t>.",
        "Vanhoja punatiiliä ja tiilet lavoilla; tiili on puhdistettu. Kattotiilet erikseen.",
        "Insulation boards, insulated panels and INSULATION rolls: mineral wool 100 mm, \"as new\".",
        "Keittiökalusteet ja keittiön ovet, tammi. Kaapit 60 cm, työtaso 3 m.",
        "Nothing here matches anything at all, just words about timber beams and steel profiles that go on for a while "
            + "longer than a short highlight would show, so that the cut around the first match is exercised too: bricks.",
    ];

    private static readonly string[] Queries = ["bricks", "tiili", "insulation", "keittiö ovet", "facade pallets", "steel bricks", "kattotiili", "zzz"];

    [Fact]
    public void Highlight_MarksTheWordsAndPrefixesTheOracleMarks()
    {
        using var analysis = new TextAnalysis();
        var marked = 0;
        foreach (var query in Queries)
        {
            var forms = analysis.QueryForms(query);
            foreach (var text in Texts)
            {
                foreach (var maxLength in new[] { 40, 160, 200 })
                {
                    var expected = Oracle(text, forms, maxLength);
                    Assert.Equal(expected, analysis.Highlight(text, forms, maxLength));
                    marked += expected is null ? 0 : 1;
                }
            }
        }

        // The cases cover matches by word and by prefix only (tiili → tiiliä, tiilet), and texts that match nothing.
        Assert.InRange(marked, 20, Queries.Length * Texts.Length * 3 - 10);
        Assert.Contains("<em>tiilet</em>", analysis.Highlight(Texts[1], analysis.QueryForms("tiili"), 200));
        Assert.Contains("<em>punatiiliä</em>", analysis.Highlight(Texts[1], analysis.QueryForms("punatiili"), 200));
    }

    private static string? Oracle(string text, (HashSet<string> Words, string[] Prefixes) forms, int maxLength)
    {
        var marks = new List<(int Start, int End)>();
        using (var analyzer = new StandardAnalyzer(TextAnalysis.Version, CharArraySet.Empty))
        using (var stream = analyzer.GetTokenStream(TextAnalysis.Plain, new StringReader(text)))
        {
            var term = stream.AddAttribute<ICharTermAttribute>();
            var offset = stream.AddAttribute<IOffsetAttribute>();
            stream.Reset();
            while (stream.IncrementToken())
            {
                var word = term.ToString();
                if (forms.Words.Contains(word) || forms.Prefixes.Any(p => word.StartsWith(p, StringComparison.Ordinal)))
                {
                    marks.Add((offset.StartOffset, offset.EndOffset));
                }
            }

            stream.End();
        }

        if (marks.Count == 0)
        {
            return null;
        }

        var from = text.Length <= maxLength ? 0 : Math.Max(0, marks[0].Start - (maxLength / 3));
        var to = Math.Min(text.Length, from + maxLength);
        var html = new StringBuilder(from > 0 ? "…" : "");
        var position = from;
        foreach (var (start, end) in marks.Where(m => m.Start >= from && m.End <= to))
        {
            if (start < position)
            {
                continue;
            }

            html.Append(Escaped(text[position..start])).Append("<em>").Append(Escaped(text[start..end])).Append("</em>");
            position = end;
        }

        return html.Append(Escaped(text[position..to])).Append(to < text.Length ? "…" : "").ToString();
    }

    /// <summary>Markup characters escaped, letters such as ä left as they are.</summary>
    private static string Escaped(string text)
        => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
