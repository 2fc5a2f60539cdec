using System.Globalization;
using Marketplace.Domain.Materials;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>Creates or edits a wanted notice.</summary>
public sealed class DemandEditModel(MaterialTaxonomy taxonomy, TimeProvider time, IStringLocalizer<DemandEditModel> text) : WebPage
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["category"] = "Form.Category", ["quantity"] = "Form.Quantity", ["unit"] = "Form.Unit", ["minPart"] = "Form.MinPart",
        ["minCondition"] = "Form.MinCondition", ["maxUnitPrice"] = "Form.MaxUnitPrice", ["maxUnitPrice.minorUnits"] = "Form.MaxUnitPrice",
        ["location"] = "Form.Place", ["radiusKm"] = "Form.RadiusKm", ["window"] = "Form.To", ["expiresAt"] = "Form.To",
    };

    /// <summary>The form.</summary>
    [BindProperty]
    public DemandForm Form { get; set; } = new();

    /// <summary>Sent with the form so that one sent twice (a double tap, a reload) posts one notice.</summary>
    [BindProperty]
    public string? IdempotencyKey { get; set; }

    /// <summary>The notice being edited, or null for a new one.</summary>
    public string? Id { get; private set; }

    /// <summary>The taxonomy, for the category picker.</summary>
    public MaterialTaxonomy Taxonomy => taxonomy;

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>An empty form, or the notice's current values.</summary>
    public async Task<IActionResult> OnGetAsync(string? id, CancellationToken ct)
    {
        Id = id;
        IdempotencyKey = Guid.NewGuid().ToString("N");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), Formats.Helsinki).DateTime);
        Form = new DemandForm { Unit = "pcs", MinCondition = "C", RadiusKm = "30", From = today, To = today.AddDays(30) };
        if (id is null)
        {
            return Page();
        }

        var demand = (await Api.GetAsync<DemandDoc>($"/api/v1/demands/{Uri.EscapeDataString(id)}", ct)).Value;
        if (demand is null)
        {
            return NotFound();
        }

        var place = Places.Municipalities.MinBy(m => Math.Pow(m.Lat - demand.Location.Latitude, 2) + Math.Pow(m.Lon - demand.Location.Longitude, 2));
        Form = new DemandForm
        {
            Category = demand.Category, Quantity = demand.Quantity.ToString(CultureInfo.CurrentCulture), Unit = demand.Unit,
            MinPart = demand.MinPart.ToString(CultureInfo.CurrentCulture), MinCondition = demand.MinCondition,
            MaxUnitPrice = demand.MaxUnitPrice is { } max ? (max.MinorUnits / 100m).ToString(CultureInfo.CurrentCulture) : null,
            Place = place?.Name, RadiusKm = demand.RadiusKm.ToString(CultureInfo.CurrentCulture), From = demand.Window.From, To = demand.Window.To,
        };
        return Page();
    }

    /// <summary>Creates the notice or sends the changes.</summary>
    public async Task<IActionResult> OnPostAsync(string? id, CancellationToken ct)
    {
        Id = id;
        var quantity = Number(Form.Quantity, "Form.Quantity", required: true);
        var minPart = Number(Form.MinPart, "Form.MinPart", required: false);
        var maxPrice = Number(Form.MaxUnitPrice, "Form.MaxUnitPrice", required: false);
        var maxCents = maxPrice is { } euros ? Formats.Cents(euros) : null;
        if (maxPrice is not null && maxCents is null)
        {
            ModelState.AddModelError("Form.MaxUnitPrice", text["Enter a smaller number."]);
        }

        var radius = Number(Form.RadiusKm, "Form.RadiusKm", required: true);
        var place = Places.Find(Form.Place);
        if (place is null)
        {
            ModelState.AddModelError("Form.Place", text["Choose the municipality of the site."]);
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var body = new
        {
            category = Form.Category,
            quantity,
            unit = Form.Unit,
            minPart = minPart ?? quantity,
            minCondition = Form.MinCondition,
            maxUnitPrice = maxCents is { } cents ? new { minorUnits = cents, currency = "EUR" } : null,
            location = new { latitude = place!.Lat, longitude = place.Lon },
            radiusKm = radius,
            window = new { from = Form.From, to = Form.To },
        };
        var result = id is null
            ? await Api.PostAsync<DemandDoc>("/api/v1/demands", body, ct, IdempotencyKey)
            : await Api.PatchAsync<DemandDoc>($"/api/v1/demands/{Uri.EscapeDataString(id)}", body, ct);
        if (result.Ok)
        {
            TempData["Done"] = (string)text["The wanted notice is saved; matching lots will appear in your matches."];
            return LocalRedirect("/demands");
        }

        ShowProblem(result.Problem!, "Form.", Fields);
        // A new key for the corrected try: the refused one would answer its refusal again.
        ModelState.Remove(nameof(IdempotencyKey));
        IdempotencyKey = Guid.NewGuid().ToString("N");
        return Page();
    }

    private decimal? Number(string? value, string field, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                ModelState.AddModelError(field, text["Enter a number."]);
            }

            return null;
        }

        if (Formats.ParseNumber(value) is { } number)
        {
            return number;
        }

        ModelState.AddModelError(field, text["Enter a number."]);
        return null;
    }
}

/// <summary>The wanted notice form.</summary>
public sealed class DemandForm
{
    /// <summary>Category id.</summary>
    public string? Category { get; set; }

    /// <summary>How much (comma or point).</summary>
    public string? Quantity { get; set; }

    /// <summary>Unit code.</summary>
    public string? Unit { get; set; }

    /// <summary>Smallest part worth taking.</summary>
    public string? MinPart { get; set; }

    /// <summary>A, B or C.</summary>
    public string? MinCondition { get; set; }

    /// <summary>Highest unit price in euros.</summary>
    public string? MaxUnitPrice { get; set; }

    /// <summary>The municipality of the site.</summary>
    public string? Place { get; set; }

    /// <summary>Radius, km.</summary>
    public string? RadiusKm { get; set; }

    /// <summary>First day needed.</summary>
    public DateOnly? From { get; set; }

    /// <summary>Last day needed.</summary>
    public DateOnly? To { get; set; }
}
