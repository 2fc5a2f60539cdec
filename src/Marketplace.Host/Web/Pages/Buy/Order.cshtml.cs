using Marketplace.Host.Web.Pages.Firm;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>
/// One order: its lines, totals, invoice, pickup code and CO2e; the buyer confirms receipt, completes, cancels and reviews;
/// the seller accepts, hands over with the buyer's pickup code and cancels.
/// </summary>
public sealed class OrderModel(IStringLocalizer<OrderModel> text) : WebPage
{
    /// <summary>The order, or null when it is not found.</summary>
    public OrderDoc? Order { get; private set; }

    /// <summary>The review form.</summary>
    [BindProperty]
    public ReviewForm Review { get; set; } = new();

    /// <summary>The reason to cancel.</summary>
    [BindProperty]
    public string? Reason { get; set; }

    /// <summary>The buyer's pickup code, which the seller enters to hand over.</summary>
    [BindProperty]
    public string? PickupCode { get; set; }

    /// <summary>What was just done, said once after the redirect.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <summary>True when the person acts for the buyer.</summary>
    public bool IsBuyer => Order is not null && Order.BuyerId == TraderId;

    /// <summary>True when the person acts for the seller.</summary>
    public bool IsSeller => Order is not null && Order.SellerId == TraderId;

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Shows the order.</summary>
    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct) => await LoadAsync(id, ct);

    /// <summary>The buyer confirms the goods arrived (handover).</summary>
    public Task<IActionResult> OnPostReceivedAsync(string id, CancellationToken ct) => ActAsync(id, "handover", null, text["Receipt confirmed."], ct);

    /// <summary>The buyer completes the order (the CO2e figure is stored).</summary>
    public Task<IActionResult> OnPostCompleteAsync(string id, CancellationToken ct) => ActAsync(id, "complete", null, text["The order is completed."], ct);

    /// <summary>The buyer goes to pay a card order on Stripe's page (the open one, or a new one when it expired).</summary>
    public async Task<IActionResult> OnPostPayByCardAsync(string id, CancellationToken ct)
    {
        var (go, problem) = await CardCheckout.GoAsync(this, Api, id, ct);
        if (go is not null)
        {
            return go;
        }

        if (problem is not null)
        {
            ShowProblem(problem);
        }

        return await LoadAsync(id, ct);
    }

    /// <summary>The seller accepts: the hold is sold, a card payment captured, an invoice issued.</summary>
    public Task<IActionResult> OnPostAcceptAsync(string id, CancellationToken ct) => ActAsync(id, "accept", null, text["The order is accepted."], ct);

    /// <summary>The seller hands over with the buyer's pickup code (the API checks it).</summary>
    public Task<IActionResult> OnPostHandOverAsync(string id, CancellationToken ct)
        => ActAsync(id, "handover", new { pickupCode = PickupCode?.Trim() }, text["Handed over."], ct);

    /// <summary>The buyer or the seller cancels before handover, with a reason.</summary>
    public Task<IActionResult> OnPostCancelAsync(string id, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(Reason))
        {
            ModelState.AddModelError(nameof(Reason), text["Say why you cancel."]);
            return LoadAsync(id, ct);
        }

        return ActAsync(id, "cancel", new { reason = Reason }, text["The order is cancelled."], ct);
    }

    /// <summary>The buyer reviews the seller of a completed order.</summary>
    public async Task<IActionResult> OnPostReviewAsync(string id, CancellationToken ct)
    {
        var order = (await Api.GetAsync<OrderDoc>($"/api/v1/orders/{Uri.EscapeDataString(id)}", ct)).Value;
        if (order is null)
        {
            return await LoadAsync(id, ct);
        }

        var posted = await Api.PostAsync<System.Text.Json.JsonElement>($"/api/v1/traders/{Uri.EscapeDataString(order.SellerId)}/reviews",
            new { orderId = id, rating = Review.Rating, text = Review.Text }, ct);
        if (posted.Ok)
        {
            Done = text["Thank you for the review."];
            return LocalRedirect("/orders/" + Uri.EscapeDataString(id));
        }

        ShowProblem(posted.Problem!, "Review.", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["rating"] = "Review.Rating", ["text"] = "Review.Text" });
        return await LoadAsync(id, ct);
    }

    private async Task<IActionResult> ActAsync(string id, string action, object? body, string done, CancellationToken ct)
    {
        var result = await Api.PostAsync<System.Text.Json.JsonElement>($"/api/v1/orders/{Uri.EscapeDataString(id)}/{action}", body, ct);
        if (result.Ok)
        {
            Done = done;
            return LocalRedirect("/orders/" + Uri.EscapeDataString(id));
        }

        ShowProblem(result.Problem!, "", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["reason"] = nameof(Reason), ["pickupCode"] = nameof(PickupCode) });
        return await LoadAsync(id, ct);
    }

    private async Task<IActionResult> LoadAsync(string id, CancellationToken ct)
    {
        Order = (await Api.GetAsync<OrderDoc>($"/api/v1/orders/{Uri.EscapeDataString(id)}", ct)).Value;
        if (Order is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        // The other party by name (a seller needs to know who comes for the goods), and, for a seller about to issue an
        // invoice, whether its profile names the account the buyer pays into.
        var other = IsSeller ? Order.BuyerId : Order.SellerId;
        var party = Api.GetAsync<TraderDoc>($"/api/v1/traders/{Uri.EscapeDataString(other)}", ct);
        if (IsSeller && Order.Status == "placed" && Order.Payment.Method == "invoice")
        {
            var own = await Api.GetAsync<FirmProfileDoc>($"/api/v1/traders/{Uri.EscapeDataString(Order.SellerId)}", ct);
            MissingIban = own.Value is { } firm && string.IsNullOrWhiteSpace(firm.Billing?.Iban);
        }

        OtherParty = (await party).Value;
        return Page();
    }

    /// <summary>The other party of the order as anyone sees it (the buyer for the seller, the seller for the buyer).</summary>
    public TraderDoc? OtherParty { get; private set; }

    /// <summary>True when the seller is about to accept an invoice order while its profile has no IBAN for the invoice.</summary>
    public bool MissingIban { get; private set; }
}

/// <summary>The review form.</summary>
public sealed class ReviewForm
{
    /// <summary>1 to 5.</summary>
    public int? Rating { get; set; }

    /// <summary>A few words (1–500 characters).</summary>
    public string? Text { get; set; }
}
