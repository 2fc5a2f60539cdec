using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages;

/// <summary>
/// What a person's browser shows for an answer without a body (an unknown address, a page's 404: the status code pages
/// re-execute the request here, keeping its status and method) and for a page that failed (the exception handler sends
/// the browser here with the failure's status in the address, <see cref="Hosting.Problems.ProblemPageOptions"/>), in the
/// person's language (<see cref="HostSetup.UseMarketplaceApi"/>).
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : WebPage
{
    /// <summary>The status of the request that failed.</summary>
    public int Code { get; private set; }

    /// <summary>For 429: how many minutes to wait (from the refusal's Retry-After), 1 to 1,440.</summary>
    public int Minutes { get; private set; } = 1;

    /// <summary>Shows the page; opened directly (or sent here), it answers with the status it describes.</summary>
    public IActionResult OnGet()
    {
        // From the route itself, not model binding: a re-executed POST whose body could not be read (too large) fails
        // every binding, and its 400 was shown as a 404 (probe 15).
        var code = int.TryParse(RouteData.Values["code"]?.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) ? c : 0;
        Code = code is >= 400 and <= 599 ? code : 404;
        Minutes = int.TryParse(Request.Query["minutes"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 1_440 ? m : 1;
        if (HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is null)
        {
            Response.StatusCode = Code;
        }

        return Page();
    }

    /// <summary>The same page for a form posted to an address with nothing there.</summary>
    public IActionResult OnPost() => OnGet();
}
