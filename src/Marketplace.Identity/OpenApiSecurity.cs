using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Marketplace.Identity;

/// <summary>Describes the OAuth 2.0 flows in the OpenAPI document and, per operation, the scope its <see cref="AccessRule"/> needs.</summary>
public sealed class OpenApiSecurity : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    private const string SchemeName = "oauth2";

    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var scopes = new Dictionary<string, string>
        {
            [ApiScopes.ListingsRead] = "Read the firm's unpublished lots",
            [ApiScopes.ListingsWrite] = "Create, change, publish and withdraw the firm's lots; confirm holds on them",
            [ApiScopes.DemandsWrite] = "Post and change wanted demands",
            [ApiScopes.OrdersWrite] = "Hold and buy lots; check out and run orders",
            [ApiScopes.OrdersRead] = "Read the firm's orders, their audit trails and invoices",
            [ApiScopes.MatchingRead] = "Read matching proposals",
            [ApiScopes.MatchingWrite] = "Decline matching proposals",
            [ApiScopes.FirmAdmin] = "Administer the firm: profile, members, invitations, API clients, payouts (people through the marketplace's own web client only)",
            [ApiScopes.Admin] = "Platform administration (platform admins only)",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "OAuth 2.0: people sign in with the authorization code flow and PKCE (S256); operators' API clients use client credentials. Discovery: /.well-known/openid-configuration.",
            Flows = new OpenApiOAuthFlows
            {
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = new Uri("/connect/authorize", UriKind.Relative),
                    TokenUrl = new Uri("/connect/token", UriKind.Relative),
                    RefreshUrl = new Uri("/connect/token", UriKind.Relative),
                    Scopes = scopes,
                },
                ClientCredentials = new OpenApiOAuthFlow
                {
                    TokenUrl = new Uri("/connect/token", UriKind.Relative),
                    Scopes = scopes.Where(s => s.Key is not ApiScopes.Admin and not ApiScopes.FirmAdmin).ToDictionary(),
                },
            },
        };
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var rule = context.Description.ActionDescriptor.EndpointMetadata.OfType<AccessRule>().FirstOrDefault();
        if (rule is { SignInRequired: true })
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = rule.Scope is null ? [] : [rule.Scope],
            });
        }
        else if (rule is not null)
        {
            // An empty requirement: anyone may call it, with or without a token (a token may show more, e.g. one's own drafts).
            operation.Security = [new OpenApiSecurityRequirement()];
        }

        return Task.CompletedTask;
    }
}
