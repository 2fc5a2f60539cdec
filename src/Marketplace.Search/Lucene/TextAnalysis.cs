using System.Text;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.Core;
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
/// Text analysis of lots, English and Finnish. The index holds plain lower-case words only (title, and everything
/// searchable); a query word matches the word itself, and any indexed word that starts with its English stem or its
/// Finnish stem less one letter (so "bricks" finds "brick", "tiilet" finds "tiili" and "tiiliä"), each scored by BM25, plus
/// near spellings when the index does not know the word. Finnish compounds are split by <see cref="FinnishCompounds"/>:
/// the parts of every indexed compound go to a field of their own (weighed below whole words, so "tiiliä" ranks bricks
/// above roof tiles), and a compound in the query also matches lots that have its parts (lattialautoja: lattia + lautoja).
/// Queries are built from analysed terms, never parsed, so no user text can be a syntax error.
/// </summary>
internal sealed class TextAnalysis : IDisposable
{
    public const LuceneVersion Version = LuceneVersion.LUCENE_48;
    public const string Title = "title";
    public const string Plain = "plain";
    public const string Parts = "parts";

    private const int ExpansionsPerPrefix = 24;

    private static readonly HashSet<string> UnitWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "pcs", "kpl", "pc", "kg", "t", "tn", "tonnes", "tons", "tonnia", "m", "m2", "m²", "m3", "m³", "mm", "cm", "l", "jm", "pallets", "lavaa",
    };

    private readonly EnglishAnalyzer _english = new(Version, CharArraySet.Empty);
    private readonly FinnishAnalyzer _finnish = new(Version, CharArraySet.Empty);
    private readonly StandardAnalyzer _plain = new(Version, CharArraySet.Empty);
    private readonly FinnishCompounds _compounds;
    private readonly CompoundPartsAnalyzer _parts;
    private readonly PerFieldAnalyzerWrapper _index;

    /// <summary>Analysis with the given decompounder (the shipped vocabulary's by default).</summary>
    public TextAnalysis(FinnishCompounds? compounds = null)
    {
        _compounds = compounds ?? FinnishCompounds.Default;
        _parts = new CompoundPartsAnalyzer(_compounds);
        _index = new PerFieldAnalyzerWrapper(_plain, new Dictionary<string, Analyzer> { [Parts] = _parts });
    }

    /// <summary>The analyser for the index writer: plain words in every field, the parts of compounds in <see cref="Parts"/>.</summary>
    public Analyzer ForIndex() => _index;

    /// <summary>The searchable text of a lot.</summary>
    public static string BodyText(ListingDocument d) => $"{d.Title} {d.Description} {d.CategoryNames} {d.Municipality}";

    /// <summary>
    /// The query for free text. Strict: every word (numbers and units aside) must match; otherwise half of them.
    /// Null when the text has no searchable word.
    /// </summary>
    public Query? Build(string text, IndexReader reader, bool strict)
    {
        var words = Words(text).Distinct().Take(16).ToArray();
        if (words.Length == 0)
        {
            return null;
        }

        var query = new BooleanQuery();
        var clauses = new List<(BooleanQuery PerWord, bool Optional)>();
        var significant = 0;
        foreach (var word in words)
        {
            // Few clauses per word keep scoring cheap: the title word, and the body words sharing a prefix with it (the word
            // itself among them; a prefix that starts with another is left out, the shorter one covers it).
            var perWord = new BooleanQuery();
            perWord.Add(new TermQuery(new Term(Title, word)) { Boost = 2.5f }, Occur.SHOULD);
            var prefixes = Prefixes(word).ToList();
            prefixes = prefixes.Where(p => !prefixes.Any(o => o != p && p.StartsWith(o, StringComparison.Ordinal))).ToList();
            if (!prefixes.Any(p => word.StartsWith(p, StringComparison.Ordinal)))
            {
                perWord.Add(new TermQuery(new Term(Plain, word)) { Boost = 1.5f }, Occur.SHOULD);
            }

            foreach (var prefix in prefixes)
            {
                perWord.Add(Prefix(Plain, prefix, 1f), Occur.SHOULD);
            }

            // The word inside compounds (ovet: väliovet). For a word the index does not know, like typo matching, also its
            // forms inside compounds (ovia: väliovet), the dictionary words it is a form of (kaappeja: kaappi), and, for a
            // compound, lots that have each of its parts as words or inside compounds of their own. A known word is found
            // as itself: the rest would only add postings to walk (it doubled the text queries' CPU time in the harness).
            perWord.Add(new TermQuery(new Term(Parts, word)) { Boost = 0.5f }, Occur.SHOULD);
            var known = reader.DocFreq(new Term(Plain, word)) > 0;
            if (!known)
            {
                foreach (var prefix in prefixes)
                {
                    perWord.Add(Prefix(Parts, prefix, 0.5f), Occur.SHOULD);
                }

                foreach (var lemma in _compounds.LemmasOf(word))
                {
                    perWord.Add(new TermQuery(new Term(Plain, lemma)), Occur.SHOULD);
                    perWord.Add(new TermQuery(new Term(Parts, lemma)) { Boost = 0.5f }, Occur.SHOULD);
                }
            }

            if (!known && _compounds.Components(word) is { Count: > 1 } components)
            {
                var all = new BooleanQuery { Boost = 0.8f };
                for (var i = 0; i < components.Count; i++)
                {
                    all.Add(Component(components[i], head: i == components.Count - 1), Occur.MUST);
                }

                perWord.Add(all, Occur.SHOULD);
            }

            // Typo matching walks the term dictionary: only for words the index does not know.
            if (word.Length >= 4 && !word.Any(char.IsDigit) && !known)
            {
                perWord.Add(new FuzzyQuery(new Term(Plain, word), word.Length >= 8 ? 2 : 1, prefixLength: 1) { Boost = 0.4f }, Occur.SHOULD);
            }

            var optional = UnitWords.Contains(word) || word.All(c => char.IsDigit(c) || c is '.' or ',' or 'x');
            if (!optional)
            {
                significant++;
            }

            clauses.Add((perWord, optional));
        }

        // Strict: each significant word is a MUST (a conjunction leapfrogs over the rarest word's postings).
        foreach (var (perWord, optional) in clauses)
        {
            query.Add(perWord, strict && !optional && significant > 0 ? Occur.MUST : Occur.SHOULD);
        }

        query.MinimumNumberShouldMatch = strict ? (significant > 0 ? 0 : 1) : significant <= 2 ? 1 : (significant + 1) / 2;
        return query;
    }

    /// <summary>
    /// One part of a compound: as a word, as a part of indexed compounds, and by the forms the rules above give it (a front
    /// part also as the start of a word: keittiö finds keittiökalusteet).
    /// </summary>
    private BooleanQuery Component(string part, bool head)
    {
        var query = new BooleanQuery();
        query.Add(new TermQuery(new Term(Plain, part)), Occur.SHOULD);
        query.Add(new TermQuery(new Term(Parts, part)), Occur.SHOULD);
        if (!head && part.Length >= 4)
        {
            query.Add(Prefix(Plain, part, 1f), Occur.SHOULD);
        }

        foreach (var prefix in Prefixes(part))
        {
            query.Add(Prefix(Plain, prefix, 1f), Occur.SHOULD);
            query.Add(Prefix(Parts, prefix, 1f), Occur.SHOULD);
        }

        foreach (var lemma in _compounds.LemmasOf(part))
        {
            query.Add(new TermQuery(new Term(Plain, lemma)), Occur.SHOULD);
            query.Add(new TermQuery(new Term(Parts, lemma)), Occur.SHOULD);
        }

        return query;
    }

    /// <summary>What the query's words match, for highlighting: the words and their prefixes.</summary>
    public (HashSet<string> Words, string[] Prefixes) QueryForms(string text)
    {
        var words = Words(text).ToHashSet(StringComparer.Ordinal);
        return (words, words.SelectMany(Prefixes).Distinct().ToArray());
    }

    /// <summary>
    /// The text with matched words wrapped in <c>&lt;em&gt;</c> (the rest HTML-escaped), cut to about
    /// <paramref name="maxLength"/> characters around the first match; null when nothing matched.
    /// </summary>
    public string? Highlight(string text, (HashSet<string> Words, string[] Prefixes) forms, int maxLength)
    {
        // The words are compared in the token stream's own buffer: a string, a list entry and a closure per word of every
        // hit's title and description were most of what a search's highlighting allocated.
        List<(int Start, int End)>? marks = null;
        var hasLookup = forms.Words.TryGetAlternateLookup<ReadOnlySpan<char>>(out var words);
        using (var stream = _plain.GetTokenStream(Plain, new StringReader(text)))
        {
            var term = stream.AddAttribute<ICharTermAttribute>();
            var offset = stream.AddAttribute<IOffsetAttribute>();
            stream.Reset();
            while (stream.IncrementToken())
            {
                var chars = term.Buffer.AsSpan(0, term.Length);
                if ((hasLookup ? words.Contains(chars) : forms.Words.Contains(chars.ToString())) || StartsWithAny(chars, forms.Prefixes))
                {
                    (marks ??= []).Add((offset.StartOffset, offset.EndOffset));
                }
            }

            stream.End();
        }

        if (marks is null)
        {
            return null;
        }

        var first = marks[0].Start;
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

            Escape(html, text.AsSpan(position, start - position)).Append("<em>");
            Escape(html, text.AsSpan(start, end - start)).Append("</em>");
            position = end;
        }

        Escape(html, text.AsSpan(position, to - position));
        if (to < text.Length)
        {
            html.Append('…');
        }

        return html.ToString();
    }

    /// <summary>
    /// Appends <paramref name="text"/> with only HTML's markup characters escaped (&amp;, &lt;, &gt;, quotes): letters such
    /// as ä stay letters, so a client that strips the tags reads the text as written (WebUtility encoded them as &amp;#228;).
    /// </summary>
    private static StringBuilder Escape(StringBuilder html, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => html.Append("&amp;"),
                '<' => html.Append("&lt;"),
                '>' => html.Append("&gt;"),
                '"' => html.Append("&quot;"),
                '\'' => html.Append("&#39;"),
                _ => html.Append(c),
            };
        }

        return html;
    }

    private static bool StartsWithAny(ReadOnlySpan<char> word, string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (word.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        _english.Dispose();
        _finnish.Dispose();
        _plain.Dispose();
        _parts.Dispose();
        _index.Dispose();
    }

    private IEnumerable<string> Words(string text) => Tokens(_plain, Plain, text).Select(t => t.Term);

    /// <summary>
    /// Prefixes a word's inflections share: its English stem (bricks → brick, insulation → insul) and its Finnish stem
    /// less one letter, since the Snowball Finnish stemmer leaves tiili, tiilet and tiiliä as three stems (tiil-).
    /// Stems under four letters are not used: they would match unrelated words.
    /// </summary>
    private IEnumerable<string> Prefixes(string word)
    {
        if (word.Any(char.IsDigit))
        {
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal) { word };
        foreach (var (stem, _, _) in Tokens(_english, Plain, word))
        {
            if (stem.Length >= 4 && seen.Add(stem))
            {
                yield return stem;
            }
        }

        foreach (var (stem, _, _) in Tokens(_finnish, Plain, word))
        {
            var prefix = stem.Length >= 5 ? stem[..^1] : stem;
            if (prefix.Length >= 4 && seen.Add(prefix))
            {
                yield return prefix;
            }
        }
    }

    private static PrefixQuery Prefix(string field, string prefix, float boost)
        => new(new Term(field, prefix)) { Boost = boost, MultiTermRewriteMethod = new MultiTermQuery.TopTermsScoringBooleanQueryRewrite(ExpansionsPerPrefix) };

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

    /// <summary>
    /// Lower-case words of the text, each compound replaced by its parts and every other word dropped. Words are runs of
    /// letters (a compound has no digits), which is much cheaper to find than the standard tokenizer's word boundaries.
    /// </summary>
    private sealed class CompoundPartsAnalyzer(FinnishCompounds compounds) : Analyzer
    {
        protected override TokenStreamComponents CreateComponents(string fieldName, TextReader reader)
        {
            var tokenizer = new LowerCaseTokenizer(Version, reader);
            return new TokenStreamComponents(tokenizer, new CompoundPartsFilter(tokenizer, compounds));
        }
    }

    private sealed class CompoundPartsFilter : TokenFilter
    {
        private readonly FinnishCompounds _compounds;
        private readonly ICharTermAttribute _term;
        private readonly Queue<string> _pending = new();

        public CompoundPartsFilter(TokenStream input, FinnishCompounds compounds)
            : base(input)
        {
            _compounds = compounds;
            _term = AddAttribute<ICharTermAttribute>();
        }

        public override bool IncrementToken()
        {
            while (_pending.Count == 0)
            {
                if (!m_input.IncrementToken())
                {
                    return false;
                }

                if (_compounds.Parts(_term.Buffer.AsSpan(0, _term.Length)) is { } parts)
                {
                    parts.ForEach(_pending.Enqueue);
                }
            }

            _term.SetEmpty().Append(_pending.Dequeue());
            return true;
        }

        public override void Reset()
        {
            base.Reset();
            _pending.Clear();
        }
    }
}
