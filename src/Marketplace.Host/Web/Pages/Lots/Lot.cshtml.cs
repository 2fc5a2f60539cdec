using System.Globalization;
using Marketplace.Domain.Materials;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Lots;

/// <summary>A lot's page: photos, quantities left, condition, place on the map, pickup or delivery, the seller, CO2e; and holding part of it.</summary>
public sealed class LotModel(MaterialTaxonomy taxonomy, TimeProvider time, IStringLocalizer<LotModel> text) : WebPage
{
    /// <summary>The lot, or null when it is not found.</summary>
    public LotDoc? Lot { get; private set; }

    /// <summary>The seller's public profile, or null.</summary>
    public TraderDoc? Seller { get; private set; }

    /// <summary>The hold form as sent (or its defaults).</summary>
    [BindProperty]
    public HoldForm Hold { get; set; } = new();

    /// <summary>The taxonomy, for the category's name.</summary>
    public MaterialTaxonomy Taxonomy => taxonomy;

    /// <summary>Holding needs a person; reading does not.</summary>
    protected override bool RequiresSignIn => HttpMethods.IsPost(Request.Method);

    /// <summary>Shows the lot.</summary>
    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        // To the minute: a datetime-local input shows whatever precision its value has (seconds and milliseconds were shown).
        var until = Formats.ToLocal(time.GetUtcNow().AddDays(7));
        Hold = new HoldForm { Until = until.AddTicks(-(until.Ticks % TimeSpan.TicksPerMinute)), IdempotencyKey = Guid.NewGuid().ToString("N") };
        return await LoadAsync(id, ct) ? Page() : NotFoundPage();
    }

    /// <summary>Holds part of the lot, then goes to checkout.</summary>
    public async Task<IActionResult> OnPostHoldAsync(string id, CancellationToken ct)
    {
        var quantity = Formats.ParseNumber(Hold.Quantity);
        if (quantity is not > 0)
        {
            ModelState.AddModelError("Hold.Quantity", text["Enter the quantity to hold, e.g. 200."]);
        }
        else if (ModelState.IsValid)
        {
            // (Not valid: "until" could not be read, and its message is next to the field; the default week would not be what was asked.)
            var placed = await Api.PostAsync<HoldPlacedDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}/holds",
                new { quantity, until = Formats.FromLocalInput(Hold.Until) }, ct, Hold.IdempotencyKey);
            if (placed.Value is { } hold)
            {
                return LocalRedirect($"/checkout?lot={Uri.EscapeDataString(id)}&hold={Uri.EscapeDataString(hold.Hold.Id)}");
            }

            ShowProblem(placed.Problem!, "Hold.", new Dictionary<string, string> { ["quantity"] = "Hold.Quantity", ["until"] = "Hold.Until" });
            if (placed.Problem!.Code is "hold-exceeds-available" or "buyer-hold-limit")
            {
                ModelState.AddModelError("Hold.Quantity", ProblemMessage!);
            }
        }

        // A new key: the refused request may be corrected and sent again as a new one. Out of the model state too, which
        // the form's hidden field prefers: the posted key was sent again, and the corrected hold refused as its reuse.
        ModelState.Remove("Hold.IdempotencyKey");
        Hold.IdempotencyKey = Guid.NewGuid().ToString("N");
        return await LoadAsync(id, ct) ? Page() : NotFoundPage();
    }

    private async Task<bool> LoadAsync(string id, CancellationToken ct)
    {
        var lot = await Api.GetAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}", ct);
        Lot = lot.Value;
        if (Lot is null)
        {
            return false;
        }

        Seller = (await Api.GetAsync<TraderDoc>($"/api/v1/traders/{Uri.EscapeDataString(Lot.SellerId)}", ct)).Value;
        return true;
    }

    private PageResult NotFoundPage()
    {
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}

/// <summary>The hold form: how much and until when.</summary>
public sealed class HoldForm
{
    /// <summary>Quantity in the lot's unit (comma or point).</summary>
    public string? Quantity { get; set; }

    /// <summary>Until when, Finnish time (an HTML datetime-local value); empty: the API's default of 7 days.</summary>
    public DateTime? Until { get; set; }

    /// <summary>Sent with the hold so that a form sent twice holds once.</summary>
    public string? IdempotencyKey { get; set; }
}
