using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Sign in with email and password. Five failures from one client address lock that address out of the account for 15
/// minutes (<see cref="SignInThrottle"/>); many more from anywhere lock the account itself. An unconfirmed account is
/// sent its confirmation link again.
/// </summary>
public sealed class SignInModel(SignInManager<MarketplaceUser> signIn, UserManager<MarketplaceUser> users, SignInThrottle throttle, AccountMail accountMail) : PageModel
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

    // Someone without an account, and a hash of a random password made once with the same hasher: checking a password
    // against it costs what checking a real account's does.
    private static readonly MarketplaceUser Nobody = new();
    private static string? _nobodysHash;

    private static string NobodysHash(UserManager<MarketplaceUser> users)
        => _nobodysHash ??= users.PasswordHasher.HashPassword(Nobody, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));

    /// <summary>Checks the password and signs in.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        const string Blocked = "Too many failed attempts from here: signing in to this account is locked for 15 minutes. Wait, or reset your password.";
        const string Locked = "Too many failed attempts: this account is locked for 15 minutes. Wait, or reset your password.";
        var address = HttpContext.Connection.RemoteIpAddress;
        var account = Email?.Trim() ?? "";
        // Checked before the password, so a blocked address learns nothing more (and unknown addresses are counted alike).
        if (throttle.IsBlocked(address, account))
        {
            Error = Blocked;
            return Page();
        }

        var user = string.IsNullOrWhiteSpace(Email) ? null : await users.FindByEmailAsync(account);
        if (user is null || string.IsNullOrEmpty(Password))
        {
            // Answered as for an account: the same time (a password is checked against a hash), the same messages, and
            // "locked" after as many failures from anywhere, so the page does not tell which addresses have an account.
            if (user is null && !string.IsNullOrEmpty(Password))
            {
                _ = users.PasswordHasher.VerifyHashedPassword(Nobody, NobodysHash(users), Password);
                if (throttle.IsLockedWithoutAccount(account) || throttle.FailedWithoutAccount(account))
                {
                    Error = Locked;
                    return Page();
                }
            }

            throttle.Failed(address, account);
            Error = throttle.IsBlocked(address, account) ? Blocked : "Wrong email or password.";
            return Page();
        }

        var result = await signIn.PasswordSignInAsync(user, Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            throttle.Succeeded(address, account);
            return LocalRedirect(PageLinks.SafeReturnUrl(Url, ReturnUrl));
        }

        if (result.IsNotAllowed && !user.EmailConfirmed)
        {
            // Identity refuses an unconfirmed account before it checks the password, so it counts no failure: counted
            // here, so guessing the password of an unconfirmed account locks it as it would a confirmed one (probe 28).
            if (await users.IsLockedOutAsync(user))
            {
                Error = Locked;
                return Page();
            }

            if (await users.CheckPasswordAsync(user, Password))
            {
                accountMail.QueueConfirmation(user.Id);
                Error = "Confirm your address first: we have mailed you the link again.";
                return Page();
            }

            await users.AccessFailedAsync(user);
            if (await users.IsLockedOutAsync(user))
            {
                Error = Locked;
                return Page();
            }
        }

        if (result.IsLockedOut)
        {
            Error = Locked;
            return Page();
        }

        throttle.Failed(address, account);
        Error = throttle.IsBlocked(address, account) ? Blocked : "Wrong email or password.";
        return Page();
    }
}

/// <summary>Shared bits of the account pages.</summary>
public static class PageLinks
{
    /// <summary>The return URL when it stays on this site, otherwise the start page.</summary>
    public static string SafeReturnUrl(IUrlHelper url, string? returnUrl)
        => !string.IsNullOrEmpty(returnUrl) && url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
