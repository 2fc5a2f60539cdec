using Marketplace.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using OpenIddict.Abstractions;
using OpenIddict.Validation;

namespace Marketplace.Host.Web.Pages;

/// <summary>
/// Signs out of the pages and of the sign-in server's session, and revokes the session's authorization with every token
/// it issued: a copy of the pages' cookie taken before signing out no longer reads anything (probe 28 read the firm's
/// page with one for the rest of its access token's hour when only the refresh token was revoked).
/// </summary>
public sealed class SignOutModel(
    IHttpClientFactory http,
    OpenIddictValidationService validation,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens,
    ILogger<SignOutModel> logger) : WebPage
{
    /// <summary>Nothing to do on a GET: home.</summary>
    public IActionResult OnGet() => LocalRedirect("/");

    /// <summary>Signs out (a form with an antiforgery token, so another site cannot sign a person out).</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var session = await HttpContext.AuthenticateAsync(WebSetup.CookieScheme);
        if (session.Properties is { } properties && !await RevokeAuthorizationAsync(properties.GetTokenValue("access_token"), ct)
            && properties.GetTokenValue("refresh_token") is { } refresh)
        {
            // The access token has expired (so have all older ones): the refresh token is all that still works.
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

    private async Task<bool> RevokeAuthorizationAsync(string? accessToken, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(accessToken))
        {
            return false;
        }

        string? id;
        try
        {
            id = (await validation.ValidateAccessTokenAsync(accessToken, ct)).GetAuthorizationId();
        }
        catch (OpenIddictExceptions.ProtocolException e)
        {
            logger.LogDebug("Signing out with an access token that no longer validates ({Error})", e.Error);
            return false;
        }

        if (string.IsNullOrEmpty(id) || await authorizations.FindByIdAsync(id, ct) is not { } authorization)
        {
            return false;
        }

        await authorizations.TryRevokeAsync(authorization, ct);
        await tokens.RevokeByAuthorizationIdAsync(id, ct);
        return true;
    }
}
