using System.Globalization;
using Marketplace.Domain.Materials;
using Marketplace.Host.Api.Search;
using Marketplace.Search;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages;

/// <summary>Search results: every filter of the search API, facet counts, sorts, paging by cursor, highlights and a map.</summary>
public sealed class SearchModel(ISearchEngine engine, MaterialTaxonomy taxonomy, IStringLocalizer<SearchModel> text) : WebPage
{
    /// <summary>Default radius around a place, km.</summary>
    public const decimal DefaultRadiusKm = 30;

    /// <summary>The search as asked.</summary>
    public SearchForm Form { get; private set; } = new();

    /// <summary>The answer, or null when a filter could not be used.</summary>
    public SearchResponse? Result { get; private set; }

    /// <summary>The taxonomy, for the category picker and facet names.</summary>
    public MaterialTaxonomy Taxonomy => taxonomy;

    /// <summary>Runs the search.</summary>
    public async Task<IActionResult> OnGetAsync([FromQuery] SearchForm form, CancellationToken ct)
    {
        Form = form;
        var parameters = Read(form);
        if (!ModelState.IsValid || parameters is null)
        {
            return Page();
        }

        try
        {
            Result = await SearchApi.RunAsync(parameters, engine, ct);
        }
        catch (SearchQueryException e)
        {
            ModelState.AddModelError(FieldOf(e.Field), e.Message);
        }

        return Page();
    }

    /// <summary>The search API's parameters with only some set.</summary>
    public static SearchParameters Parameters(string? q = null, string? category = null, string? near = null, string? radiusKm = null,
        string? condition = null, string? minPrice = null, string? maxPrice = null, string? minQuantity = null, string? availableOn = null,
        string? sort = null, string? cursor = null, string? limit = null)
        => new(q, category, near, radiusKm, condition, minPrice, maxPrice, null, minQuantity, availableOn, null, sort, cursor, limit);

    private SearchParameters? Read(SearchForm form)
    {
        string? near = null;
        if (!string.IsNullOrWhiteSpace(form.Place))
        {
            if (Places.Find(form.Place) is { } place)
            {
                near = string.Create(CultureInfo.InvariantCulture, $"{place.Lat},{place.Lon}");
            }
            else
            {
                ModelState.AddModelError(nameof(SearchForm.Place), text["Choose a place from the list."]);
            }
        }
        else if (!string.IsNullOrWhiteSpace(form.Near))
        {
            near = form.Near;
        }

        var radius = Number(form.RadiusKm, nameof(SearchForm.RadiusKm));
        return Parameters(form.Q, form.Category, near,
            near is null ? null : (radius ?? DefaultRadiusKm).ToString(CultureInfo.InvariantCulture),
            form.Condition, Cents(form.MinPrice, nameof(SearchForm.MinPrice)), Cents(form.MaxPrice, nameof(SearchForm.MaxPrice)),
            Number(form.MinQuantity, nameof(SearchForm.MinQuantity))?.ToString(CultureInfo.InvariantCulture), form.AvailableOn,
            near is null && form.Sort == "distance" ? null : form.Sort, form.Cursor, "20");
    }

    private decimal? Number(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (decimal.TryParse(value.Trim().Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var number) && number >= 0)
        {
            return number;
        }

        ModelState.AddModelError(field, text["Enter a number, e.g. 12,5."]);
        return null;
    }

    private string? Cents(string? euros, string field)
    {
        if (Number(euros, field) is not { } value)
        {
            return null;
        }

        if (Formats.Cents(value) is { } cents)
        {
            return cents.ToString(CultureInfo.InvariantCulture);
        }

        ModelState.AddModelError(field, text["Enter a smaller number."]);
        return null;
    }

    private static string FieldOf(string apiField) => apiField switch
    {
        "near" or "radiusKm" => nameof(SearchForm.Place),
        "minPrice" => nameof(SearchForm.MinPrice),
        "maxPrice" => nameof(SearchForm.MaxPrice),
        "minQuantity" => nameof(SearchForm.MinQuantity),
        "availableOn" => nameof(SearchForm.AvailableOn),
        "condition" => nameof(SearchForm.Condition),
        "category" => nameof(SearchForm.Category),
        "sort" => nameof(SearchForm.Sort),
        "cursor" => nameof(SearchForm.Cursor),
        _ => nameof(SearchForm.Q),
    };
}
