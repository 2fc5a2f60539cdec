using System.Net.Http.Headers;
using Marketplace.Domain.Materials;
using Marketplace.Host.Photos;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Web.Pages.Sell;

/// <summary>
/// The seller's lot: a new one (<c>/sell/lots/new</c>) or an existing one. The form follows the taxonomy (category in
/// the page's language, the units it allows, its typical mass); photos are uploaded one by one; publish, withdraw, and
/// the lot's open holds.
/// </summary>
[SessionUser]
[RequestSizeLimit(MaxPostBytes)]
public sealed class LotModel(MaterialTaxonomy taxonomy, LotPhotos photos, IStringLocalizer<LotModel> text, IOptions<PhotoOptions> photoOptions) : WebPage
{
    /// <summary>
    /// The largest form this page reads: above the photo bound (<see cref="PhotoOptions.MaxBytes"/>, which the API
    /// holds), so that a phone's full-size photo reaches the form and is refused next to the field, in the page's
    /// language, instead of the body limit answering a bare error page.
    /// </summary>
    public const int MaxPostBytes = 40 * 1024 * 1024;

    /// <summary>The lot, or null for a new one.</summary>
    public LotDoc? Lot { get; private set; }

    /// <summary>Status and moderation of the lot.</summary>
    public OwnLotDoc? Own { get; private set; }

    /// <summary>The form as sent (or as the lot is).</summary>
    [BindProperty]
    public LotForm Form { get; set; } = new();

    /// <summary>A photo to upload.</summary>
    [BindProperty]
    public IFormFile? Photo { get; set; }

    /// <summary>Sent with a form so that one sent twice acts once.</summary>
    [BindProperty]
    public string? IdempotencyKey { get; set; }

