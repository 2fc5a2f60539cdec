using System.Net;
using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.Fi;
using Lucene.Net.Analysis.Miscellaneous;
using Lucene.Net.Analysis.Standard;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Analysis.Util;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace Marketplace.Search.Lucene;

/// <summary>
/// English and Finnish analysis of lot text: every text is indexed three ways (English stems, Finnish stems, plain
/// lower-case words for typo matching). Queries are built from analysed terms, never parsed, so no user text can be a
/// syntax error.
/// </summary>
internal sealed class TextAnalysis : IDisposable
{
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;
    public const string TitleEn = "title_en";
    public const string TitleFi = "title_fi";
    public const string TextEn = "text_en";
    public const string TextFi = "text_fi";
    public const string Plain = "plain";

    private static readonly HashSet<string> UnitWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "pcs", "kpl", "pc", "kg", "t", "tn", "tonnes", "tons", "tonnia", "m", "m2", "m²", "m3", "m³", "mm", "cm", "l", "jm", "pallets", "lavaa",
    };

    private readonly EnglishAnalyzer _english = new(Version);
    private readonly FinnishAnalyzer _finnish = new(Version);
    private readonly StandardAnalyzer _plain = new(Version, CharArraySet.Empty);

    /// <summary>The analyser for the index writer: per field.</summary>
    public Analyzer ForIndex() => new PerFieldAnalyzerWrapper(_plain, new Dictionary<string, Analyzer>
    {
        [TitleEn] = _english,
        [TextEn] = _english,
        [TitleFi] = _finnish,
        [TextFi] = _finnish,
        [Plain] = _plain,
    });

    /// <summary>The searchable text of a lot (beyond its title).</summary>
    public static string BodyText(ListingDocument d) => $"{d.Title} {d.Description} {d.CategoryNames} {d.Municipality}";

    /// <summary>
    /// The query for free text: per word, any of English stem, Finnish stem (title boosted), a Finnish stem prefix, or a
    /// near spelling when the word itself is not in the index. Strict: every word (numbers and units aside) must match;
    /// otherwise half of them. Null when the text has no searchable word.
    /// </summary>
    public Query? Build(string text, IndexReader reader, bool strict)
    {
        var words = Tokens(_plain, Plain, text).Select(t => t.Term).Distinct().Take(16).ToArray();
        if (words.Length == 0)
        {
            return null;
        }

        var query = new BooleanQuery();
        var significant = 0;
        foreach (var word in words)
        {
            var perWord = new BooleanQuery();
            AddTerms(perWord, _english, TitleEn, TextEn, word);
            AddTerms(perWord, _finnish, TitleFi, TextFi, word);
            perWord.Add(new TermQuery(new Term(Plain, word)) { Boost = 1.2f }, Occur.SHOULD);
            foreach (var prefix in FinnishPrefixes(word))
            {
                perWord.Add(new PrefixQuery(new Term(Plain, prefix)) { Boost = 0.8f }, Occur.SHOULD);
            }

            // Typo matching costs a walk over the term dictionary: only for words the index does not know.
            if (word.Length >= 4 && !word.Any(char.IsDigit) && reader.DocFreq(new Term(Plain, word)) == 0)
            {
                perWord.Add(new FuzzyQuery(new Term(Plain, word), word.Length >= 8 ? 2 : 1, prefixLength: 1) { Boost = 0.4f }, Occur.SHOULD);
            }

            var optional = UnitWords.Contains(word) || word.All(c => char.IsDigit(c) || c is '.' or ',' or 'x');
            if (!optional)
            {
                significant++;
            }

            query.Add(perWord, Occur.SHOULD);
        }

        query.MinimumNumberShouldMatch = strict ? Math.Max(1, significant) : significant <= 2 ? 1 : (significant + 1) / 2;
        return query;
    }

    /// <summary>The analysed forms of the query's words, to mark in highlights.</summary>
    public HashSet<string> QueryForms(string text)
    {
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (term, _, _) in Tokens(_english, TextEn, text))
        {
            forms.Add("en:" + term);
        }

        foreach (var (term, _, _) in Tokens(_finnish, TextFi, text))
        {
            forms.Add("fi:" + term);
        }

        foreach (var (term, _, _) in Tokens(_plain, Plain, text))
        {
            forms.Add("p:" + term);
            foreach (var prefix in FinnishPrefixes(term))
            {
                forms.Add("px:" + prefix);
            }
        }

        return forms;
    }

    /// <summary>
    /// The text with matched words wrapped in <c>&lt;em&gt;</c> (the rest HTML-escaped), cut to about
    /// <paramref name="maxLength"/> characters around the first match; null when nothing matched.
    /// </summary>
    public string? Highlight(string text, HashSet<string> forms, int maxLength)
    {
        var marks = new SortedDictionary<int, int>();
        foreach (var (analyzer, field, prefix) in new (Analyzer, string, string)[] { (_english, TextEn, "en:"), (_finnish, TextFi, "fi:"), (_plain, Plain, "p:") })
        {
            foreach (var (term, start, end) in Tokens(analyzer, field, text))
            {
                var matched = forms.Contains(prefix + term)
                              || (prefix == "p:" && forms.Any(f => f.StartsWith("px:", StringComparison.Ordinal) && term.StartsWith(f[3..], StringComparison.Ordinal)));
                if (matched && (!marks.TryGetValue(start, out var e) || e < end))
                {
                    marks[start] = end;
                }
            }
        }

        if (marks.Count == 0)
        {
            return null;
        }

        var first = marks.Keys.First();
        var from = text.Length <= maxLength ? 0 : Math.Max(0, first - (maxLength / 3));
        var to = Math.Min(text.Length, from + maxLength);
        var html = new StringBuilder();
        if (from > 0)
        {
            html.Append('…');
        }

        var position = from;
        foreach (var (start, end) in marks)
        {
            if (start < position || end > to)
            {
                continue;
            }

            html.Append(WebUtility.HtmlEncode(text[position..start])).Append("<em>").Append(WebUtility.HtmlEncode(text[start..end])).Append("</em>");
            position = end;
        }

        html.Append(WebUtility.HtmlEncode(text[position..to]));
        if (to < text.Length)
        {
            html.Append('…');
        }

        return html.ToString();
    }

    public void Dispose()
    {
        _english.Dispose();
        _finnish.Dispose();
        _plain.Dispose();
    }

    /// <summary>
    /// The Finnish stemmer does not bring every inflection to one stem (tiili → tiili, tiilet → tiile, tiiliä → tiil), so a
    /// word also matches plain words that start with its stem less one letter (tiil-, ikkun-, ontelolaat-); stems shorter
    /// than four letters are left alone.
    /// </summary>
    private IEnumerable<string> FinnishPrefixes(string word)
    {
        foreach (var (stem, _, _) in Tokens(_finnish, TextFi, word))
        {
            if (stem.Length >= 4 && !stem.Any(char.IsDigit))
            {
                yield return stem.Length >= 5 ? stem[..^1] : stem;
            }
        }
    }

    private static void AddTerms(BooleanQuery perWord, Analyzer analyzer, string titleField, string textField, string word)
    {
        foreach (var term in Tokens(analyzer, textField, word).Select(t => t.Term).Distinct())
        {
            perWord.Add(new TermQuery(new Term(titleField, term)) { Boost = 3f }, Occur.SHOULD);
            perWord.Add(new TermQuery(new Term(textField, term)), Occur.SHOULD);
        }
    }

    private static List<(string Term, int Start, int End)> Tokens(Analyzer analyzer, string field, string text)
    {
        var tokens = new List<(string, int, int)>();
        using var stream = analyzer.GetTokenStream(field, new StringReader(text));
        var term = stream.AddAttribute<ICharTermAttribute>();
        var offset = stream.AddAttribute<IOffsetAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            tokens.Add((term.ToString(), offset.StartOffset, offset.EndOffset));
        }

        stream.End();
        return tokens;
    }
}
