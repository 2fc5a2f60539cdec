using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages;

/// <summary>Starts signing in through the marketplace's OpenID Connect server (code + PKCE), then returns to the page.</summary>
public sealed class SignInModel : WebPage
{
    /// <summary>Challenges the first-party client's scheme.</summary>
    public IActionResult OnGet(string? returnUrl)
        => Challenge(new AuthenticationProperties { RedirectUri = Url.IsLocalUrl(returnUrl) ? returnUrl : "/" }, WebSetup.OidcScheme);
}