    /// <summary>What just happened, said at the top.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <summary>The taxonomy.</summary>
    public MaterialTaxonomy Taxonomy => taxonomy;

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Shows the form.</summary>
    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        // A new key for the next try; the posted one would otherwise be written back into the form.
        ModelState.Remove(nameof(IdempotencyKey));
        IdempotencyKey = Guid.NewGuid().ToString("N");
        if (IsNew(id))
        {
            Form = new LotForm { From = DateOnly.FromDateTime(DateTime.Today), To = DateOnly.FromDateTime(DateTime.Today.AddDays(60)) };
            return Page();
        }

        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        Form = LotForm.Of(Lot!);
        return Page();
    }

    /// <summary>Creates the lot (a draft) or saves the changes.</summary>
    public async Task<IActionResult> OnPostSaveAsync(string id, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>();
        var request = Form.ToRequest(errors, s => text[s]);
        foreach (var (field, message) in errors)
        {
            ModelState.AddModelError(field, message);
        }

        // Also a date or a check box that could not be read (FormValueBinderProvider put its error there already).
        if (ModelState.IsValid)
        {
            var saved = IsNew(id)
                ? await Api.PostAsync<LotDoc>("/api/v1/listings", request, ct, IdempotencyKey)
                : await Api.PatchAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}", request, ct);
            if (saved.Value is { } lot)
            {
                Done = IsNew(id) ? text["The lot was saved as a draft. Add photos and publish it."] : text["The changes were saved."];
                return LocalRedirect($"/sell/lots/{Uri.EscapeDataString(lot.Id)}");
            }

            ShowProblem(saved.Problem!, "Form.", LotForm.Fields);
        }

        // A new key for the next try; the posted one would otherwise be written back into the form.
        ModelState.Remove(nameof(IdempotencyKey));
        IdempotencyKey = Guid.NewGuid().ToString("N");
        return IsNew(id) || await LoadAsync(id, ct) ? Page() : NotFound();
    }

    /// <summary>Uploads one photo.</summary>
    public async Task<IActionResult> OnPostPhotoAsync(string id, CancellationToken ct)
    {
        if (Photo is null || Photo.Length == 0)
        {
            ModelState.AddModelError(nameof(Photo), text["Choose a photo (JPEG, PNG or WebP)."]);
        }
        else if (Photo.Length > photoOptions.Value.MaxBytes)
        {
            ModelState.AddModelError(nameof(Photo), text["The photo is {0} MB; at most {1} MB is taken. Save or share it in a smaller size and add it again.",
                Formats.Number(Photo.Length / 1048576.0), Formats.Number(photoOptions.Value.MaxBytes / 1048576.0)]);
        }
        else
        {
            await using var stream = Photo.OpenReadStream();
            var file = new StreamContent(stream);
            file.Headers.ContentType = MediaTypeHeaderValue.TryParse(Photo.ContentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            using var content = new MultipartFormDataContent { { file, "photo", Photo.FileName } };
            var added = await Api.PostAsync<PhotoAddedDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}/photos", content, ct, IdempotencyKey);
            if (added.Ok)
            {
                Done = text["The photo was added."];
                return LocalRedirect($"/sell/lots/{Uri.EscapeDataString(id)}#photos");
            }

            ShowProblem(added.Problem!, "", new Dictionary<string, string> { ["photo"] = nameof(Photo) });
            ModelState.AddModelError(nameof(Photo), ProblemMessage!);
        }

        return await ReloadAsync(id, ct);
    }

    /// <summary>Removes one photo.</summary>
    public async Task<IActionResult> OnPostRemovePhotoAsync(string id, string photo, CancellationToken ct)
        => await ActAsync(id, async () => (await Api.DeleteAsync($"/api/v1/listings/{Uri.EscapeDataString(id)}/photos/{Uri.EscapeDataString(photo)}", ct)).Problem, text["The photo was removed."], ct);

    /// <summary>Puts the draft on the market.</summary>
    public async Task<IActionResult> OnPostPublishAsync(string id, CancellationToken ct)
        => await ActAsync(id, async () => (await Api.PostAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}/publish", null, ct)).Problem, text["The lot is on the market."], ct);

    /// <summary>Takes the lot off the market.</summary>
    public async Task<IActionResult> OnPostWithdrawAsync(string id, CancellationToken ct)
        => await ActAsync(id, async () => (await Api.PostAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(id)}/withdraw", null, ct)).Problem, text["The lot was withdrawn."], ct);

    /// <summary>A photo or thumbnail of the seller's lot (drafts' photos are not public, so the page serves them to the seller).</summary>
    public async Task<IActionResult> OnGetPhotoAsync(string id, string photo, bool thumbnail)
    {
        if (photo.Length != 32 || !photo.All(char.IsAsciiHexDigitLower))
        {
            return NotFound();
        }

        var read = await photos.OpenAsync(id, photo, thumbnail, TraderId, platformAdmin: false);
        return read is null ? NotFound() : File(read.Content, PhotoImages.ContentType);
    }

    /// <summary>The photo id of an uploaded photo's URL, or null for another URL.</summary>
    public static string? PhotoIdOf(string url) => Domain.Listings.Listing.IsUploadedPhoto(url) ? url[(url.LastIndexOf('/') + 1)..] : null;

    /// <summary>True for the address of a new lot.</summary>
    public static bool IsNew(string id) => id == "new";

    private async Task<IActionResult> ActAsync(string id, Func<Task<ApiProblem?>> act, string done, CancellationToken ct)
    {
        if (await act() is { } problem)
        {
            ShowProblem(problem);
            return await ReloadAsync(id, ct);
        }

        Done = done;
        return LocalRedirect($"/sell/lots/{Uri.EscapeDataString(id)}");
    }

    private async Task<IActionResult> ReloadAsync(string id, CancellationToken ct)
    {
        // A new key for the next try; the posted one would otherwise be written back into the form.
        ModelState.Remove(nameof(IdempotencyKey));
        IdempotencyKey = Guid.NewGuid().ToString("N");
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        Form = LotForm.Of(Lot!);
        return Page();
    }

    private async Task<bool> LoadAsync(string id, CancellationToken ct)
    {
        var path = $"/api/v1/listings/{Uri.EscapeDataString(id)}";
        Lot = (await Api.GetAsync<LotDoc>(path, ct)).Value;
        Own = Lot is null ? null : (await Api.GetAsync<OwnLotDoc>(path, ct)).Value;
        return Lot is not null && Lot.SellerId == TraderId;
    }
}
