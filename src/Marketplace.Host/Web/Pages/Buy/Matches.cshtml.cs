using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>
/// The matches inbox: lots proposed for the firm's wanted notices (and its lots proposed to others); the buyer accepts
/// (which holds the quantity and places an order) or declines. With script, new proposals appear without reloading.
/// </summary>
public sealed class MatchesModel(IStringLocalizer<MatchesModel> text) : WebPage
{
    /// <summary>The most recently changed matches.</summary>
    public IReadOnlyList<MatchDoc> Matches { get; private set; } = [];

    /// <summary>Lot titles by id, for the rows.</summary>
    public Dictionary<string, string> Titles { get; } = new(StringComparer.Ordinal);

    /// <summary>What was just done.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>The inbox; <paramref name="list"/> = 1 answers only the list, for the live update.</summary>
    public async Task<IActionResult> OnGetAsync(int? list, CancellationToken ct)
    {
        await LoadAsync(ct);
        return list == 1 ? Partial("_MatchList", this) : Page();
    }

    /// <summary>The buyer accepts: the quantity is held and an order placed (pickup, invoice).</summary>
    public async Task<IActionResult> OnPostAcceptAsync(string id, CancellationToken ct)
    {
        var result = await Api.PostAsync<MatchDoc>($"/api/v1/matches/{Uri.EscapeDataString(id)}/accept", null, ct);
        if (result.Value is { } match)
        {
            Done = text["Accepted: the quantity is held for you and the order is with the seller."];
            return LocalRedirect(match.OrderId is { } order ? "/orders/" + Uri.EscapeDataString(order) : "/matches");
        }

        ShowProblem(result.Problem!);
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Declines a proposal; the pair is not proposed again.</summary>
    public async Task<IActionResult> OnPostDeclineAsync(string id, CancellationToken ct)
    {
        var result = await Api.PostAsync<MatchDoc>($"/api/v1/matches/{Uri.EscapeDataString(id)}/decline", null, ct);
        if (result.Ok)
        {
            Done = text["Declined."];
            return LocalRedirect("/matches");
        }

        ShowProblem(result.Problem!);
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var result = await Api.GetAsync<PageDoc<MatchDoc>>("/api/v1/matches?limit=50", ct);
        if (result.Problem is { } problem)
        {
            ShowProblem(problem);
            return;
        }

        Matches = result.Value!.Items;
        foreach (var lotId in Matches.Select(m => m.LotId).Distinct().Take(50))
        {
            if ((await Api.GetAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(lotId)}", ct)).Value is { } lot)
            {
                Titles[lotId] = lot.Title;
            }
        }
    }
}
