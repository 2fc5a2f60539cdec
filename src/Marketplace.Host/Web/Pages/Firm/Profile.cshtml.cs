using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Firm;

/// <summary>A firm admin changes the firm's profile: name, municipality, roles, contact and billing details.</summary>
[SessionUser]
public sealed class ProfileModel(IStringLocalizer<ProfileModel> text) : WebPage
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = "Form.Name", ["municipality"] = "Form.Municipality", ["roles"] = "Form.Roles", ["contact"] = "Form.ContactEmail",
        ["contact.person"] = "Form.ContactPerson", ["contact.email"] = "Form.ContactEmail", ["contact.phone"] = "Form.ContactPhone",
        ["billing.iban"] = "Form.Iban", ["billing.bic"] = "Form.Bic", ["billing.address"] = "Form.Address", ["billing.postalCode"] = "Form.PostalCode",
        ["billing.postOffice"] = "Form.PostOffice", ["billing.invoiceEmail"] = "Form.InvoiceEmail", ["billing.eInvoiceAddress"] = "Form.EInvoiceAddress",
        ["billing.eInvoiceOperator"] = "Form.EInvoiceOperator",
    };

    /// <summary>The roles a firm can have.</summary>
    public static IReadOnlyList<string> AllRoles { get; } = ["seller", "buyer", "operator"];

    /// <summary>The firm as stored, or null when it could not be read.</summary>
    public FirmProfileDoc? Firm { get; private set; }

    /// <summary>The form.</summary>
    [BindProperty]
    public ProfileForm Form { get; set; } = new();

    /// <summary>What was just done, said once after the redirect.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    private string Base => $"/api/v1/traders/{Uri.EscapeDataString(TraderId ?? "")}";

    /// <summary>Shows the form filled with the profile.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Firm is { } f)
        {
            Form = new ProfileForm
            {
                Name = f.Name, Municipality = f.Municipality, Roles = [.. f.Roles], ContactPerson = f.Contact?.Person, ContactEmail = f.Contact?.Email,
                ContactPhone = f.Contact?.Phone, Iban = f.Billing?.Iban, Bic = f.Billing?.Bic, Address = f.Billing?.Address, PostalCode = f.Billing?.PostalCode,
                PostOffice = f.Billing?.PostOffice, InvoiceEmail = f.Billing?.InvoiceEmail, EInvoiceAddress = f.Billing?.EInvoiceAddress,
                EInvoiceOperator = f.Billing?.EInvoiceOperator,
            };
        }

        return Page();
    }

    /// <summary>Saves the profile; the API's problems are shown next to their fields.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var saved = await Api.PatchAsync<System.Text.Json.JsonElement>(Base, new
        {
            name = Form.Name ?? "",
            municipality = Form.Municipality ?? "",
            roles = Form.Roles,
            contact = new { person = Form.ContactPerson ?? "", email = Form.ContactEmail ?? "", phone = Form.ContactPhone ?? "" },
            // An empty detail removes it (the API keeps a missing one): the form always sends every field.
            billing = new
            {
                iban = Form.Iban ?? "", bic = Form.Bic ?? "", address = Form.Address ?? "", postalCode = Form.PostalCode ?? "", postOffice = Form.PostOffice ?? "",
                invoiceEmail = Form.InvoiceEmail ?? "", eInvoiceAddress = Form.EInvoiceAddress ?? "", eInvoiceOperator = Form.EInvoiceOperator ?? "",
            },
        }, ct);
        if (saved.Ok)
        {
            Done = text["The profile is saved."];
            return LocalRedirect("/firm/profile");
        }

        ShowProblem(saved.Problem!, "Form.", Fields);
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var read = await Api.GetAsync<FirmProfileDoc>(Base, ct);
        Firm = read.Value;
        if (read.Problem is { } problem && ProblemMessage is null)
        {
            ShowProblem(problem);
        }
    }
}

/// <summary>A firm's contact person as its members see it.</summary>
public sealed record ContactDoc(string? Person, string? Email, string? Phone);

/// <summary>A firm's billing details as its members see them.</summary>
public sealed record BillingDoc(string? Iban, string? Bic, string? Address, string? PostalCode, string? PostOffice, string? InvoiceEmail, string? EInvoiceAddress, string? EInvoiceOperator);

/// <summary>The whole profile a firm's members read and its admins change (<c>GET /traders/{id}</c> as the firm).</summary>
public sealed record FirmProfileDoc(string Id, string Name, string BusinessId, string? Municipality, IReadOnlyList<string> Roles, ContactDoc? Contact, BillingDoc? Billing);

/// <summary>The profile form: what <c>PATCH /traders/{id}</c> accepts. An empty billing field removes that detail.</summary>
public sealed class ProfileForm
{
    /// <summary>Registered name.</summary>
    public string? Name { get; set; }

    /// <summary>Home municipality.</summary>
    public string? Municipality { get; set; }

    /// <summary>seller, buyer, operator.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Contact person.</summary>
    public string? ContactPerson { get; set; }

    /// <summary>Contact email (required).</summary>
    public string? ContactEmail { get; set; }

    /// <summary>Contact phone.</summary>
    public string? ContactPhone { get; set; }

    /// <summary>IBAN that buyers pay invoices into.</summary>
    public string? Iban { get; set; }

    /// <summary>The bank's BIC.</summary>
    public string? Bic { get; set; }

    /// <summary>Billing street address.</summary>
    public string? Address { get; set; }

    /// <summary>Billing postal code (five digits).</summary>
    public string? PostalCode { get; set; }

    /// <summary>Billing post office.</summary>
    public string? PostOffice { get; set; }

    /// <summary>Where emailed invoices go.</summary>
    public string? InvoiceEmail { get; set; }

    /// <summary>E-invoice address (OVT or IBAN).</summary>
    public string? EInvoiceAddress { get; set; }

    /// <summary>E-invoice operator code.</summary>
    public string? EInvoiceOperator { get; set; }
}
