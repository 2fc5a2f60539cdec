namespace Marketplace.Host.Web.Pages;

/// <summary>What a person can ask the search page; plain text, read here so a mistake is shown next to its field.</summary>
public sealed class SearchForm
{
    /// <summary>Free text.</summary>
    public string? Q { get; set; }

    /// <summary>Category id at any level.</summary>
    public string? Category { get; set; }

    /// <summary>Minimum condition A, B or C.</summary>
    public string? Condition { get; set; }

    /// <summary>Lowest unit price in euros (comma or point).</summary>
    public string? MinPrice { get; set; }

    /// <summary>Highest unit price in euros.</summary>
    public string? MaxPrice { get; set; }

    /// <summary>Smallest available quantity.</summary>
    public string? MinQuantity { get; set; }

    /// <summary>A day the lot must be available on (yyyy-MM-dd).</summary>
    public string? AvailableOn { get; set; }

    /// <summary>A municipality to measure distance from.</summary>
    public string? Place { get; set; }

    /// <summary><c>lat,lon</c> from the browser ("near me"); used when no place is chosen.</summary>
    public string? Near { get; set; }

    /// <summary>Radius in km around the place.</summary>
    public string? RadiusKm { get; set; }

    /// <summary>relevance, distance, price or newest.</summary>
    public string? Sort { get; set; }

    /// <summary>The next page's cursor.</summary>
    public string? Cursor { get; set; }

    /// <summary>The query string of this search with some values changed (null removes one), for facet and paging links.</summary>
    public string With(params (string Key, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["q"] = Q, ["category"] = Category, ["condition"] = Condition, ["minPrice"] = MinPrice, ["maxPrice"] = MaxPrice,
            ["minQuantity"] = MinQuantity, ["availableOn"] = AvailableOn, ["place"] = Place, ["near"] = Near, ["radiusKm"] = RadiusKm, ["sort"] = Sort,
        };
        foreach (var (key, value) in changes)
        {
            values[key] = value;
        }

        return "/search" + QueryString.Create(values.Where(kv => !string.IsNullOrEmpty(kv.Value)));
    }
}
