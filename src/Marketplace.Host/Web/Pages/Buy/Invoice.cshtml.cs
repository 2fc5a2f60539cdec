using Marketplace.Payments.Invoice;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>
/// An order's invoice as a page to print (the print stylesheet leaves out the site's header and links): the same
/// content as the API's PDF and Finvoice, read as JSON, to the seller, the buyer and platform admins.
/// </summary>
public sealed class InvoiceModel : WebPage
{
    /// <summary>The invoice, or null when there is none to show.</summary>
    public InvoiceDocument? Invoice { get; private set; }

    /// <summary>The order's id.</summary>
    public string OrderId { get; private set; } = "";

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Reads the invoice; a missing order is 404, an order without an invoice shows why.</summary>
    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct, string? document = null)
    {
        OrderId = id;
        // The invoice, or with ?document=credit-note the credit note issued against it (the API refuses anything else).
        var which = document is null ? "" : $"&document={Uri.EscapeDataString(document)}";
        var result = await Api.GetAsync<InvoiceDocument>($"/api/v1/orders/{Uri.EscapeDataString(id)}/invoice?format=json{which}", ct);
        Invoice = result.Value;
        if (result.Problem is { } problem)
        {
            Response.StatusCode = problem.Status;
            ShowProblem(problem);
        }

        return Page();
    }
}
