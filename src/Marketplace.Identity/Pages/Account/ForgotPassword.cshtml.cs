using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Mails a password-reset link (built from the configured public address, never the request's Host); answers the same
/// whether or not the address has an account. Rate limited per client address (<c>Identity:ForgotPasswordPerHour</c>).
/// </summary>
public sealed class ForgotPasswordModel(UserManager<MarketplaceUser> users, AccountMail accountMail) : PageModel
{
    /// <summary>Email address.</summary>
    [BindProperty]
    public string? Email { get; set; }

    /// <summary>True once the form was sent.</summary>
    public bool Sent { get; private set; }

    /// <summary>Shows the form.</summary>
    public void OnGet()
    {
    }

    /// <summary>Sends the link when the account exists.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        var user = string.IsNullOrWhiteSpace(Email) ? null : await users.FindByEmailAsync(Email.Trim());
        if (user?.Email is not null)
        {
            await accountMail.SendPasswordResetAsync(user);
        }

        Sent = true;
        return Page();
    }
}
