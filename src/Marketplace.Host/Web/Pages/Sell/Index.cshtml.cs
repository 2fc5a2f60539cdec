using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages.Sell;

/// <summary>The seller's lots with their quantities held and sold, newest first.</summary>
[SessionUser]
public sealed class IndexModel : WebPage
{
    /// <summary>The firm's lots, or null when they could not be read.</summary>
    public IReadOnlyList<LotDoc>? Lots { get; private set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Reads the firm's lots.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var page = await Api.GetAsync<PageDoc<LotDoc>>($"/api/v1/traders/{Uri.EscapeDataString(TraderId ?? "")}/listings?limit=100", ct);
        Lots = page.Value?.Items.Reverse().ToArray();
        if (page.Problem is { } problem)
        {
            ShowProblem(problem);
        }

        return Page();
    }
}
