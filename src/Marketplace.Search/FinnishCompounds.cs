using Marketplace.Domain.Materials;

namespace Marketplace.Search;

/// <summary>
/// A dictionary-based decompounder for Finnish over the search vocabulary's word list (<see cref="SearchVocabulary.CompoundParts"/>):
/// splits a compound into the dictionary words in front and the head that carries the inflection (lattialautoja → lattia +
/// lautoja, kalkkihiekkatiilet → kalkki + hiekka + tiilet), and finds the dictionary words an inflected word is a form of
/// (kaappeja → kaappi, ovia → ovi).
/// </summary>
/// <remarks>
/// A split needs a dictionary word of three letters or more in front and a head of three letters or more that starts like
/// some dictionary word; the longest such front word wins. Inflection changes the end of a Finnish word (lauta, laudat,
/// lautoja), so heads are matched by their start, never looked up whole.
/// </remarks>
public sealed class FinnishCompounds
{
    private const int MinPart = 3;
    private const int MinHead = 3;

    private readonly string[] _words;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _starts;
    private readonly int _longest;

    /// <summary>A decompounder over <paramref name="words"/> (lower case).</summary>
    public FinnishCompounds(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        _words = words.Where(w => w.Length >= 2).Distinct(StringComparer.Ordinal).ToArray();
        _lookup = _words.ToHashSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _starts = _words.Where(w => w.Length >= MinHead).Select(w => w[..MinHead]).ToHashSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _longest = _words.Length == 0 ? 0 : _words.Max(w => w.Length);
    }

    /// <summary>The decompounder over the shipped search vocabulary, built once.</summary>
    public static FinnishCompounds Default { get; } = new(SearchVocabulary.Default.CompoundParts);

    /// <summary>What a compound is made of, front to head (lattialautoja → lattia, lautoja); empty when the word is not a compound.</summary>
    public IReadOnlyList<string> Components(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var components = new List<string>();
        var rest = word.AsSpan();
        while (FrontLength(rest) is var front and > 0)
        {
            components.Add(rest[..front].ToString());
            rest = rest[front..];
        }

        if (components.Count > 0)
        {
            components.Add(rest.ToString());
        }

        return components;
    }

    /// <summary>
    /// The words a compound is indexed by besides itself: every front word and every head after one
    /// (kalkkihiekkatiilet → kalkki, hiekkatiilet, hiekka, tiilet). Null when the word is not a compound; allocates nothing then.
    /// </summary>
    public List<string>? Parts(ReadOnlySpan<char> word)
    {
        List<string>? parts = null;
        var rest = word;
        while (FrontLength(rest) is var front and > 0)
        {
            parts ??= [];
            parts.Add(rest[..front].ToString());
            rest = rest[front..];
            parts.Add(rest.ToString());
        }

        return parts;
    }

    /// <summary>
    /// The dictionary words <paramref name="word"/> is an inflected form of: those it starts with all but their last letter
    /// (kaappeja → kaappi, lautoja → lauta), whole for three-letter words (ovia → ovi), and not much shorter than the word.
    /// </summary>
    public IEnumerable<string> LemmasOf(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        foreach (var d in _words)
        {
            var shared = Math.Max(MinPart, d.Length - 1);
            if (d != word && word.Length >= shared && word.Length <= d.Length + 5 && string.CompareOrdinal(word, 0, d, 0, shared) == 0)
            {
                yield return d;
            }
        }
    }

    // The length of the longest dictionary word the text starts with that leaves a head starting like a dictionary word; 0 for none.
    private int FrontLength(ReadOnlySpan<char> text)
    {
        for (var length = Math.Min(_longest, text.Length - MinHead); length >= MinPart; length--)
        {
            if (_lookup.Contains(text[..length]) && _starts.Contains(text.Slice(length, MinHead)))
            {
                return length;
            }
        }

        return 0;
    }
}
