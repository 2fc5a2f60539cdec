using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>Ends the browser session (a form post, so another site cannot sign you out).</summary>
public sealed class SignOutModel(SignInManager<MarketplaceUser> signIn) : PageModel
{
    /// <summary>True after signing out.</summary>
    public bool Done { get; private set; }

    /// <summary>Shows the button.</summary>
    public void OnGet()
    {
    }

    /// <summary>Signs out.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        Done = true;
        return Page();
    }
}
