using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using OpenIddict.Abstractions;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Sets a new password from a mailed link; also lifts a lockout, and ends every session elsewhere: the person's tokens
/// (refresh tokens included) and applications' authorizations are revoked, so whoever knew the old password keeps nothing.
/// </summary>
public sealed class ResetPasswordModel(UserManager<MarketplaceUser> users, IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations) : PageModel
{
    /// <summary>Email address.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Email { get; set; }

    /// <summary>Reset code from the link.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    /// <summary>New password.</summary>
    [BindProperty]
    public string? Password { get; set; }

    /// <summary>True once changed.</summary>
    public bool Done { get; private set; }

    /// <summary>What went wrong.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Shows the form.</summary>
    public void OnGet()
    {
    }

    /// <summary>Changes the password.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        var user = string.IsNullOrWhiteSpace(Email) ? null : await users.FindByEmailAsync(Email.Trim());
        string? token = null;
        try
        {
            token = Code is null ? null : Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(Code));
        }
        catch (FormatException)
        {
        }

        if (token is null)
        {
            Errors.Add("The link is not valid: ask for a new one on the 'Forgot your password' page.");
            return Page();
        }

        // An address without an account is answered as a used link is, so this page does not tell which addresses have
        // one (probe 28 told them apart by the two messages).
        const string UsedOrExpired = "The link is used or expired: ask for a new one.";
        if (user is null)
        {
            Errors.Add(UsedOrExpired);
            return Page();
        }

        var result = await users.ResetPasswordAsync(user, token, Password ?? "");
        if (!result.Succeeded)
        {
            Errors.AddRange(result.Errors.Select(e => e.Code == "InvalidToken" ? UsedOrExpired : e.Description));
            return Page();
        }

        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await Revocation.RevokeTokensAsync(tokens, user.Id);
        await Revocation.RevokeAuthorizationsAsync(authorizations, user.Id);
        Done = true;
        return Page();
    }
}
