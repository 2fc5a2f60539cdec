using System.Security.Claims;
using Marketplace.Domain.Common;

namespace Marketplace.Host.Identity;

/// <summary>Who is calling: the signed-in subject and the firm (trader) it acts for.</summary>
public static class Caller
{
    /// <summary>Claim carrying the id of the trader the caller acts for.</summary>
    public const string TraderIdClaim = "trader_id";

    /// <summary>Claim carrying the subject (user or API client) id.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>The trader the caller acts for, or null.</summary>
    public static string? TraderId(this ClaimsPrincipal user)
        => user.Identity?.IsAuthenticated == true ? user.FindFirstValue(TraderIdClaim) : null;

    /// <summary>The subject id of an authenticated caller.</summary>
    public static string Subject(this ClaimsPrincipal user)
        => user.FindFirstValue(SubjectClaim) ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity?.Name ?? "unknown";

    /// <summary>The trader the caller acts for; refuses a caller that acts for no firm.</summary>
    public static string ActingTraderId(this ClaimsPrincipal user)
        => user.TraderId() ?? throw DomainException.Forbidden("no-acting-trader",
            "This needs a firm: register one with POST /api/v1/traders or sign in as a member of one.");
}
