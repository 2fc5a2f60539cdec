using Marketplace.Domain.Geo;

namespace Marketplace.Search;

/// <summary>How hits are ordered.</summary>
public enum SearchSort
{
    /// <summary>Best text match first; without text, newest first.</summary>
    Relevance,

    /// <summary>Nearest first; needs <see cref="SearchQuery.Near"/>.</summary>
    Distance,

    /// <summary>Cheapest unit price first.</summary>
    Price,

    /// <summary>Most recently listed first.</summary>
    Newest,
}

/// <summary>A search over active lots. Every filter is optional; they combine with AND.</summary>
public sealed record SearchQuery
{
    /// <summary>Largest page.</summary>
    public const int MaxLimit = 100;

    /// <summary>Longest free text accepted.</summary>
    public const int MaxTextLength = 200;

    /// <summary>Free text in English or Finnish, matched against title, description, category names and municipality.</summary>
    public string? Text { get; init; }

    /// <summary>A category at any level; its subcategories match too.</summary>
    public string? Category { get; init; }

    /// <summary>Minimum condition grade: A only, B = A or B, C = any.</summary>
    public string? MinCondition { get; init; }

    /// <summary>Lowest unit price, minor units.</summary>
    public long? MinPriceMinor { get; init; }

    /// <summary>Highest unit price, minor units.</summary>
    public long? MaxPriceMinor { get; init; }

    /// <summary>
    /// The ISO 4217 currency <see cref="MinPriceMinor"/> and <see cref="MaxPriceMinor"/> are in (default EUR): with a price
    /// filter only lots priced in it pass, since minor units of different currencies do not compare.
    /// </summary>
    public string Currency { get; init; } = Domain.Common.Money.DefaultCurrency;

    /// <summary>True when a price bound is given (and so the currency filters too).</summary>
    public bool FiltersPrice => MinPriceMinor is not null || MaxPriceMinor is not null;

    /// <summary>Smallest available quantity, in the lot's own unit.</summary>
    public decimal? MinQuantity { get; init; }

    /// <summary>A day within the lot's availability window.</summary>
    public DateOnly? AvailableOn { get; init; }

    /// <summary>Centre of a distance filter or sort.</summary>
    public GeoPoint? Near { get; init; }

    /// <summary>Radius around <see cref="Near"/>, km.</summary>
    public double? RadiusKm { get; init; }

    /// <summary>Only this seller's lots.</summary>
    public string? SellerId { get; init; }

    /// <summary>Order of hits.</summary>
    public SearchSort Sort { get; init; } = SearchSort.Relevance;

    /// <summary>Cursor from the previous page's <see cref="SearchResult.NextCursor"/>.</summary>
    public string? Cursor { get; init; }

    /// <summary>Page size, 1 to <see cref="MaxLimit"/>.</summary>
    public int Limit { get; init; } = 20;
}

/// <summary>One lot in the results.</summary>
public sealed record SearchHit(
    string Id,
    string SellerId,
    string Title,
    string Category,
    string Condition,
    string Unit,
    decimal Available,
    long PriceMinor,
    string Currency,
    string? Municipality,
    double Latitude,
    double Longitude,
    DateOnly AvailableFrom,
    DateOnly AvailableTo,
    double? DistanceKm,
    double Score,
    IReadOnlyList<string> Highlights);

/// <summary>How many matching lots have a value.</summary>
public sealed record FacetValue(string Value, long Count);

/// <summary>A page of results.</summary>
/// <param name="Hits">The page.</param>
/// <param name="Total">How many active lots match in all.</param>
/// <param name="Facets">Counts over all matches by <c>category</c> (every level), <c>condition</c> and <c>unit</c>.</param>
/// <param name="NextCursor">Cursor for the next page, or null on the last.</param>
public sealed record SearchResult(
    IReadOnlyList<SearchHit> Hits,
    long Total,
    IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets,
    string? NextCursor);

/// <summary>The search query cannot be run as asked; the message says what to change.</summary>
public sealed class SearchQueryException(string field, string message) : Exception(message)
{
    /// <summary>The query parameter at fault.</summary>
    public string Field { get; } = field;
}

/// <summary>One search engine: the embedded Lucene.Net index or an Elasticsearch cluster.</summary>
public interface ISearchEngine : IAsyncDisposable
{
    /// <summary>Engine name for logs and health.</summary>
    string Name { get; }

    /// <summary>Adds or replaces documents (by id); an older version never replaces a newer one.</summary>
    Task IndexAsync(IReadOnlyCollection<ListingDocument> documents, CancellationToken cancellationToken = default);

    /// <summary>Removes documents of lots that no longer exist in the system of record.</summary>
    Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Runs a query over active lots.</summary>
    Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default);

    /// <summary>The version of every indexed lot, to find what the index missed.</summary>
    Task<IReadOnlyDictionary<string, long>> VersionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Makes what was indexed durable (and visible, where the engine separates the two).</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes every document (before a rebuild).</summary>
    Task ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A bulk load (a rebuild, a catch-up of many lots) ended: brings the index into the shape it answers fastest in,
    /// where the engine has one and the load was big enough to be worth it. Writes may go on meanwhile. True when it
    /// changed the index.
    /// </summary>
    Task<bool> SettleAsync(CancellationToken cancellationToken = default) => Task.FromResult(false);
}
