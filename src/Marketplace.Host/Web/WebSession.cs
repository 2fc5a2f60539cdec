using System.Globalization;
using System.Text.Json;
using Marketplace.Identity;
using Microsoft.AspNetCore.Authentication;

namespace Marketplace.Host.Web;

/// <summary>
/// The signed-in person's session on the pages: a cookie holding the tokens the code + PKCE flow gave the first-party
/// client. Hands out a current access token, refreshing it (and rewriting the cookie) shortly before it expires.
/// </summary>
public sealed class WebSession(IHttpContextAccessor accessor, IHttpClientFactory http, TimeProvider time, ILogger<WebSession> logger)
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(30);
    private AuthenticateResult? _result;

    /// <summary>The session's cookie, read once per request.</summary>
    public async Task<AuthenticateResult> AuthenticateAsync()
        => _result ??= await Context.AuthenticateAsync(WebSetup.CookieScheme);

    /// <summary>A valid access token, or null when nobody is signed in or the session can no longer be refreshed.</summary>
    public async Task<string?> AccessTokenAsync(CancellationToken ct)
    {
        var result = await AuthenticateAsync();
        if (!result.Succeeded || result.Properties is null)
        {
            return null;
        }

        var token = result.Properties.GetTokenValue("access_token");
        var expiresAt = result.Properties.GetTokenValue("expires_at");
        if (token is not null && DateTimeOffset.TryParse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires)
            && expires - RefreshMargin > time.GetUtcNow())
        {
            return token;
        }

        return await RefreshAsync(result, ct);
    }

    private async Task<string?> RefreshAsync(AuthenticateResult result, CancellationToken ct)
    {
        var refresh = result.Properties!.GetTokenValue("refresh_token");
        if (refresh is null)
        {
            return null;
        }

        using var client = http.CreateClient(WebSetup.ApiClientName);
        using var response = await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["client_id"] = IdentityDatabaseInitializer.FirstPartyClientId,
        }), ct);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogInformation("The web session's refresh token was refused ({Status}); the person signs in again", (int)response.StatusCode);
            await EndAsync();
            return null;
        }

        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        var root = body.RootElement;
        var access = root.GetProperty("access_token").GetString()!;
        var expiresIn = root.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 3600;
        var properties = result.Properties!;
        properties.UpdateTokenValue("access_token", access);
        properties.UpdateTokenValue("expires_at", time.GetUtcNow().AddSeconds(expiresIn).ToString("o", CultureInfo.InvariantCulture));
        if (root.TryGetProperty("refresh_token", out var next) && next.GetString() is { } nextRefresh)
        {
            properties.UpdateTokenValue("refresh_token", nextRefresh);
        }

        if (!Context.Response.HasStarted)
        {
            await Context.SignInAsync(WebSetup.CookieScheme, result.Principal!, properties);
        }

        return access;
    }

    /// <summary>True once this request found the session over (its tokens revoked or refused): a page that needs a person signs in again.</summary>
    public bool Ended { get; private set; }

    /// <summary>
    /// The API refused the session's token (the person signed out elsewhere with this session, was removed, or reset
    /// their password): the cookie is dropped, so a copy of it kept from before reads nothing more.
    /// </summary>
    public async Task EndAsync()
    {
        Ended = true;
        _result = AuthenticateResult.NoResult();
        if (!Context.Response.HasStarted)
        {
            await Context.SignOutAsync(WebSetup.CookieScheme);
        }
    }

    private HttpContext Context => accessor.HttpContext ?? throw new InvalidOperationException("The web session is used outside a request.");
}
