using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Search;
using Marketplace.Search;

namespace Marketplace.Host.Web.Pages;

/// <summary>The home page: a search box, the region's reuse totals and the newest lots.</summary>
public sealed class IndexModel(ISearchEngine engine) : WebPage
{
    /// <summary>The newest active lots.</summary>
    public IReadOnlyList<SearchHitDto> Newest { get; private set; } = [];

    /// <summary>The region's totals of completed orders, or null when they cannot be read.</summary>
    public CarbonTotalDto? Region { get; private set; }

    /// <summary>Reads both.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        var newest = SearchApi.RunAsync(SearchModel.Parameters(sort: "newest", limit: "6"), engine, ct);
        var region = await Api.GetAsync<CarbonTotalsResponse>("/api/v1/carbon/region", ct);
        Region = region.Value?.Overall;
        Newest = (await newest).Hits;
    }
}
