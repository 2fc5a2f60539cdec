using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages;

/// <summary>
/// What a person's browser shows for an answer without a body (an unknown address, a page's 404): the status code pages
/// re-execute the request here (<see cref="HostSetup.UseMarketplaceApi"/>), keeping its status, in the person's language.
/// </summary>
public sealed class ErrorModel : WebPage
{
    /// <summary>The status of the request that failed.</summary>
    public int Code { get; private set; }

    /// <summary>Shows the page; opened directly, it answers with the status it describes.</summary>
    public IActionResult OnGet(int code)
    {
        Code = code is >= 400 and <= 599 ? code : 404;
        if (HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is null)
        {
            Response.StatusCode = Code;
        }

        return Page();
    }
}
