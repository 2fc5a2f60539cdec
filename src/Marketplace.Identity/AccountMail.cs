using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Localization;

namespace Marketplace.Identity;

/// <summary>
/// Mail about a person's own account; every link points to the <see cref="PublicAddress"/>. A mail is worded in the
/// language of the request that sends it (<see cref="System.Globalization.CultureInfo.CurrentUICulture"/>, which the
/// pages set from the person's choice or browser), with the texts of <c>IdentityText.resx</c> and <c>IdentityText.fi.resx</c>.
/// </summary>
public sealed class AccountMail(UserManager<MarketplaceUser> users, IMailSender mail, PublicAddress address, IStringLocalizer<IdentityText> text)
{
    /// <summary>The link that confirms the account's address; an account acts only once it is confirmed.</summary>
    public async Task SendConfirmationAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GenerateEmailConfirmationTokenAsync(user)));
        var link = $"{address.Base}/account/confirm-email?userId={Uri.EscapeDataString(user.Id)}&code={code}";
        await mail.SendAsync(new MailMessage(user.Email!, text["mail.confirm.subject"], Body(text, "mail.confirm.body", link), link), ct);
    }

    /// <summary>
    /// Someone tried to register an address that already has an account: the page answers as for a new account (so it
    /// does not tell whether the address is known) and the owner is told here instead.
    /// </summary>
    public async Task SendAlreadyRegisteredAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var link = $"{address.Base}/account/sign-in";
        await mail.SendAsync(new MailMessage(user.Email!, text["mail.already-registered.subject"], Body(text, "mail.already-registered.body", link), link), ct);
    }

    /// <summary>The link that sets a new password.</summary>
    public async Task SendPasswordResetAsync(MarketplaceUser user, CancellationToken ct = default)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(user)));
        var link = $"{address.Base}/account/reset-password?email={Uri.EscapeDataString(user.Email!)}&code={code}";
        await mail.SendAsync(new MailMessage(user.Email!, text["mail.password-reset.subject"], Body(text, "mail.password-reset.body", link), link), ct);
    }

    /// <summary>
    /// The invitation to join <paramref name="firm"/> (its name) as <paramref name="role"/>, naming who invited when known
    /// (<paramref name="invitedBy"/>: their name or address; an API client's invitation names none).
    /// </summary>
    public static MailMessage Invitation(IStringLocalizer text, string to, string firm, string? invitedBy, string role, DateTimeOffset expires, string link)
    {
        var roleName = text[role].Value;
        var body = string.IsNullOrWhiteSpace(invitedBy)
            ? Body(text, "mail.invitation.body", firm, roleName, expires.UtcDateTime, link)
            : Body(text, "mail.invitation.body-by", invitedBy, firm, roleName, expires.UtcDateTime, link);
        return new MailMessage(to, text["mail.invitation.subject", firm], body, link);
    }

    /// <summary>A mail's text: the resource's lines ended as mail ends them.</summary>
    private static string Body(IStringLocalizer text, string key, params object[] args) => text[key, args].Value.ReplaceLineEndings("\r\n");
}
