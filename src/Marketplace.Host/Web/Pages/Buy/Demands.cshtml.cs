using Marketplace.Domain.Materials;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>The firm's wanted notices: open ones first, each to edit or cancel.</summary>
public sealed class DemandsModel(MaterialTaxonomy taxonomy, IStringLocalizer<DemandsModel> text) : WebPage
{
    /// <summary>The firm's open notices.</summary>
    public IReadOnlyList<DemandDoc> Open { get; private set; } = [];

    /// <summary>The taxonomy, for category names.</summary>
    public MaterialTaxonomy Taxonomy => taxonomy;

    /// <summary>What was just done.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Lists the open notices.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Cancels a notice: it leaves matching at once.</summary>
    public async Task<IActionResult> OnPostCancelAsync(string id, CancellationToken ct)
    {
        var result = await Api.PostAsync<DemandDoc>($"/api/v1/demands/{Uri.EscapeDataString(id)}/cancel", null, ct);
        if (result.Ok)
        {
            Done = text["The wanted notice is cancelled."];
            return LocalRedirect("/demands");
        }

        ShowProblem(result.Problem!);
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        if (TraderId is null)
        {
            return;
        }

        var result = await Api.GetAsync<PageDoc<DemandDoc>>($"/api/v1/traders/{Uri.EscapeDataString(TraderId)}/demands?status=open&limit=100", ct);
        Open = result.Value?.Items ?? [];
        if (result.Problem is { } problem)
        {
            ShowProblem(problem);
        }
    }
}
