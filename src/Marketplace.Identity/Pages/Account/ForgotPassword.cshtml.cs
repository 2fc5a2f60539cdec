using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Mails a password-reset link (built from the configured public address, never the request's Host); answers the same,
/// and as fast, whether or not the address has an account: the account is looked up when the queued mail is made.
/// Rate limited per client address (<c>Identity:ForgotPasswordPerHour</c>).
/// </summary>
public sealed class ForgotPasswordModel(AccountMail accountMail) : PageModel
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
    public IActionResult OnPost()
    {
        // An account's address is always a valid one: anything else has no account to mail.
        if (Email?.Trim() is { } email && MailAddresses.IsValid(email))
        {
            accountMail.QueuePasswordReset(email);
        }

        Sent = true;
        return Page();
    }
}
