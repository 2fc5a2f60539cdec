using Marketplace.Hosting.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using OpenIddict.Validation.AspNetCore;

namespace Marketplace.Identity;

/// <summary>Answers refused API calls with problem documents: 401 (with the bearer challenge header) or 403 naming the missing scope.</summary>
public sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    /// <inheritdoc />
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!context.Request.Path.StartsWithSegments("/api") || authorizeResult.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        if (authorizeResult.Challenged)
        {
            // A token that was sent but refused gets the reason, not "send a token".
            var refusal = context.Request.Headers.Authorization.Count > 0 ? await RefusalAsync(context) : null;
            await context.ChallengeAsync();
            await ApiProblems.Write(context, ApiProblems.Unauthenticated(refusal));
            return;
        }

        var rule = context.GetEndpoint()?.Metadata.GetMetadata<AccessRule>();
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await ApiProblems.Write(context, ApiProblems.InsufficientScope(rule?.Scope));
    }

    /// <summary>Why the bearer token was refused, in words a caller can act on.</summary>
    private static async Task<string> RefusalAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync();
        var reason = result.Properties?.Items.TryGetValue(OpenIddictValidationAspNetCoreConstants.Properties.ErrorDescription, out var d) == true && !string.IsNullOrEmpty(d)
            ? d
            : "The token is not one this host accepts.";
        var hint = reason.Contains("issuer", StringComparison.OrdinalIgnoreCase)
            ? " A token is accepted only at the address that issued it (Identity:Issuer): request it from this host's /connect/token under the address you call."
            : " Get a new token (it may have expired or been revoked) and send it as 'Authorization: Bearer <token>'.";
        return $"The bearer token was refused: {reason}{hint}";
    }
}
