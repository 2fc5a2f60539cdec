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
public sealed class AccountMail(MailOutbox outbox, PublicAddress address, IStringLocalizer<IdentityText> text)
{
    /// <summary>
    /// Queues the link that confirms the account's address (an account acts only once it is confirmed); made when it is
    /// sent, and not sent for an account deleted meanwhile. An invitation's registration confirms the address already; its
    /// link still says so and leads on to signing in.
    /// </summary>
    public void QueueConfirmation(string userId) => outbox.Queue("the address confirmation of account " + userId, async (services, _) =>
    {
        var users = services.GetRequiredService<UserManager<MarketplaceUser>>();
        if (await users.FindByIdAsync(userId) is not { Email: not null } user)
        {
            return null;
        }

        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GenerateEmailConfirmationTokenAsync(user)));
        var link = $"{address.Base}/account/confirm-email?userId={Uri.EscapeDataString(user.Id)}&code={code}";
        return new MailMessage(user.Email, text["mail.confirm.subject"], Body(text, "mail.confirm.body", link), link);
    });

    /// <summary>
    /// Someone tried to register an address that already has an account: the page answers as for a new account (so it
    /// does not tell whether the address is known) and the owner is told here instead.
    /// </summary>
    public void QueueAlreadyRegistered(string email)
    {
        var link = $"{address.Base}/account/sign-in";
        outbox.Queue("a repeated registration of an account", (_, _) =>
            Task.FromResult<MailMessage?>(new MailMessage(email, text["mail.already-registered.subject"], Body(text, "mail.already-registered.body", link), link)));
    }

    /// <summary>
    /// Queues the link that sets a new password, when the address has an account: looked up when the mail is made, so the
    /// page that asks answers at once and alike for every address.
    /// </summary>
    public void QueuePasswordReset(string email) => outbox.Queue("a password reset", async (services, _) =>
    {
        var users = services.GetRequiredService<UserManager<MarketplaceUser>>();
        if (await users.FindByEmailAsync(email) is not { Email: not null } user)
        {
            return null;
        }

        if (!services.GetRequiredService<MailBounds>().TryTake("password-reset:" + user.Id))
        {
            // Asked for again and again (from many addresses): the links already sent still work.
            services.GetRequiredService<ILogger<AccountMail>>().LogWarning("Account {User} was sent {Count} password-reset links within {Window}; no more are sent for now",
                user.Id, MailBounds.PasswordResetsPerWindow, MailBounds.Window);
            return null;
        }

        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(user)));
        var link = $"{address.Base}/account/reset-password?email={Uri.EscapeDataString(user.Email)}&code={code}";
        return new MailMessage(user.Email, text["mail.password-reset.subject"], Body(text, "mail.password-reset.body", link), link);
    });

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
