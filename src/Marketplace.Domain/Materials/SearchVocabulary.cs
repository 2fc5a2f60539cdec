using System.Text.Json;

namespace Marketplace.Domain.Materials;

/// <summary>
/// Words buyers search by, kept as data beside the taxonomy (<c>Materials/search-terms.json</c>): per category, the
/// Finnish and English everyday words and trade names for it (synonyms), and the Finnish words a compound may be split into.
/// </summary>
/// <remarks>Loaded once from the embedded file; both search engines index the synonyms with the category names and split compounds with the same word list.</remarks>
public sealed class SearchVocabulary
{
    private readonly Dictionary<string, IReadOnlyList<string>> _synonyms;

    private SearchVocabulary(string version, Dictionary<string, IReadOnlyList<string>> synonyms, IReadOnlyList<string> compoundParts)
    {
        Version = version;
        _synonyms = synonyms;
        CompoundParts = compoundParts;
    }

    /// <summary>The vocabulary shipped with the product.</summary>
    public static SearchVocabulary Default { get; } = LoadEmbedded();

    /// <summary>Version of the data file.</summary>
    public string Version { get; }

    /// <summary>Finnish words (lower case) that a compound may be split into, as written inside compounds.</summary>
    public IReadOnlyList<string> CompoundParts { get; }

    /// <summary>The synonyms of one category (not of its ancestors); empty when it has none.</summary>
    public IReadOnlyList<string> SynonymsOf(string categoryId) => _synonyms.TryGetValue(categoryId, out var words) ? words : [];

    /// <summary>Parses a vocabulary document; throws <see cref="FormatException"/> naming the first broken entry.</summary>
    /// <param name="json">The document.</param>
    /// <param name="taxonomy">Every synonym key must be one of its categories.</param>
    public static SearchVocabulary Parse(string json, MaterialTaxonomy taxonomy)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        var doc = JsonSerializer.Deserialize<VocabularyFile>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                  ?? throw new FormatException("The search vocabulary file is empty.");
        var synonyms = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (id, words) in doc.Synonyms ?? [])
        {
            if (taxonomy.Find(id) is null)
            {
                throw new FormatException($"Search vocabulary names synonyms for '{id}', which is not a taxonomy category.");
            }

            synonyms[id] = words.Where(w => !string.IsNullOrWhiteSpace(w)).Select(w => w.Trim()).ToArray();
        }

        var parts = new List<string>();
        foreach (var part in doc.CompoundParts ?? [])
        {
            if (part.Length < 2 || part.Any(c => !char.IsLower(c)))
            {
                throw new FormatException($"Search vocabulary compound part '{part}' must be a lower-case word of two letters or more.");
            }

            parts.Add(part);
        }

        return new SearchVocabulary(doc.Version ?? "unversioned", synonyms, parts.Distinct(StringComparer.Ordinal).ToArray());
    }

    private static SearchVocabulary LoadEmbedded()
    {
        using var stream = typeof(SearchVocabulary).Assembly.GetManifestResourceStream("Marketplace.Domain.Materials.search-terms.json")
                           ?? throw new InvalidOperationException("The embedded search vocabulary is missing from Marketplace.Domain.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), MaterialTaxonomy.Default);
    }

    private sealed record VocabularyFile(string? Version, Dictionary<string, List<string>>? Synonyms, List<string>? CompoundParts);
}
