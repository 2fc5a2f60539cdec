using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Marketplace.Identity;

/// <summary>
/// A client may revoke only tokens issued to it (RFC 7009 §2.1). OpenIddict's own check
/// (<c>Revocation.ValidateAuthorizedParty</c>) judges an access token only when it names both audiences and presenters,
/// and the marketplace's access tokens name no audience: any client with a secret could end another firm's token. This
/// runs after it and refuses a token whose presenters (or, lacking them, its <c>client_id</c>) do not include the caller.
/// </summary>
public static class RevocationOwner
{
    /// <summary>The handler, ordered after OpenIddict's own party check.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateRevocationRequestContext>()
        .UseInlineHandler(context =>
        {
            var token = context.GenericTokenPrincipal;
            if (token is null)
            {
                return default;
            }

            var presenters = token.GetPresenters();
            var owner = presenters.IsDefaultOrEmpty ? token.GetClaim(OpenIddictConstants.Claims.ClientId) : null;
            if (string.IsNullOrEmpty(context.ClientId) || !(presenters.Contains(context.ClientId, StringComparer.Ordinal) || owner == context.ClientId))
            {
                context.Reject(OpenIddictConstants.Errors.InvalidToken, "The token was not issued to this client.");
            }

            return default;
        })
        .SetOrder(OpenIddictServerHandlers.Revocation.ValidateAuthorizedParty.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();
}
