using System.Security.Claims;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Identity;

/// <summary>Builds the identity a token carries: who, the firm they act for, their role in it, and the granted scopes.</summary>
public static class TokenClaims
{
    /// <summary>Authentication type of identities issued here.</summary>
    public const string AuthenticationType = "marketplace";

    /// <summary>Role claim value of platform admins.</summary>
    public const string PlatformAdminRole = "platform-admin";

    /// <summary>Role claim value of API clients (they act for their firm, but do not manage it).</summary>
    public const string ClientRole = "api-client";

    /// <summary>A person acting for a firm (or for none, when they belong to none).</summary>
    public static ClaimsIdentity ForUser(MarketplaceUser user, string? traderId, string? memberRole, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id)
            .SetClaim(Claims.Name, user.DisplayName ?? user.Email)
            .SetClaim(Claims.Email, user.Email)
            .SetClaim(Caller.TraderIdClaim, traderId)
            .SetClaim(Caller.TraderRoleClaim, traderId is null ? null : memberRole);
        identity.SetClaims(Claims.Role, user.IsPlatformAdmin ? [PlatformAdminRole] : []);
        identity.SetScopes(scopes.Where(s => s != ApiScopes.Admin || user.IsPlatformAdmin));
        identity.SetDestinations(Destinations);
        return identity;
    }

    /// <summary>An operator's API client acting for its firm.</summary>
    public static ClaimsIdentity ForClient(string clientId, string? name, string traderId, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId)
            .SetClaim(Claims.Name, name ?? clientId)
            .SetClaim(Caller.TraderIdClaim, traderId)
            .SetClaim(Caller.TraderRoleClaim, ClientRole);
        // A client never administers a firm or the platform, whatever it asked for.
        identity.SetScopes(scopes.Where(s => s != ApiScopes.Admin && s != ApiScopes.FirmAdmin));
        identity.SetDestinations(Destinations);
        return identity;
    }

    private static IEnumerable<string> Destinations(Claim claim) => claim.Type switch
    {
        Claims.Name when claim.Subject!.HasScope(Scopes.Profile) => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        Claims.Email when claim.Subject!.HasScope(Scopes.Email) => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        Caller.TraderIdClaim or Caller.TraderRoleClaim or Claims.Role => [OpenIddictConstants.Destinations.AccessToken, OpenIddictConstants.Destinations.IdentityToken],
        Claims.Name or Claims.Email => [OpenIddictConstants.Destinations.AccessToken],
        _ => [OpenIddictConstants.Destinations.AccessToken],
    };
}
