using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;

namespace Marketplace.Identity;

/// <summary>Mail about a person's own account; every link points to the <see cref="PublicAddress"/>.</summary>
public sealed class AccountMail(UserManager<MarketplaceUser> users, IMailSender mail, PublicAddress address)
{
    /// <summary>The link that confirms the account's address; an account acts only once it is confirmed.</summary>
    public async Task SendConfirmationAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GenerateEmailConfirmationTokenAsync(user)));
        var link = $"{address.Base}/account/confirm-email?userId={Uri.EscapeDataString(user.Id)}&code={code}";
        await mail.SendAsync(new MailMessage(user.Email!, "Confirm your address for the materials marketplace",
            $"Welcome to the circular materials marketplace.\r\n\r\nOpen this link to confirm your address; you can sign in after that:\r\n{link}\r\n\r\nIf you did not register, ignore this message.\r\n", link), ct);
    }

    /// <summary>
    /// Someone tried to register an address that already has an account: the page answers as for a new account (so it
    /// does not tell whether the address is known) and the owner is told here instead.
    /// </summary>
    public async Task SendAlreadyRegisteredAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var link = $"{address.Base}/account/sign-in";
        await mail.SendAsync(new MailMessage(user.Email!, "You already have an account on the materials marketplace",
            $"Someone (hopefully you) tried to register this address again. You already have an account: sign in at\r\n{link}\r\n\r\nForgot the password? Use 'Forgot your password' on that page. If it was not you, ignore this message.\r\n", link), ct);
    }

    /// <summary>The link that sets a new password.</summary>
    public async Task SendPasswordResetAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(user)));
        var link = $"{address.Base}/account/reset-password?email={Uri.EscapeDataString(user.Email!)}&code={code}";
        await mail.SendAsync(new MailMessage(user.Email!, "Set a new password for the materials marketplace",
            $"Someone (hopefully you) asked to set a new password.\r\n\r\nOpen this link to choose one:\r\n{link}\r\n\r\nIf it was not you, ignore this message.\r\n", link), ct);
    }
}
