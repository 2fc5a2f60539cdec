using Marketplace.Search.Lucene;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>Reads a query's pages cursor after cursor, for tests that compare two ways of answering it.</summary>
internal static class EnginePages
{
    /// <summary>
    /// The query's hits in order over at most <paramref name="maxPages"/> pages (all of them when null), with the first
    /// page's total and facets.
    /// </summary>
    public static (List<SearchHit> Hits, long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets) Read(
        LuceneSearchEngine engine, SearchQuery query, int? maxPages = null)
    {
        var first = engine.Search(query);
        var hits = new List<SearchHit>(first.Hits);
        for (var (cursor, pages) = (first.NextCursor, 1); cursor is not null && (maxPages is null || pages < maxPages); pages++)
        {
            var page = engine.Search(query with { Cursor = cursor });
            hits.AddRange(page.Hits);
            cursor = page.NextCursor;
        }

        return (hits, first.Total, first.Facets);
    }

    /// <summary>Facets as one comparable line, keys in ordinal order.</summary>
    public static string Facets(IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> facets)
        => string.Join("; ", facets.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + ": " + string.Join(", ", f.Value.Select(v => $"{v.Value}={v.Count}"))));
}
