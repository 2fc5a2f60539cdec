using System.Globalization;
using Marketplace.Domain.Geo;
using Marketplace.Host.Api.Callers;
using Marketplace.Host.Search;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Marketplace.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Api.Search;

/// <summary>Query parameters of <c>GET /api/v1/listings/search</c>, taken as text and checked here so every mistake gets a clear answer.</summary>
/// <param name="Q">Free text, English or Finnish (at most 200 characters).</param>
/// <param name="Category">Category id at any level (<c>masonry</c>, <c>masonry/bricks</c>); subcategories match.</param>
/// <param name="Near">Centre as <c>lat,lon</c>, e.g. <c>60.29,25.04</c>.</param>
/// <param name="RadiusKm">Radius around <c>near</c>, km (up to 1000).</param>
/// <param name="Condition">Minimum condition: A, B or C.</param>
/// <param name="MinPrice">Lowest unit price, minor units (cents).</param>
/// <param name="MaxPrice">Highest unit price, minor units (cents).</param>
/// <param name="Currency">ISO 4217 currency of <c>minPrice</c> and <c>maxPrice</c> (default EUR); a price filter passes only lots priced in it.</param>
/// <param name="MinQuantity">Smallest available quantity in the lot's unit.</param>
/// <param name="AvailableOn">A day (yyyy-MM-dd) within the lot's availability window.</param>
/// <param name="Seller">Only this seller's lots (trader id).</param>
/// <param name="Sort"><c>relevance</c> (default), <c>distance</c> (needs near), <c>price</c>, <c>newest</c>.</param>
/// <param name="Cursor">The previous page's <c>nextCursor</c>.</param>
/// <param name="Limit">Page size, 1 to 100 (default 20).</param>
public sealed record SearchParameters(
    [FromQuery(Name = "q")] string? Q,
    [FromQuery(Name = "category")] string? Category,
    [FromQuery(Name = "near")] string? Near,
    [FromQuery(Name = "radiusKm")] string? RadiusKm,
    [FromQuery(Name = "condition")] string? Condition,
    [FromQuery(Name = "minPrice")] string? MinPrice,
    [FromQuery(Name = "maxPrice")] string? MaxPrice,
    [FromQuery(Name = "currency")] string? Currency,
    [FromQuery(Name = "minQuantity")] string? MinQuantity,
    [FromQuery(Name = "availableOn")] string? AvailableOn,
    [FromQuery(Name = "seller")] string? Seller,
    [FromQuery(Name = "sort")] string? Sort,
    [FromQuery(Name = "cursor")] string? Cursor,
    [FromQuery(Name = "limit")] string? Limit);

/// <summary>A lot in the results.</summary>
public sealed record SearchHitDto(
    string Id, string SellerId, string Title, string Category, string Condition, string Unit, decimal Available,
    MoneyDto UnitPrice, string? Municipality, double Latitude, double Longitude, DateOnly AvailableFrom, DateOnly AvailableTo,
    double? DistanceKm, double Score, IReadOnlyList<string> Highlights);

/// <summary>Money as minor units and currency.</summary>
public sealed record MoneyDto(long MinorUnits, string Currency);

/// <summary>A page of search results with facet counts over all matches, and the currency its price filters compared in.</summary>
public sealed record SearchResponse(IReadOnlyList<SearchHitDto> Hits, long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets, string? NextCursor, string Currency);

