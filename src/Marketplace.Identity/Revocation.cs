using OpenIddict.Abstractions;

namespace Marketplace.Identity;

/// <summary>Ends what a person holds now: their tokens and the applications' authorizations (consents) given for them.</summary>
public static class Revocation
{
    /// <summary>Revokes every token of the subject; with token-entry validation they are refused on the next call.</summary>
    public static async Task RevokeTokensAsync(IOpenIddictTokenManager tokens, string subject, CancellationToken ct = default)
    {
        // Collect first: revoking while the reader is open fails ("a second operation was started on this context").
        foreach (var token in await tokens.FindBySubjectAsync(subject, ct).ToListAsync(ct))
        {
            await tokens.TryRevokeAsync(token, ct);
        }
    }

    /// <summary>Revokes every authorization of the subject, so no application gets a token again without a new consent.</summary>
    public static async Task RevokeAuthorizationsAsync(IOpenIddictAuthorizationManager authorizations, string subject, CancellationToken ct = default)
    {
        foreach (var authorization in await authorizations.FindBySubjectAsync(subject, ct).ToListAsync(ct))
        {
            await authorizations.TryRevokeAsync(authorization, ct);
        }
    }
}
