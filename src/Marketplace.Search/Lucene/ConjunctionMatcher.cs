using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;

namespace Marketplace.Search.Lucene;

/// <summary>Accepted documents of a segment that can say which is the next one (the circle's cells).</summary>
internal interface IAcceptedDocs : IBits
{
    /// <summary>The first accepted document at or after <paramref name="target"/>, or <see cref="DocIdSetIterator.NO_MORE_DOCS"/>.</summary>
    int NextAccepted(int target);
}

/// <summary>A match's score, computed only when the ranking asks for it (after the filters passed).</summary>
internal interface IMatchScore
{
    /// <summary>The score of the current match.</summary>
    float GetScore();
}

/// <summary>
/// Our own matcher for the strict text query's usual shape after rewriting: a conjunction of two words or more, or one
/// word, each word a term or a disjunction of terms and of disjunctions of terms (any boosts). Per segment it walks the terms' postings
/// directly: the rarest word leads and the others are advanced to it (Lucene's leap-frog), a word's position is the least
/// of its terms' (no heap, no virtual scorer tree), and nothing is scored on the way. A match is scored only when the
/// ranking asks, and then bit for bit as Lucene 4.8 scores it with BM25: each term by the similarity's own
/// <see cref="Similarity.SimScorer"/> from a weight built and normalised as <c>TermWeight</c> does; a disjunction's
/// matching clauses summed in double and cast to float (<c>DisjunctionSumScorer</c>); the words summed in float in the
/// order of their cost in the segment, cheapest first (<c>ConjunctionScorer</c>); BM25's coordination factors are 1.
/// Any other shape or similarity returns null from <see cref="TryCreate"/>, and Lucene matches it.
/// </summary>
internal sealed class ConjunctionMatcher : IMatchScore
{
    private readonly Similarity _similarity;
    private readonly Leaf[] _leaves;
    private readonly Node[] _words;

    private readonly PostingsCache? _cache;

    // One segment's state. A term's postings are read from Lucene (_docs) or from the cache's decoded arrays
    // (_decoded, _freqs, the current index in _at); _current is the document it stands on either way.
    private readonly DocsEnum?[] _docs;
    private readonly int[]?[] _decoded;
    private readonly byte[]?[] _freqs;
    private readonly int[] _at;
    private readonly long[] _leafCost;
    private readonly bool[] _wordDecoded;
    private IBits? _accepted;
    private int _maxDoc;
    private readonly int[] _current;
    private readonly int[][] _programs;
    private readonly float[] _values;
    private readonly bool[] _matched;
    private readonly byte[]?[] _normBytes;
    private readonly NumericDocValues?[] _normValues;
    private readonly float[]?[] _memo;
    private readonly Similarity.SimScorer?[] _scorers;
    private readonly int[][] _wordLeaves;
    private readonly int[] _wordDoc;
    private readonly long[] _wordCost;
    private readonly int[] _order;
    private int _doc = -1;

    private ConjunctionMatcher(Similarity similarity, Leaf[] leaves, Node[] words, PostingsCache? cache)
    {
        _similarity = similarity;
        _leaves = leaves;
        _words = words;
        _cache = cache;
        _docs = new DocsEnum?[leaves.Length];
        _decoded = new int[]?[leaves.Length];
        _freqs = new byte[]?[leaves.Length];
        _at = new int[leaves.Length];
        _leafCost = new long[leaves.Length];
        _wordDecoded = new bool[words.Length];
        _current = new int[leaves.Length];
        _scorers = new Similarity.SimScorer?[leaves.Length];
        _wordLeaves = new int[words.Length][];
        for (var w = 0; w < words.Length; w++)
        {
            var list = new List<int>();
            words[w].CollectLeaves(list);
            _wordLeaves[w] = [.. list];
        }

        _programs = new int[words.Length][];
        for (var w = 0; w < words.Length; w++)
        {
            var program = new List<int>();
            Compile(words[w], program);
            _programs[w] = [.. program];
        }

        _values = new float[leaves.Length + 1];
        _matched = new bool[leaves.Length + 1];
        _normBytes = new byte[]?[leaves.Length];
        _normValues = new NumericDocValues?[leaves.Length];
        _memo = new float[]?[leaves.Length];
        _wordDoc = new int[words.Length];
        _wordCost = new long[words.Length];
        _order = new int[words.Length];
    }