/// <summary>Finding lots: text, category, condition, price, quantity, dates, distance.</summary>
public static class SearchApi
{
    /// <summary>Maps <c>GET /api/v1/listings/search</c>.</summary>
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder routes)
    {
        // Bound at run time, not by the request delegate generator: for a record of nullable strings bound with
        // [AsParameters] it writes typeof(string?), which does not compile (CS8639). RDG002 says it skipped this one.
#pragma warning disable RDG002
        Delegate search = SearchAsync;
        routes.MapGroup("/api/v1/listings/search").WithTags("Search").WithCommonProblems()
            .MapGet("/", search).WithName("SearchListings").WithAccess(AccessRule.Public)
            .RequireCallerRateLimit(SearchSetup.RateLimitPolicy)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Searches active lots by free text (English and Finnish), category (with subcategories), condition, price, quantity, availability date and distance. Hits carry distance, available quantity and highlights; facets count category (every level), condition and unit over all matches; page on with nextCursor.");
#pragma warning restore RDG002
        return routes;
    }

    private static async Task<Ok<SearchResponse>> SearchAsync([AsParameters] SearchParameters p, ISearchEngine engine, CancellationToken cancellationToken)
        => TypedResults.Ok(await RunAsync(p, engine, cancellationToken));

    /// <summary>
    /// Runs a search as the endpoint answers it; the search pages call this too (see docs/architecture.md, Web), so both
    /// read the parameters and shape the answer in one place. Throws <see cref="SearchQueryException"/> for a bad parameter.
    /// </summary>
    public static async Task<SearchResponse> RunAsync(SearchParameters p, ISearchEngine engine, CancellationToken cancellationToken)
    {
        var query = Parse(p);
        var result = await engine.SearchAsync(query, cancellationToken);
        var hits = result.Hits.Select(h => new SearchHitDto(h.Id, h.SellerId, h.Title, h.Category, h.Condition, h.Unit, h.Available,
            new MoneyDto(h.PriceMinor, h.Currency), h.Municipality, h.Latitude, h.Longitude, h.AvailableFrom, h.AvailableTo,
            h.DistanceKm, Math.Round(h.Score, 4), h.Highlights)).ToArray();
        return new SearchResponse(hits, result.Total, result.Facets, result.NextCursor, query.Currency);
    }

    /// <summary>Turns the parameters into a query; throws <see cref="SearchQueryException"/> for the first that cannot be read.</summary>
    public static SearchQuery Parse(SearchParameters p)
    {
        GeoPoint? near = null;
        if (!string.IsNullOrWhiteSpace(p.Near))
        {
            var parts = p.Near.Split(',');
            if (parts.Length != 2 || !TryDouble(parts[0], out var lat) || !TryDouble(parts[1], out var lon))
            {
                throw new SearchQueryException("near", "near must be 'latitude,longitude', e.g. 60.29,25.04.");
            }

            near = new GeoPoint(lat, lon);
        }

        var sort = p.Sort?.ToLowerInvariant() switch
        {
            null or "" or "relevance" => SearchSort.Relevance,
            "distance" => SearchSort.Distance,
            "price" => SearchSort.Price,
            "newest" => SearchSort.Newest,
            _ => throw new SearchQueryException("sort", "sort must be relevance, distance, price or newest."),
        };

        DateOnly? availableOn = null;
        if (!string.IsNullOrWhiteSpace(p.AvailableOn))
        {
            availableOn = DateOnly.TryParseExact(p.AvailableOn, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                ? day
                : throw new SearchQueryException("availableOn", "availableOn must be a date as yyyy-MM-dd.");
        }

        return new SearchQuery
        {
            Text = string.IsNullOrWhiteSpace(p.Q) ? null : p.Q.Trim(),
            Category = string.IsNullOrWhiteSpace(p.Category) ? null : p.Category.Trim().ToLowerInvariant(),
            MinCondition = string.IsNullOrWhiteSpace(p.Condition) ? null : p.Condition.Trim().ToUpperInvariant(),
            MinPriceMinor = Long(p.MinPrice, "minPrice"),
            MaxPriceMinor = Long(p.MaxPrice, "maxPrice"),
            Currency = string.IsNullOrWhiteSpace(p.Currency) ? Domain.Common.Money.DefaultCurrency : p.Currency.Trim().ToUpperInvariant(),
            MinQuantity = Decimal(p.MinQuantity, "minQuantity"),
            AvailableOn = availableOn,
            Near = near,
            RadiusKm = Double(p.RadiusKm, "radiusKm"),
            SellerId = string.IsNullOrWhiteSpace(p.Seller) ? null : p.Seller,
            Sort = sort,
            Cursor = string.IsNullOrWhiteSpace(p.Cursor) ? null : p.Cursor,
            Limit = Long(p.Limit, "limit") is { } limit
                ? limit is >= 1 and <= SearchQuery.MaxLimit ? (int)limit : throw new SearchQueryException("limit", $"The limit must be between 1 and {SearchQuery.MaxLimit}.")
                : 20,
        };
    }

    private static bool TryDouble(string text, out double value)
        => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static double? Double(string? text, string field)
        => string.IsNullOrWhiteSpace(text) ? null : TryDouble(text, out var v) ? v : throw new SearchQueryException(field, $"{field} must be a number.");

    private static long? Long(string? text, string field)
        => string.IsNullOrWhiteSpace(text) ? null
            : long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v is > -1_000_000_000_000 and < 1_000_000_000_000 ? v
            : throw new SearchQueryException(field, $"{field} must be a whole number.");

    private static decimal? Decimal(string? text, string field)
        => string.IsNullOrWhiteSpace(text) ? null
            // A decimal point only: "1,5" (a Finnish decimal) was read as 15 with the comma as a thousands separator, and a
            // repeated parameter, joined by a comma, as another number.
            : decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) ? v
            : throw new SearchQueryException(field, $"{field} must be one number with a point for decimals, such as 1.5.");
}
