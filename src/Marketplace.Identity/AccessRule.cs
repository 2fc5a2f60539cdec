using Marketplace.Hosting.Problems;

namespace Marketplace.Identity;

/// <summary>
/// Who may call an endpoint, declared on the endpoint itself: the scope its token needs and the status each kind of caller gets.
/// The authorization matrix test reads these declarations from the host's endpoint list and checks every one over HTTP.
/// </summary>
/// <param name="Scope">Scope the token must carry; null when signing in is enough (or nothing is needed).</param>
/// <param name="SignInRequired">False for endpoints anyone may call.</param>
/// <param name="Anonymous">Status for a caller without a token.</param>
/// <param name="OtherFirm">Status for a person of another firm, on the owner's resource.</param>
/// <param name="WithoutScope">Status for the owner with a token that lacks <paramref name="Scope"/>.</param>
/// <param name="PlatformAdmin">Status for a platform admin (of another firm) using the admin scope.</param>
/// <param name="OwnerStatus">Status for the owning firm with the scope: success, except on endpoints only platform admins may call.</param>
public sealed record AccessRule(string? Scope, bool SignInRequired, int Anonymous, int OtherFirm, int WithoutScope, int PlatformAdmin, int OwnerStatus = AccessRule.Success)
{
    /// <summary>Stands for any 2xx answer.</summary>
    public const int Success = 200;

    /// <summary>Anyone, signed in or not.</summary>
    public static AccessRule Public { get; } = new(null, false, Success, Success, Success, Success);

    /// <summary>Anyone for public resources; a private one (a draft lot) only for its owner with <paramref name="scope"/>, or a platform admin; others get 404.</summary>
    public static AccessRule PrivateRead(string scope) => new(scope, false, 404, 404, 404, Success);

    /// <summary>Any signed-in person or client, no scope needed.</summary>
    public static AccessRule SignedIn { get; } = new(null, true, 401, Success, Success, Success);

    /// <summary>Any firm acting for itself with <paramref name="scope"/>.</summary>
    public static AccessRule AnyFirm(string scope) => new(scope, true, 401, Success, 403, Success);

    /// <summary>Only the owning firm with <paramref name="scope"/>; another firm gets <paramref name="otherFirm"/> (404 when the resource is private to the owner).</summary>
    public static AccessRule Owner(string scope, int otherFirm, int platformAdmin) => new(scope, true, 401, otherFirm, 403, platformAdmin);

    /// <summary>Only a platform admin with <paramref name="scope"/> (the <c>admin</c> scope): every firm, the owner included, gets 403.</summary>
    public static AccessRule PlatformAdminOnly(string scope) => new(scope, true, 401, 403, 403, Success, OwnerStatus: 403);

    /// <summary>Only an admin of the firm (a person) or a platform admin, with the <c>firm.admin</c> scope.</summary>
    public static AccessRule FirmAdmin { get; } = new(ApiScopes.FirmAdmin, true, 401, 403, 403, Success);

    /// <summary>Authorization policy requiring <paramref name="scope"/>.</summary>
    public static string PolicyFor(string scope) => "scope:" + scope;
}

/// <summary>Declares an endpoint's <see cref="AccessRule"/> and enforces its sign-in and scope parts.</summary>
public static class AccessRuleExtensions
{
    /// <summary>Adds the rule as metadata, requires sign-in (and the scope) when it says so, and declares 401/403 in OpenAPI.</summary>
    public static TBuilder WithAccess<TBuilder>(this TBuilder builder, AccessRule rule) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(rule);
        if (!rule.SignInRequired)
        {
            builder.AllowAnonymous();
            return builder;
        }

        if (rule.Scope is null)
        {
            builder.RequireAuthorization();
        }
        else
        {
            builder.RequireAuthorization(AccessRule.PolicyFor(rule.Scope));
        }

        return builder.Guarded();
    }
}