    /// <summary>
    /// The term contexts a term query carries when a prefix's rewriting made it (Lucene's <c>TermWeight</c> uses them
    /// instead of looking the term up in every segment again; a field of Lucene.Net's, read by reflection, looked up
    /// as Lucene would when absent).
    /// </summary>
    private static readonly System.Reflection.FieldInfo? KnownStates = typeof(TermQuery).GetField("perReaderTermState", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    /// <summary>True when the term contexts of rewritten prefixes are reused (Lucene.Net still has that field).</summary>
    internal static bool ReusesRewriteStates => KnownStates?.FieldType == typeof(TermContext);

    /// <summary>
    /// The matcher of a rewritten query, or null when its shape is neither a conjunction of at least two words of term
    /// disjunctions nor one such word, or the searcher's similarity is not exactly <see cref="BM25Similarity"/> (whose query norm and
    /// coordination factors are 1). With <paramref name="cache"/>, frequent terms' postings are read from their decoded copies.
    /// </summary>
    public static ConjunctionMatcher? TryCreate(IndexSearcher searcher, Query rewritten, PostingsCache? cache = null)
    {
        if (searcher.Similarity.GetType() != typeof(BM25Similarity))
        {
            return null;
        }

        var terms = new List<(TermQuery Query, float TopLevelBoost)>();
        Node[] words;
        if (rewritten is BooleanQuery top && top.MinimumNumberShouldMatch == 0 && top.Clauses.Count >= 2 && top.Clauses.All(c => c.Occur == Occur.MUST))
        {
            words = new Node[top.Clauses.Count];
            // BooleanWeight.Normalize: each boolean multiplies the boost it passes down by its own (query norm 1 under BM25).
            var boost = 1.0f * top.Boost;
            for (var w = 0; w < words.Length; w++)
            {
                if (Plan(top.Clauses[w].Query, boost, terms) is not { } node)
                {
                    return null;
                }

                words[w] = node;
            }
        }
        else if (Plan(rewritten, 1.0f, terms) is { } word)
        {
            // One word (the strict query's single clause rewritten to itself): its disjunction alone.
            words = [word];
        }
        else
        {
            return null;
        }

        var similarity = searcher.Similarity;
        var collection = new Dictionary<string, CollectionStatistics>(StringComparer.Ordinal);
        var leaves = new Leaf[terms.Count];
        for (var i = 0; i < leaves.Length; i++)
        {
            var (query, topLevelBoost) = terms[i];
            var term = query.Term;
            if (!collection.TryGetValue(term.Field, out var fieldStats))
            {
                collection[term.Field] = fieldStats = searcher.CollectionStatistics(term.Field);
            }

            // TermWeight: the term's contexts in every segment (those a prefix's rewriting found, or looked up), its
            // statistics, the similarity's weight normalised.
            var states = KnownStates?.GetValue(query) is TermContext known && known.TopReaderContext == searcher.TopReaderContext
                ? known
                : TermContext.Build(searcher.TopReaderContext, term);
            var stats = similarity.ComputeWeight(query.Boost, fieldStats, searcher.TermStatistics(term, states));
            stats.Normalize(1f, topLevelBoost);
            leaves[i] = new Leaf(term, states, stats, term.Field + "\u0000" + term.Text);
        }

        return new ConjunctionMatcher(similarity, leaves, words, cache);
    }

    /// <summary>A word's clause as a tree over term leaves (numbered in <paramref name="terms"/>), or null for any other query.</summary>
    private static Node? Plan(Query query, float topLevelBoost, List<(TermQuery, float)> terms)
    {
        switch (query)
        {
            case TermQuery term:
                terms.Add((term, topLevelBoost));
                return new Node(terms.Count - 1, []);
            case BooleanQuery boolean when boolean.MinimumNumberShouldMatch == 0 && boolean.Clauses.Count > 0 && boolean.Clauses.All(c => c.Occur == Occur.SHOULD):
                var boost = topLevelBoost * boolean.Boost;
                var children = new Node[boolean.Clauses.Count];
                for (var i = 0; i < children.Length; i++)
                {
                    if (Plan(boolean.Clauses[i].Query, boost, terms) is not { } child)
                    {
                        return null;
                    }

                    children[i] = child;
                }

                return new Node(-1, children);
            default:
                return null;
        }
    }

    /// <summary>
    /// Hands every match of the words to <paramref name="collector"/>, segment by segment (<see cref="ICollector.SetNextReader"/>,
    /// then <see cref="ICollector.Collect"/> per match, in document order); while it collects a match, <see cref="GetScore"/>
    /// is that match's score. <paramref name="accepted"/> gives a segment's accepted documents (its live documents, or
    /// fewer); only those match.
    /// </summary>
    public void Run(IndexReader reader, Func<AtomicReaderContext, IBits?> accepted, ICollector collector)
    {
        foreach (var context in reader.Leaves)
        {
            if (Position(context, accepted(context)))
            {
                collector.SetNextReader(context);
                Match(collector);
            }
        }
    }

    /// <summary>Opens the terms' postings in a segment; false when a word has none of its terms there.</summary>
    private bool Position(AtomicReaderContext context, IBits? accepted)
    {
        var reader = context.AtomicReader;
        _accepted = accepted;
        _maxDoc = reader.MaxDoc;
        for (var i = 0; i < _leaves.Length; i++)
        {
            _docs[i] = null;
            _decoded[i] = null;
            _freqs[i] = null;
            _at[i] = -1;
            _leafCost[i] = -1;
            _scorers[i] = null;
            _normBytes[i] = null;
            _normValues[i] = null;
            if (_memo[i] is { } memo)
            {
                Array.Fill(memo, float.NaN);
            }

            _current[i] = -1;
        }

        for (var w = 0; w < _words.Length; w++)
        {
            long cost = 0;
            var any = false;
            _wordDecoded[w] = false;
            foreach (var i in _wordLeaves[w])
            {
                var leaf = _leaves[i];
                if (leaf.States.Get(context.Ord) is not { } state || reader.GetTerms(leaf.Term.Field) is not { } terms)
                {
                    continue;
                }

                var termsEnum = terms.GetEnumerator();
                termsEnum.SeekExact(leaf.Term.Bytes, state);
                if (_cache?.Get(reader, leaf.Key, termsEnum) is { } decoded)
                {
                    // The decoded postings hold deleted and refused documents too: the match checks them (see Match).
                    _decoded[i] = decoded.Docs;
                    _freqs[i] = decoded.Freqs;
                    _leafCost[i] = decoded.Count;
                    _wordDecoded[w] = true;
                }
                else
                {
                    var docs = termsEnum.Docs(accepted, null, DocsFlags.FREQS);
                    _docs[i] = docs;
                    _leafCost[i] = docs.GetCost();
                }

                _scorers[i] = _similarity.GetSimScorer(leaf.Stats, context);
                // The norms BM25's scorer reads, as bytes (decoded once per segment core when there is a cache).
                if (_cache?.Norms(reader, leaf.Term.Field) is { } norms)
                {
                    _normBytes[i] = norms;
                }
                else
                {
                    _normValues[i] = reader.GetNormValues(leaf.Term.Field);
                }

                cost += _leafCost[i];
                any = true;
            }

            if (!any)
            {
                return false;
            }

            _wordCost[w] = cost;
            _wordDoc[w] = -1;
            _order[w] = w;

            // The word's terms most frequent first (see Advance).
            Array.Sort(_wordLeaves[w], (a, b) => _leafCost[b].CompareTo(_leafCost[a]));
        }

        // ConjunctionScorer: the words by cost, cheapest first (a stable sort: equal costs keep the clauses' order).
        var order = _order;
        var costs = _wordCost;
        for (var a = 1; a < order.Length; a++)
        {
            var moving = order[a];
            var b = a - 1;
            while (b >= 0 && costs[order[b]] > costs[moving])
            {
                order[b + 1] = order[b];
                b--;
            }

            order[b + 1] = moving;
        }

        return true;
    }

    /// <summary>The leap-frog over one segment.</summary>
    private void Match(ICollector collector)
    {
        var order = _order;
        var lead = order[0];
        // A lead word read (partly) from decoded postings may stand on a document that is deleted or refused (outside
        // the circle's cells): such a document is skipped before the other words are advanced to it, to the next
        // accepted one where the accepted documents can say which (the cells).
        var accepted = _wordDecoded[lead] ? _accepted : null;
        var skipper = accepted as IAcceptedDocs;
        var doc = _wordDoc[lead] = Advance(lead, 0);
        while (doc != DocIdSetIterator.NO_MORE_DOCS)
        {
            if (accepted is not null && !accepted.Get(doc))
            {
                if (skipper is not null)
                {
                    var next = doc + 1 < _maxDoc ? skipper.NextAccepted(doc + 1) : DocIdSetIterator.NO_MORE_DOCS;
                    doc = _wordDoc[lead] = next == DocIdSetIterator.NO_MORE_DOCS ? next : Advance(lead, next);
                }
                else
                {
                    doc = _wordDoc[lead] = Next(lead, doc);
                }

                continue;
            }

            var aligned = true;
            for (var k = 1; k < order.Length; k++)
            {
                var w = order[k];
                var at = _wordDoc[w];
                if (at < doc)
                {
                    at = _wordDoc[w] = Advance(w, doc);
                }

                if (at > doc)
                {
                    doc = _wordDoc[lead] = Advance(lead, at);
                    aligned = false;
                    break;
                }
            }

            if (!aligned)
            {
                continue;
            }

            _doc = doc;
            collector.Collect(doc);
            doc = _wordDoc[lead] = Next(lead, doc);
        }
    }

    /// <summary>
    /// A word's first document at or after <paramref name="target"/> (the least of its terms'). Its terms are tried most
    /// frequent first, and the first one at the target itself ends the search: the others may then stay behind, to be
    /// advanced by a later call or when the match is scored.
    /// </summary>
    private int Advance(int word, int target)
    {
        var least = DocIdSetIterator.NO_MORE_DOCS;
        foreach (var i in _wordLeaves[word])
        {
            if (_leafCost[i] < 0)
            {
                continue;
            }

            var at = _current[i];
            if (at < target)
            {
                at = _current[i] = AdvanceLeaf(i, target);
            }

            if (at == target)
            {
                return target;
            }

            if (at < least)
            {
                least = at;
            }
        }

        return least;
    }

    /// <summary>A word's next document after <paramref name="doc"/>, where it stands.</summary>
    private int Next(int word, int doc)
    {
        var least = DocIdSetIterator.NO_MORE_DOCS;
        foreach (var i in _wordLeaves[word])
        {
            if (_leafCost[i] < 0)
            {
                continue;
            }

            var at = _current[i];
            if (at <= doc)
            {
                at = _current[i] = at == doc ? NextLeaf(i) : AdvanceLeaf(i, doc + 1);
            }

            if (at < least)
            {
                least = at;
            }
        }

        return least;
    }

    /// <summary>A term's first document at or after <paramref name="target"/> (beyond where it stands).</summary>
    private int AdvanceLeaf(int i, int target)
    {
        if (_decoded[i] is not { } docs)
        {
            return _docs[i]!.Advance(target);
        }

        // Galloping, then a binary search; the last entry is NO_MORE_DOCS, above any target.
        var lo = _at[i] + 1;
        if (docs[lo] >= target)
        {
            _at[i] = lo;
            return docs[lo];
        }

        var last = docs.Length - 1;
        var step = 1;
        var hi = lo + 1;
        while (hi < last && docs[hi] < target)
        {
            lo = hi;
            step <<= 1;
            hi = lo + step;
        }

        if (hi > last)
        {
            hi = last;
        }

        // docs[lo] < target <= docs[hi]
        while (hi - lo > 1)
        {
            var mid = (lo + hi) >>> 1;
            if (docs[mid] < target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        _at[i] = hi;
        return docs[hi];
    }

    /// <summary>A term's next document after the one it stands on.</summary>
    private int NextLeaf(int i)
    {
        if (_decoded[i] is not { } docs)
        {
            return _docs[i]!.NextDoc();
        }

        return docs[++_at[i]];
    }

    /// <summary>A term's frequency in the document it stands on.</summary>
    private int Freq(int i) => _freqs[i] is { } freqs ? freqs[_at[i]] : _docs[i]!.Freq;

    /// <inheritdoc />
    public float GetScore()
    {
        // ConjunctionScorer.GetScore: a float sum in cost order, times coord(n, n) = 1.
        var sum = 0.0f;
        foreach (var w in _order)
        {
            sum += ScoreWord(_programs[w]);
        }

        return sum;
    }

    /// <summary>
    /// A word's score at the current document (the word matches there), from its program (its tree in post-order: a term
    /// pushes its score, or nothing matched; a disjunction of k clauses pops them and pushes their matching ones' scores
    /// summed in double in the clauses' order, cast to float, times coord = 1), as Lucene's scorers nest.
    /// </summary>
    private float ScoreWord(int[] program)
    {
        var values = _values;
        var matched = _matched;
        var top = 0;
        foreach (var op in program)
        {
            if (op >= 0)
            {
                var at = LeafAt(op);
                matched[top] = at;
                values[top] = at ? LeafScore(op) : 0f;
                top++;
            }
            else
            {
                var from = top + op;
                var sum = 0.0d;
                var any = false;
                for (var k = from; k < top; k++)
                {
                    if (matched[k])
                    {
                        sum += values[k];
                        any = true;
                    }
                }

                top = from;
                values[top] = (float)sum;
                matched[top] = any;
                top++;
            }
        }

        return values[0];
    }

    /// <summary>True when a term has the current document (a term left behind when another of its word's terms was found first catches up).</summary>
    private bool LeafAt(int i)
    {
        if (_leafCost[i] < 0)
        {
            return false;
        }

        var at = _current[i];
        if (at < _doc)
        {
            at = _current[i] = AdvanceLeaf(i, _doc);
        }

        return at == _doc;
    }

    /// <summary>
    /// A term's score at the current document. BM25's score of a document is a function of its norm's byte and the
    /// term's frequency alone (<c>weight * freq / (freq + cache[norm])</c>), so a low frequency's score is computed by
    /// the term's own scorer once per norm byte and segment, and read from that table after.
    /// </summary>
    private float LeafScore(int i)
    {
        var freq = Freq(i);
        if (freq >= MemoFreqs)
        {
            return _scorers[i]!.Score(_doc, freq);
        }

        var norm = _normBytes[i] is { } bytes ? bytes[_doc] : _normValues[i] is { } values ? (byte)values.Get(_doc) : 0;
        var memo = _memo[i] ??= NewMemo();
        ref var score = ref memo[(norm * MemoFreqs) + freq];
        if (float.IsNaN(score))
        {
            score = _scorers[i]!.Score(_doc, freq);
        }

        return score;
    }

    private static float[] NewMemo()
    {
        var memo = new float[256 * MemoFreqs];
        Array.Fill(memo, float.NaN);
        return memo;
    }

    /// <summary>Frequencies below this are scored from a term's table.</summary>
    private const int MemoFreqs = 4;

    /// <summary>A word's tree in post-order: a term's number, or minus the number of a disjunction's clauses.</summary>
    private static void Compile(Node node, List<int> program)
    {
        if (node.Leaf >= 0)
        {
            program.Add(node.Leaf);
            return;
        }

        foreach (var child in node.Children)
        {
            Compile(child, program);
        }

        program.Add(-node.Children.Length);
    }

    /// <summary>A term of the query: its contexts in the segments and its normalised BM25 weight.</summary>
    private sealed record Leaf(Term Term, TermContext States, Similarity.SimWeight Stats, string Key);

    /// <summary>A term (<see cref="Leaf"/> ≥ 0) or a disjunction of <see cref="Children"/>.</summary>
    private sealed record Node(int Leaf, Node[] Children)
    {
        public void CollectLeaves(List<int> into)
        {
            if (Leaf >= 0)
            {
                into.Add(Leaf);
            }

            foreach (var child in Children)
            {
                child.CollectLeaves(into);
            }
        }
    }
}
