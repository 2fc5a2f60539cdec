using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>The buyer's holds across all lots, open ones by default; each open hold checks out or is released here.</summary>
public sealed class HoldsModel(IStringLocalizer<HoldsModel> text) : WebPage
{
    /// <summary>This page of holds.</summary>
    public PageDoc<BuyerHoldDoc>? Holds { get; private set; }

    /// <summary>True when every hold is listed, not only the open ones.</summary>
    public bool All { get; private set; }

    /// <summary>The cursor this page was read with.</summary>
    public string? Cursor { get; private set; }

    /// <summary>What was just done, said once after the redirect.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Reads a page: the open holds, or all of them (<c>?all=true</c>).</summary>
    public async Task<IActionResult> OnGetAsync(bool all, string? cursor, CancellationToken ct)
    {
        await LoadAsync(all, cursor, ct);
        return Page();
    }

    /// <summary>Releases one of the buyer's holds: its quantity is free for others again.</summary>
    public async Task<IActionResult> OnPostReleaseAsync(string? lot, string? hold, CancellationToken ct)
    {
        var released = await Api.DeleteAsync($"/api/v1/listings/{Uri.EscapeDataString(lot ?? "")}/holds/{Uri.EscapeDataString(hold ?? "")}", ct);
        if (released.Ok)
        {
            Done = text["The hold is released."];
            return LocalRedirect("/holds");
        }

        ShowProblem(released.Problem!);
        await LoadAsync(false, null, ct);
        return Page();
    }

    private async Task LoadAsync(bool all, string? cursor, CancellationToken ct)
    {
        All = all;
        Cursor = cursor;
        var result = await Api.GetAsync<PageDoc<BuyerHoldDoc>>("/api/v1/holds?limit=20" + (all ? "" : "&status=active")
            + (string.IsNullOrEmpty(cursor) ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), ct);
        Holds = result.Value;
        if (result.Problem is { } problem && ProblemMessage is null)
        {
            ShowProblem(problem);
        }
    }
}

/// <summary>One of the buyer's holds with its lot (<c>GET /holds</c>).</summary>
public sealed record BuyerHoldDoc(string ListingId, string Title, string Unit, string? Municipality, string ListingStatus, MoneyDoc UnitPrice, HoldDoc Hold, string? OrderId);
