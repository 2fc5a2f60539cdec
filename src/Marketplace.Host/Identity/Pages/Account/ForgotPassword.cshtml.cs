using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Identity.Pages.Account;

/// <summary>Mails a password-reset link; answers the same whether or not the address has an account.</summary>
public sealed class ForgotPasswordModel(UserManager<MarketplaceUser> users, IMailSender mail, IOptions<MarketplaceIdentityOptions> options) : PageModel
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
            var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(user)));
            var link = $"{(options.Value.PublicBaseAddress ?? PageLinks.BaseAddress(Request)).TrimEnd('/')}/account/reset-password?email={Uri.EscapeDataString(user.Email)}&code={code}";
            await mail.SendAsync(new MailMessage(user.Email, "Set a new password for the materials marketplace",
                $"Someone (hopefully you) asked to set a new password.\r\n\r\nOpen this link to choose one:\r\n{link}\r\n\r\nIf it was not you, ignore this message.\r\n", link));
        }

        Sent = true;
        return Page();
    }
}
