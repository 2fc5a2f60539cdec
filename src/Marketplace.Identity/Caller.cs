using System.Security.Claims;
using Marketplace.Domain.Common;
using OpenIddict.Abstractions;

namespace Marketplace.Identity;

/// <summary>Who is calling: the signed-in subject, the firm (trader) it acts for, its role there and its scopes.</summary>
public static class Caller
{
    /// <summary>Claim carrying the id of the trader the caller acts for.</summary>
    public const string TraderIdClaim = "trader_id";

    /// <summary>Claim carrying the caller's role in that firm (member, trader-admin, or api-client).</summary>
    public const string TraderRoleClaim = "trader_role";

    /// <summary>Claim carrying the subject (user or API client) id.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The trader the caller acts for, or null.</summary>
    public static string? TraderId(this ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true ? user.FindFirstValue(TraderIdClaim) : null;

    /// <summary>The trader whose private data the caller may read with <paramref name="scope"/>: its own firm when the token carries the scope.</summary>
    public static string? TraderIdWithScope(this ClaimsPrincipal user, string scope)
        => user.HasScope(scope) ? user.TraderId() : null;

    /// <summary>The subject id of an authenticated caller.</summary>
    public static string Subject(this ClaimsPrincipal user)
        => user.FindFirstValue(SubjectClaim) ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity?.Name ?? "unknown";

    /// <summary>True for a person's token (not an API client's).</summary>
    public static bool IsPerson(this ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true && user.FindFirstValue(TraderRoleClaim) != TokenClaims.ClientRole;

    /// <summary>A platform admin using the <c>admin</c> scope.</summary>
    public static bool IsPlatformAdmin(this ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true && user.HasClaim(OpenIddictConstants.Claims.Role, TokenClaims.PlatformAdminRole) && user.HasScope(ApiScopes.Admin);

    /// <summary>True when the token carries the scope.</summary>
    public static bool HasScope(this ClaimsPrincipal user, string scope)
        => user.Identity?.IsAuthenticated == true && OpenIddict.Abstractions.OpenIddictExtensions.HasScope(user, scope);

    /// <summary>The trader the caller acts for; refuses a caller that acts for no firm.</summary>
    public static string ActingTraderId(this ClaimsPrincipal user)
        => user.TraderId() ?? throw DomainException.Forbidden("no-acting-trader",
            "This needs a firm: register one with POST /api/v1/traders or sign in as a member of one.");

    /// <summary>Refuses unless the caller is an admin of the firm (a person, not an API client) or a platform admin.</summary>
    public static void EnsureFirmAdmin(this ClaimsPrincipal user, string traderId)
    {
        if (user.IsPlatformAdmin())
        {
            return;
        }

        if (user.TraderId() != traderId || !user.IsPerson() || user.FindFirstValue(TraderRoleClaim) != MemberRoles.TraderAdmin)
        {
            throw DomainException.Forbidden("firm-admin-only", "Only an admin of the firm may do this: ask one of its admins.");
        }
    }
}
