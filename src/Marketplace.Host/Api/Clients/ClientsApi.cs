using System.Security.Claims;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Members;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Clients;

/// <summary>A new API client for the firm.</summary>
/// <param name="Name">Name to recognise it by, 1 to 100 characters.</param>
/// <param name="Scopes">Scopes it may ask for, space separated (listings.read listings.write demands.write orders.write orders.read matching.read matching.write).</param>
/// <param name="RedirectUris">Only for applications that sign people in (code + PKCE with a consent screen).</param>
public sealed record CreateClientRequest(string? Name, string? Scopes, IReadOnlyList<string>? RedirectUris);

/// <summary>A created client with its secret: the only time the secret is shown.</summary>
/// <remarks>An answer replayed for an <c>Idempotency-Key</c> has a null secret and <c>secretNote</c> saying it was shown once.</remarks>
public sealed record CreatedClientResponse(string ClientId, string? ClientSecret, string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string> RedirectUris, DateTimeOffset CreatedAt,
    string? SecretNote = null);

/// <summary>Operators' API clients (OAuth 2.0 client credentials); each belongs to one firm and acts as it.</summary>
public static class ClientsApi
{
    /// <summary>Maps <c>/api/v1/traders/{id}/clients</c>.</summary>
    public static IEndpointRouteBuilder MapClientsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/traders/{id}/clients").WithTags("API clients").WithCommonProblems();
        group.MapGet("/", ListAsync).WithName("ListClients").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm lists its API clients (never their secrets).");
        group.MapPost("/", CreateAsync).WithName("CreateClient").WithAccess(AccessRule.FirmAdmin).WithMetadata(new SecretInAnswer("clientSecret"))
            .WithSummary("An admin of the firm creates an API client; the answer shows its secret once (it is stored hashed). Honours Idempotency-Key.");
        group.MapDelete("/{clientId}", RevokeAsync).WithName("RevokeClient").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm revokes a client: it gets no more tokens, and its tokens are refused at once.");
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<ApiClientView>>> ListAsync(string id, ClaimsPrincipal user, ApiClientRegistry clients, IGrainFactory grains)
    {
        await MembersApi.EnsureFirmAdminAsync(user, id, grains);
        return TypedResults.Ok(await clients.ListAsync(id));
    }

    private static async Task<Created<CreatedClientResponse>> CreateAsync(string id, CreateClientRequest request, ClaimsPrincipal user, ApiClientRegistry clients, IGrainFactory grains)
    {
        await MembersApi.EnsureFirmAdminAsync(user, id, grains);
        var created = await clients.CreateAsync(id, request.Name, request.Scopes, request.RedirectUris, user.Subject());
        var c = created.Client;
        return TypedResults.Created($"/api/v1/traders/{id}/clients/{c.ClientId}",
            new CreatedClientResponse(c.ClientId, created.ClientSecret, c.Name, c.Scopes, c.RedirectUris, c.CreatedAt));
    }

    private static async Task<NoContent> RevokeAsync(string id, string clientId, ClaimsPrincipal user, ApiClientRegistry clients, IGrainFactory grains)
    {
        await MembersApi.EnsureFirmAdminAsync(user, id, grains);
        await clients.RevokeAsync(id, clientId);
        return TypedResults.NoContent();
    }
}
