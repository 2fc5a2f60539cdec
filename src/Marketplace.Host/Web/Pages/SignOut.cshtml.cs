using Marketplace.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Web.Pages;

/// <summary>Signs out of the pages and of the sign-in server's session, and revokes the session's refresh token.</summary>
public sealed class SignOutModel(IHttpClientFactory http) : WebPage
{
    /// <summary>Nothing to do on a GET: home.</summary>
    public IActionResult OnGet() => LocalRedirect("/");

    /// <summary>Signs out (a form with an antiforgery token, so another site cannot sign a person out).</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var session = await HttpContext.AuthenticateAsync(WebSetup.CookieScheme);
        if (session.Properties?.GetTokenValue("refresh_token") is { } refresh)
        {
            using var client = http.CreateClient(WebSetup.ApiClientName);
            using var _ = await client.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = refresh, ["token_type_hint"] = "refresh_token", ["client_id"] = IdentityDatabaseInitializer.FirstPartyClientId,
            }), ct);
        }

        await HttpContext.SignOutAsync(WebSetup.CookieScheme);
        await HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
        return LocalRedirect("/");
    }
}
