using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>The firm's orders as buyer, or as seller (<c>?role=seller</c>: orders for its lots), newest first, paged by cursor.</summary>
public sealed class OrdersModel : WebPage
{
    /// <summary>This page of orders.</summary>
    public PageDoc<OrderDoc>? Orders { get; private set; }

    /// <summary>The cursor this page was read with.</summary>
    public string? Cursor { get; private set; }

    /// <summary>True for the orders of the firm's lots (the firm sells), false for what it buys.</summary>
    public bool AsSeller { get; private set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Reads a page.</summary>
    public async Task<IActionResult> OnGetAsync(string? role, string? cursor, CancellationToken ct)
    {
        Cursor = cursor;
        AsSeller = role == "seller";
        var result = await Api.GetAsync<PageDoc<OrderDoc>>($"/api/v1/orders?role={(AsSeller ? "seller" : "buyer")}&limit=20"
            + (string.IsNullOrEmpty(cursor) ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), ct);
        Orders = result.Value;
        if (result.Problem is { } problem)
        {
            ShowProblem(problem);
        }

        return Page();
    }
}
