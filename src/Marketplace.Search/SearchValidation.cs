namespace Marketplace.Search;

/// <summary>Checks a query before any engine runs it; every engine answers the same refusals.</summary>
public static class SearchValidation
{
    /// <summary>Largest radius accepted, km.</summary>
    public const double MaxRadiusKm = 1000;

    /// <summary>Throws <see cref="SearchQueryException"/> naming the first parameter that cannot be used.</summary>
    public static void Check(SearchQuery query)
    {
        if (query.Limit is < 1 or > SearchQuery.MaxLimit)
        {
            throw new SearchQueryException("limit", $"The limit must be between 1 and {SearchQuery.MaxLimit}.");
        }

        if (query.Text is { Length: > SearchQuery.MaxTextLength })
        {
            throw new SearchQueryException("q", $"The search text is limited to {SearchQuery.MaxTextLength} characters.");
        }

        if (query.RadiusKm is { } radius && (!double.IsFinite(radius) || radius <= 0 || radius > MaxRadiusKm))
        {
            throw new SearchQueryException("radiusKm", $"The radius must be more than 0 and at most {MaxRadiusKm:0} km.");
        }

        if (query.RadiusKm is not null && query.Near is null)
        {
            throw new SearchQueryException("near", "A radius needs a centre: add near=lat,lon.");
        }

        if (query.Sort == SearchSort.Distance && query.Near is null)
        {
            throw new SearchQueryException("sort", "Sorting by distance needs near=lat,lon.");
        }

        if (query.Near is { } near && !near.IsValid)
        {
            throw new SearchQueryException("near", "near must be a latitude from -90 to 90 and a longitude from -180 to 180.");
        }

        if (query.MinCondition is not null && ListingDocument.ConditionRank(query.MinCondition) == 0)
        {
            throw new SearchQueryException("condition", "The condition must be A, B or C.");
        }

        if (!Domain.Common.Money.IsCurrencyCode(query.Currency))
        {
            throw new SearchQueryException("currency", "The currency must be an ISO 4217 code of a currency with two decimals, such as EUR or SEK.");
        }

        if (query.MinPriceMinor is < 0 || query.MaxPriceMinor is < 0)
        {
            throw new SearchQueryException("minPrice", "Prices cannot be negative.");
        }

        if (query.MinPriceMinor is { } min && query.MaxPriceMinor is { } max && min > max)
        {
            throw new SearchQueryException("maxPrice", "maxPrice must not be below minPrice.");
        }

        if (query.MinQuantity is < 0)
        {
            throw new SearchQueryException("minQuantity", "minQuantity cannot be negative.");
        }
    }
}
