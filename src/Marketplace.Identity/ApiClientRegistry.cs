using System.Security.Cryptography;
using System.Text.Json;
using Marketplace.Domain.Common;
using Marketplace.Grains.Webhooks;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Identity;

/// <summary>An API client as its firm sees it; the secret is shown only once, when it is created.</summary>
public sealed record ApiClientView(string ClientId, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string> RedirectUris, DateTimeOffset CreatedAt);

/// <summary>A new client with its secret, shown once.</summary>
public sealed record CreatedApiClient(ApiClientView Client, string ClientSecret);

/// <summary>Operators' API clients: each belongs to one firm and acts as it. Secrets are stored hashed by OpenIddict.</summary>
public sealed class ApiClientRegistry(IdentityDb db, IOpenIddictApplicationManager applications, TimeProvider time, IGrainFactory grains)
{
    /// <summary>Property on the OpenIddict application naming the firm.</summary>
    public const string TraderProperty = "trader_id";

    /// <summary>Clients one firm keeps at once (an integration needs one or a few): revoke one to make another.</summary>
    public const int MaxPerFirm = 25;

    /// <summary>Longest redirect URI a client registers (as a webhook's URL).</summary>
    public const int MaxRedirectUriLength = 2048;

    /// <summary>Creates a confidential client for the firm. With redirect URIs it may also sign people in (code + PKCE, with a consent screen).</summary>
    public async Task<CreatedApiClient> CreateAsync(string traderId, string? name, string? scopes, IReadOnlyList<string>? redirectUris, string createdBy, CancellationToken ct = default)
    {
        var requested = (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        var uris = redirectUris ?? [];
        var v = new Validation();
        v.Require(!string.IsNullOrWhiteSpace(name) && name.Length <= 100, "name", "A name of 1 to 100 characters is required.");
        v.Require(name is null || Validation.InvalidCharacterAt(name) is null, "name", "The name must not contain control characters.");
        v.Require(requested.Length > 0, "scopes", $"Name at least one scope: {string.Join(' ', ApiScopes.ForFirms)}.");
        var unknown = requested.Where(s => !ApiScopes.ForFirms.Contains(s)).ToArray();
        v.Require(unknown.Length == 0, "scopes", $"Unknown or not allowed scope(s) {string.Join(", ", unknown)}; allowed: {string.Join(' ', ApiScopes.ForFirms)}.");
        v.Require(uris.Count <= 10 && uris.All(IsRedirectUri), "redirectUris",
            $"Redirect URIs must be absolute https URIs (http only for loopback) of at most {MaxRedirectUriLength} characters, at most 10.");
        v.ThrowIfInvalid();

        // Each client is a row and an OpenIddict application the firm's list reads: bounded like a firm's other records,
        // counted and added under the firm's lock so that parallel requests cannot both pass the bound.
        return await db.UnderFirmLockAsync(traderId, async () =>
        {
            if (await db.ApiClients.CountAsync(c => c.TraderId == traderId, ct) >= MaxPerFirm)
            {
                throw DomainException.Conflict("client-limit", $"A firm keeps at most {MaxPerFirm} API clients: revoke one it no longer uses, then create the new one.",
                    new Dictionary<string, object?> { ["maxClients"] = MaxPerFirm });
            }

            return await AddAsync(traderId, name!, requested, uris, createdBy, ct);
        }, ct);
    }

    private async Task<CreatedApiClient> AddAsync(string traderId, string name, string[] requested, IReadOnlyList<string> uris, string createdBy, CancellationToken ct)
    {
        var clientId = "mkt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = name.Trim(),
            ConsentType = ConsentTypes.Explicit,
        };
        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation, Permissions.GrantTypes.ClientCredentials]);
        if (uris.Count > 0)
        {
            descriptor.Permissions.UnionWith([Permissions.Endpoints.Authorization, Permissions.Endpoints.EndSession, Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code, Permissions.Scopes.Profile, Permissions.Scopes.Email]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            foreach (var uri in uris)
            {
                descriptor.RedirectUris.Add(new Uri(uri));
            }
        }

        descriptor.Permissions.UnionWith(requested.Select(s => Permissions.Prefixes.Scope + s));
        descriptor.Properties[TraderProperty] = JsonSerializer.SerializeToElement(traderId);
        await applications.CreateAsync(descriptor, ct);

        var now = time.GetUtcNow();
        var row = new ApiClient { ClientId = clientId, TraderId = traderId, Name = descriptor.DisplayName, Scopes = string.Join(' ', requested), CreatedBy = createdBy, CreatedAtTicks = now.UtcTicks };
        db.ApiClients.Add(row);
        await db.SaveChangesAsync(ct);
        return new CreatedApiClient(View(row, uris), secret);
    }

    /// <summary>The firm's clients, oldest first.</summary>
    public async Task<IReadOnlyList<ApiClientView>> ListAsync(string traderId, CancellationToken ct = default)
    {
        var rows = await db.ApiClients.AsNoTracking().Where(c => c.TraderId == traderId).ToListAsync(ct);
        var views = new List<ApiClientView>();
        foreach (var row in rows.OrderBy(r => r.CreatedAtTicks))
        {
            var app = await applications.FindByClientIdAsync(row.ClientId, ct);
            var uris = app is null ? [] : (await applications.GetRedirectUrisAsync(app, ct)).Select(u => u.ToString()).ToArray();
            views.Add(View(row, uris));
        }

        return views;
    }

    /// <summary>The firm a client acts for, or null for a client that is not a firm's (such as the marketplace's own web client).</summary>
    public async Task<string?> TraderOfAsync(string clientId, CancellationToken ct = default)
        => (await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, ct))?.TraderId;

    /// <summary>
    /// Revokes a client of the firm: it can no longer get tokens, the tokens it holds are refused at once, and its webhook
    /// subscriptions are deleted (a revoked integration must not go on receiving the firm's events, nor could it delete
    /// them itself any more).
    /// </summary>
    public async Task RevokeAsync(string traderId, string clientId, CancellationToken ct = default)
    {
        var row = await db.ApiClients.FirstOrDefaultAsync(c => c.ClientId == clientId && c.TraderId == traderId, ct)
            ?? throw DomainException.NotFound("client", clientId);
        var app = await applications.FindByClientIdAsync(clientId, ct);
        if (app is not null)
        {
            // Deleting the application also deletes its authorizations and tokens, so token-entry validation refuses them from now on.
            await applications.DeleteAsync(app, ct);
        }

        db.ApiClients.Remove(row);
        await db.SaveChangesAsync(ct);

        // After the client is gone, so that it cannot subscribe again in between; a failure here leaves subscriptions
        // that a firm admin still sees and deletes (GET /webhooks), and a retried revocation is 404.
        foreach (var entry in await grains.GetGrain<IWebhookFirmGrain>(traderId).ListAsync())
        {
            if (entry.ClientId == clientId)
            {
                await grains.GetGrain<IWebhookSubscriptionGrain>(entry.Id).DeleteAsync();
            }
        }
    }

    private static ApiClientView View(ApiClient row, IReadOnlyList<string> uris)
        => new(row.ClientId, row.Name, row.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), uris, new DateTimeOffset(row.CreatedAtTicks, TimeSpan.Zero));

    private static bool IsRedirectUri(string uri)
        => uri is { Length: <= MaxRedirectUriLength } && Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.Fragment.Length == 0
           && (u.Scheme == Uri.UriSchemeHttps || (u.Scheme == Uri.UriSchemeHttp && u.IsLoopback));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
