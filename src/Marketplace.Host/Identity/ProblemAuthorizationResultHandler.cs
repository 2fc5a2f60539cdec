using Marketplace.Host.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Marketplace.Host.Identity;

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
            await context.ChallengeAsync();
            await ApiProblems.Write(context, ApiProblems.Unauthenticated());
            return;
        }

        var rule = context.GetEndpoint()?.Metadata.GetMetadata<AccessRule>();
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await ApiProblems.Write(context, ApiProblems.InsufficientScope(rule?.Scope));
    }
}
