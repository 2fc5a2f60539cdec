using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Marketplace.Hosting.Problems;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Identity;

/// <summary>The OpenID Connect endpoints OpenIddict passes through to us: authorize, token, userinfo, end session.</summary>
public static class ConnectEndpoints
{
    /// <summary>Form field of the consent page: <c>grant</c> or <c>deny</c>.</summary>
    public const string ConsentField = "consent";

    /// <summary>Authorization request parameter naming the firm to act for, when the user belongs to several.</summary>
    public const string TraderParameter = "trader_id";

    /// <summary>Maps <c>/connect/*</c>.</summary>
    public static IEndpointRouteBuilder MapConnectEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/connect").ExcludeFromDescription().AllowAnonymous();
        group.MapMethods("/authorize", ["GET", "POST"], (Delegate)AuthorizeAsync);
        group.MapPost("/token", (Delegate)TokenAsync);
        group.MapMethods("/userinfo", ["GET", "POST"], (Delegate)UserInfoAsync);
        group.MapMethods("/logout", ["GET", "POST"], (Delegate)EndSessionAsync);
        return routes;
    }

    private static async Task<IResult> AuthorizeAsync(
        HttpContext context,
        UserManager<MarketplaceUser> users,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        FirmMembers members,
        IAntiforgery antiforgery,
        TimeProvider time)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("OpenIddict did not attach the authorization request.");
        var signedIn = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = signedIn.Succeeded ? await users.GetUserAsync(signedIn.Principal!) : null;
        if (user is null || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The user is not signed in.");
            }

            // Come back to this request after signing in, without prompt=login so it does not loop.
            var parameters = Parameters(context).Where(p => p.Key != OpenIddictConstants.Parameters.Prompt)
                .Select(p => KeyValuePair.Create(p.Key, p.Value));
            var returnUrl = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters);
            return Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [IdentityConstants.ApplicationScheme]);
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!)
            ?? throw new InvalidOperationException("OpenIddict validated a client that no longer exists.");
        var applicationId = await applications.GetIdAsync(application);

        var memberships = await members.ForUserAsync(user.Id);
        var wanted = (string?)request[TraderParameter];
        var acting = wanted is null ? memberships.FirstOrDefault() : memberships.FirstOrDefault(m => m.TraderId == wanted);
        if (wanted is not null && acting is null)
        {
            return Forbid(Errors.AccessDenied, "You are not a member of the firm named in trader_id.");
        }

        var scopes = request.GetScopes().Where(s => s != ApiScopes.Admin || user.IsPlatformAdmin).ToImmutableArray();
        var decision = context.Request.HasFormContentType ? (string?)context.Request.Form[ConsentField] : null;
        if (decision is not null)
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem(ApiProblems.Create(StatusCodes.Status400BadRequest, "antiforgery-failed", "Form expired",
                    "The consent form could not be checked (it is stale or was not sent from the consent page): start signing in again."));
            }
            if (decision != "grant")
            {
                return Forbid(Errors.AccessDenied, "The user declined to give the application access.");
            }
        }

        // A consent is given for one firm: one given while acting for firm A does not let the application act for firm B.
        var existing = new List<object>();
        await foreach (var authorization in authorizations.FindAsync(user.Id, applicationId!, Statuses.Valid, AuthorizationTypes.Permanent, scopes))
        {
            if (TraderOf(await authorizations.GetPropertiesAsync(authorization)) == acting?.TraderId)
            {
                existing.Add(authorization);
            }
        }

        var consentType = await applications.GetConsentTypeAsync(application);
        if (consentType == ConsentTypes.Explicit && existing.Count == 0 && decision is null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.ConsentRequired, "The user has not yet allowed this application.");
            }

            var query = QueryString.Create(Parameters(context).Select(p => KeyValuePair.Create(p.Key, p.Value)));
            return Results.Redirect("/account/consent" + query);
        }

        var identity = TokenClaims.ForUser(user, acting?.TraderId, acting?.Role, scopes);
        // The marketplace's own pages (no consent screen) get an authorization per sign-in, not one kept for every browser:
        // signing out of the pages revokes that authorization and so every token of this browser's session, even one in
        // an older copy of its cookie, without signing the person out of their other browsers.
        var perSignIn = consentType != ConsentTypes.Explicit;
        var kept = perSignIn ? null : existing.LastOrDefault();
        if (kept is null)
        {
            var descriptor = new OpenIddictAuthorizationDescriptor
            {
                ApplicationId = applicationId,
                CreationDate = time.GetUtcNow(),
                Principal = new ClaimsPrincipal(identity),
                Status = Statuses.Valid,
                Subject = user.Id,
                Type = perSignIn ? AuthorizationTypes.AdHoc : AuthorizationTypes.Permanent,
            };
            descriptor.Scopes.UnionWith(identity.GetScopes());
            if (acting is not null)
            {
                descriptor.Properties[TraderParameter] = JsonSerializer.SerializeToElement(acting.TraderId);
            }

            kept = await authorizations.CreateAsync(descriptor);
        }

        identity.SetAuthorizationId(await authorizations.GetIdAsync(kept));
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> TokenAsync(
        HttpContext context,
        UserManager<MarketplaceUser> users,
        SignInManager<MarketplaceUser> signIn,
        IOpenIddictApplicationManager applications,
        ApiClientRegistry clients,
        FirmMembers members)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("OpenIddict did not attach the token request.");
        if (request.IsClientCredentialsGrantType())
        {
            var traderId = await clients.TraderOfAsync(request.ClientId!);
            if (traderId is null)
            {
                return Forbid(Errors.UnauthorizedClient, "This client does not belong to a firm, so it cannot act on its own.");
            }

            var application = await applications.FindByClientIdAsync(request.ClientId!);
            var name = application is null ? null : await applications.GetDisplayNameAsync(application);
            var identity = TokenClaims.ForClient(request.ClientId!, name, traderId, request.GetScopes());
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var subject = result.Principal?.GetClaim(Claims.Subject);
            var user = subject is null ? null : await users.FindByIdAsync(subject);
            if (user is null || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
            {
                return Forbid(Errors.InvalidGrant, "The account can no longer sign in: sign in again.");
            }

            // The firm and role are read again, so a colleague removed from the firm cannot refresh their way back in.
            var traderId = result.Principal!.GetClaim(Caller.TraderIdClaim);
            var role = traderId is null ? null : await members.RoleAsync(user.Id, traderId);
            if (traderId is not null && role is null)
            {
                return Forbid(Errors.InvalidGrant, "You no longer belong to the firm this token acts for: sign in again.");
            }

            var identity = TokenClaims.ForUser(user, traderId, role, result.Principal!.GetScopes());
            identity.SetAuthorizationId(result.Principal!.GetAuthorizationId());
            identity.SetResources(result.Principal!.GetResources());
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Forbid(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static async Task<IResult> UserInfoAsync(HttpContext context, UserManager<MarketplaceUser> users, FirmMembers members)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = result.Principal?.GetClaim(Claims.Subject);
        var user = subject is null ? null : await users.FindByIdAsync(subject);
        if (user is null)
        {
            return Results.Challenge(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The token does not belong to a person.",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var principal = result.Principal!;
        var claims = new Dictionary<string, object?>(StringComparer.Ordinal) { [Claims.Subject] = user.Id };
        if (principal.HasScope(Scopes.Email))
        {
            claims[Claims.Email] = user.Email;
            claims[Claims.EmailVerified] = user.EmailConfirmed;
        }

        if (principal.HasScope(Scopes.Profile))
        {
            claims[Claims.Name] = user.DisplayName ?? user.Email;
        }

        claims[Caller.TraderIdClaim] = principal.GetClaim(Caller.TraderIdClaim);
        claims["firms"] = (await members.ForUserAsync(user.Id)).Select(m => new { traderId = m.TraderId, role = m.Role }).ToArray();
        return Results.Ok(claims);
    }

    private static async Task<IResult> EndSessionAsync(HttpContext context)
    {
        await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    /// <summary>The firm an authorization (a consent) was given for, or null for none.</summary>
    private static string? TraderOf(ImmutableDictionary<string, JsonElement> properties)
        => properties.TryGetValue(TraderParameter, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<KeyValuePair<string, StringValues>> Parameters(HttpContext context)
        => (context.Request.HasFormContentType ? (IEnumerable<KeyValuePair<string, StringValues>>)context.Request.Form : context.Request.Query)
            .Where(p => p.Key is not ConsentField and not "__RequestVerificationToken");

    private static IResult Forbid(string error, string description)
        => Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
