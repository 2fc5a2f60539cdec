using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;

namespace Marketplace.Identity.Pages.Account;

/// <summary>Confirms an account's address from the mailed link; without a link it says to check the mail.</summary>
public sealed class ConfirmEmailModel(UserManager<MarketplaceUser> users) : PageModel
{
    /// <summary>Where registration sends the browser: the page without a link.</summary>
    public const string SentPath = "/account/confirm-email";

    /// <summary>The account's id, from the link.</summary>
    [Microsoft.AspNetCore.Mvc.BindProperty(SupportsGet = true)]
    public string? UserId { get; set; }

    /// <summary>The confirmation code, from the link.</summary>
    [Microsoft.AspNetCore.Mvc.BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    /// <summary>True once confirmed.</summary>
    public bool Confirmed { get; private set; }

    /// <summary>True when the link did not confirm anything.</summary>
    public bool Failed { get; private set; }

    /// <summary>Confirms the address when the page is opened from the link.</summary>
    public async Task OnGetAsync()
    {
        if (UserId is null && Code is null)
        {
            return;
        }

        var user = string.IsNullOrEmpty(UserId) || UserId.Length > 64 ? null : await users.FindByIdAsync(UserId);
        string? token = null;
        try
        {
            token = string.IsNullOrEmpty(Code) ? null : Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(Code));
        }
        catch (FormatException)
        {
        }

        Confirmed = user is not null && token is not null && (await users.ConfirmEmailAsync(user, token)).Succeeded;
        Failed = !Confirmed;
    }
}
