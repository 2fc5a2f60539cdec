using Marketplace.Payments.Stripe;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Web.Pages.Buy;

/// <summary>Checkout: the buyer turns its hold into an order, pickup or delivery, invoice or card (card only when Stripe is configured).</summary>
public sealed class CheckoutModel(IStringLocalizer<CheckoutModel> text, IOptions<StripeOptions> stripe) : WebPage
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fulfilment"] = "Form.Fulfilment", ["address"] = "Form.Address", ["address.address"] = "Form.Address",
        ["address.postalCode"] = "Form.PostalCode", ["address.municipality"] = "Form.Municipality", ["address.latitude"] = "Form.Municipality",
        ["address.longitude"] = "Form.Municipality", ["paymentMethod"] = "Form.PaymentMethod", ["holdId"] = "Form.Fulfilment",
    };

    /// <summary>The lot, or null.</summary>
    public LotDoc? Lot { get; private set; }

    /// <summary>The buyer's hold on it, or null.</summary>
    public HoldDoc? Hold { get; private set; }

    /// <summary>True when this marketplace takes cards (<c>Payments:Stripe</c> is configured); otherwise the choice is not offered.</summary>
    public bool CardsTaken => stripe.Value.Enabled;

    /// <summary>The form.</summary>
    [BindProperty]
    public CheckoutForm Form { get; set; } = new();

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    /// <summary>Shows the hold and the form.</summary>
    public async Task<IActionResult> OnGetAsync(string? lot, string? hold, CancellationToken ct)
    {
        await LoadAsync(lot, hold, ct);
        Form = new CheckoutForm
        {
            Fulfilment = Lot is { Pickup: false } ? "delivery" : "pickup", PaymentMethod = "invoice", IdempotencyKey = Guid.NewGuid().ToString("N"),
        };
        return Page();
    }

    /// <summary>Places the order and shows it.</summary>
    public async Task<IActionResult> OnPostAsync(string? lot, string? hold, CancellationToken ct)
    {
        var place = Places.Find(Form.Municipality);
        if (place is null)
        {
            ModelState.AddModelError("Form.Municipality", text["Choose the municipality the goods go to."]);
            // Every missing field at once, not one round trip each (probe 20).
            if (string.IsNullOrWhiteSpace(Form.Address))
            {
                ModelState.AddModelError("Form.Address", text["Enter your site's street address."]);
            }
        }
        else
        {
            var order = await Api.PostAsync<OrderDoc>("/api/v1/orders", new
            {
                listingId = lot,
                holdId = hold,
                fulfilment = Form.Fulfilment,
                address = new { address = Form.Address, postalCode = string.IsNullOrWhiteSpace(Form.PostalCode) ? null : Form.PostalCode.Trim(), municipality = place.Name, latitude = place.Lat, longitude = place.Lon },
                paymentMethod = Form.PaymentMethod,
                hostedCheckout = Form.PaymentMethod == "card" ? true : (bool?)null,
            }, ct, Form.IdempotencyKey);
            if (order.Value is { } placed)
            {
                // A card is paid on Stripe's own page (no script of Stripe's runs here); the order page offers it again.
                return placed.Payment.AwaitingCard
                    ? (await CardCheckout.GoAsync(this, Api, placed.Id, ct)).Go ?? LocalRedirect(OrderPath(placed.Id))
                    : LocalRedirect(OrderPath(placed.Id));
            }

            ShowProblem(order.Problem!, "Form.", Fields);
        }

        // A new key for the corrected form, out of the model state too, which the hidden field prefers (probe 20).
        ModelState.Remove("Form.IdempotencyKey");
        Form.IdempotencyKey = Guid.NewGuid().ToString("N");
        await LoadAsync(lot, hold, ct);
        return Page();
    }

    private static string OrderPath(string id) => "/orders/" + Uri.EscapeDataString(id);

    private async Task LoadAsync(string? lot, string? hold, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(lot))
        {
            return;
        }

        Lot = (await Api.GetAsync<LotDoc>($"/api/v1/listings/{Uri.EscapeDataString(lot)}", ct)).Value;
        Hold = Lot?.Holds?.FirstOrDefault(h => h.Id == hold);
    }
}

/// <summary>Sends the buyer's browser to Stripe's hosted Checkout page of an order (its open page, or a new one).</summary>
public static class CardCheckout
{
    /// <summary>
    /// A 303 to the order's card payment page, which sends the browser back to the order's page; or the API's problem
    /// (the order page then says where the payment stands and offers it again).
    /// </summary>
    public static async Task<(IActionResult? Go, ApiProblem? Problem)> GoAsync(WebPage page, MarketplaceApi api, string orderId, CancellationToken ct)
    {
        var back = $"{page.Request.Scheme}://{page.Request.Host}/orders/{Uri.EscapeDataString(orderId)}";
        var started = await api.PostAsync<OrderDoc>($"/api/v1/orders/{Uri.EscapeDataString(orderId)}/card-checkout", new { returnUrl = back }, ct);
        if (started.Value?.Payment.CheckoutUrl is not { } url)
        {
            return (null, started.Problem);
        }

        page.Response.Headers.Location = url;
        return (new StatusCodeResult(StatusCodes.Status303SeeOther), null);
    }
}

/// <summary>The checkout form.</summary>
public sealed class CheckoutForm
{
    /// <summary>pickup or delivery.</summary>
    public string? Fulfilment { get; set; }

    /// <summary>Street address of the buyer's site (where the goods go; it prices delivery and transport CO2e).</summary>
    public string? Address { get; set; }

    /// <summary>Postal code of the site.</summary>
    public string? PostalCode { get; set; }

    /// <summary>Municipality of the site, one of <see cref="Places"/> (its centre prices the transport).</summary>
    public string? Municipality { get; set; }

    /// <summary>invoice or card.</summary>
    public string? PaymentMethod { get; set; }

    /// <summary>Sent with the order so that a form sent twice orders once.</summary>
    public string? IdempotencyKey { get; set; }
}
