using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Host.Identity.Pages.Account;

/// <summary>Sign in with email and password; five failures lock the account for 15 minutes.</summary>
public sealed class SignInModel(SignInManager<MarketplaceUser> signIn, UserManager<MarketplaceUser> users) : PageModel
{
    /// <summary>Email address.</summary>
    [BindProperty]
    public string? Email { get; set; }

    /// <summary>Password.</summary>
    [BindProperty]
    public string? Password { get; set; }

    /// <summary>Where to go after signing in (a local URL only).</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>What went wrong, if anything.</summary>
    public string? Error { get; private set; }

    /// <summary>Shows the form.</summary>
    public void OnGet()
    {
    }

    /// <summary>Checks the password and signs in.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        var user = string.IsNullOrWhiteSpace(Email) ? null : await users.FindByEmailAsync(Email.Trim());
        if (user is null || string.IsNullOrEmpty(Password))
        {
            Error = "Wrong email or password.";
            return Page();
        }

        var result = await signIn.PasswordSignInAsync(user, Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return LocalRedirect(PageLinks.SafeReturnUrl(Url, ReturnUrl));
        }

        Error = result.IsLockedOut
            ? "Too many failed attempts: this account is locked for 15 minutes. Wait, or reset your password."
            : "Wrong email or password.";
        return Page();
    }
}

/// <summary>Shared bits of the account pages.</summary>
public static class PageLinks
{
    /// <summary>The return URL when it stays on this site, otherwise the start page.</summary>
    public static string SafeReturnUrl(IUrlHelper url, string? returnUrl)
        => !string.IsNullOrEmpty(returnUrl) && url.IsLocalUrl(returnUrl) ? returnUrl : "/";

    /// <summary>Scheme, host and path base of the request, for links sent by mail.</summary>
    public static string BaseAddress(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";
}
