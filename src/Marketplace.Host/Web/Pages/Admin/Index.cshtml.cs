using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Admin;

/// <summary>
/// The platform admins' page: verify a firm (its public badge), hide a lot or a review with a reason (the owner is told),
/// the reported reviews, and the region's dashboard. Every action goes through the API, which refuses anyone else.
/// </summary>
[SessionUser]
public sealed class IndexModel(IStringLocalizer<IndexModel> text) : WebPage
{
    /// <summary>The region's totals.</summary>
    public CarbonTotalsDoc? Region { get; private set; }

    /// <summary>Reported reviews (null when the person is not a platform admin).</summary>
    public IReadOnlyList<ReportDoc>? Reports { get; private set; }

    /// <summary>True for a platform admin (the API showed the reports): others see no forms, only the dashboard.</summary>
    public bool IsAdmin => Reports is not null;

    /// <summary>Verify a firm.</summary>
    [BindProperty]
    public ModerationForm Verify { get; set; } = new();

    /// <summary>Hide a lot.</summary>
    [BindProperty]
    public ModerationForm HideLot { get; set; } = new();

    /// <summary>Hide a review.</summary>
    [BindProperty]
    public ModerationForm HideReview { get; set; } = new();

    /// <summary>What just happened.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Shows the forms and the dashboard.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Verifies a firm (or takes the badge back).</summary>
    public Task<IActionResult> OnPostVerifyAsync(bool remove, CancellationToken ct)
        => ActAsync(Verify, "Verify.", async id => remove
                ? (await Api.DeleteAsync($"/api/v1/traders/{Uri.EscapeDataString(id)}/verification", ct)).Problem
                : (await Api.PostAsync<System.Text.Json.JsonElement>($"/api/v1/traders/{Uri.EscapeDataString(id)}/verification", null, ct)).Problem,
            remove ? text["The firm's badge was taken back."] : text["The firm is verified."], ct);

    /// <summary>Hides a lot with a reason.</summary>
    public Task<IActionResult> OnPostHideLotAsync(CancellationToken ct)
        => ActAsync(HideLot, "HideLot.", async id => (await Api.PostAsync<System.Text.Json.JsonElement>(
            $"/api/v1/listings/{Uri.EscapeDataString(id)}/hide", new { reason = HideLot.Reason ?? "" }, ct)).Problem, text["The lot is hidden and its seller told why."], ct);

    /// <summary>Hides a review with a reason.</summary>
    public Task<IActionResult> OnPostHideReviewAsync(CancellationToken ct)
        => ActAsync(HideReview, "HideReview.", async id => (await Api.PostAsync<System.Text.Json.JsonElement>(
            $"/api/v1/reviews/{Uri.EscapeDataString(id)}/hide", new { reason = HideReview.Reason ?? "" }, ct)).Problem, text["The review is hidden and its author told why."], ct);

    /// <summary>Longest id the moderation forms send on.</summary>
    private const int MaxIdLength = 200;

    private async Task<IActionResult> ActAsync(ModerationForm form, string prefix, Func<string, Task<ApiProblem?>> act, string done, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(form.Id))
        {
            ModelState.AddModelError(prefix + "Id", text["Enter the id."]);
        }
        else if (form.Id.Trim().Length > MaxIdLength)
        {
            // Ids are short; a pasted page of text would only make the API's address too long to be read (probe 26).
            ModelState.AddModelError(prefix + "Id", text["No firm, lot or review has an id that long."]);
        }
        else if (await act(form.Id.Trim()) is { } problem)
        {
            ShowProblem(problem, prefix);
            if (problem.Status == StatusCodes.Status404NotFound)
            {
                ModelState.AddModelError(prefix + "Id", ProblemMessage!);
            }
        }
        else
        {
            Done = done;
            return LocalRedirect("/admin");
        }

        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Region = (await Api.GetAsync<CarbonTotalsDoc>("/api/v1/carbon/region", ct)).Value;
        Reports = (await Api.GetAsync<ReportsDoc>("/api/v1/admin/review-reports?limit=20", ct)).Value?.Items;
    }
}
