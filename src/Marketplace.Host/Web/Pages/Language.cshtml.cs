using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages;

/// <summary>The language switch: remembers the choice in a cookie for a year and goes back to the page.</summary>
public sealed class LanguageModel : WebPage
{
    /// <summary>Without a form there is nothing to change: home.</summary>
    public IActionResult OnGet() => LocalRedirect("/");

    /// <summary>Stores <paramref name="culture"/> (fi or en) and returns to <paramref name="returnUrl"/> on this site.</summary>
    public IActionResult OnPost(string? culture, string? returnUrl)
    {
        if (culture is not null && WebSetup.Cultures.Contains(culture))
        {
            Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        }

        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
