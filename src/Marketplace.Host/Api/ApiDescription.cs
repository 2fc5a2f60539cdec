using Marketplace.Host.Api.Exports;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Marketplace.Host.Api;

/// <summary>
/// Completes the OpenAPI document at <c>/openapi/v1.json</c>: what the product is, the servers (as called, without a
/// trailing slash), the licence, and a description for every tag. A tag used by an endpoint but missing here is left
/// without one, which the description lint test (redocly's <c>tag-description</c>) reports.
/// </summary>
internal sealed class ApiDescription : IOpenApiDocumentTransformer
{
    /// <summary>Every tag's description, by the tag name the endpoints use.</summary>
    private static readonly Dictionary<string, string> Tags = new(StringComparer.Ordinal)
    {
        ["Materials"] = "The material taxonomy: categories of construction surplus with units, typical masses and European List of Waste codes.",
        ["Traders"] = "Firms: registration, profile, billing details, the firm's lots and demands, and reviews of the firm.",
        ["Listings"] = "Lots of surplus and reclaimed material: create a draft, change it, publish, withdraw.",
        ["Holds"] = "Buyers hold part of a lot while they arrange transport; the seller confirms or the hold lapses. Nothing is oversold.",
        ["Demands"] = "What buyers want: category, quantity, place, time window and price ceiling. Matching lots are proposed.",
        ["Matches"] = "Proposals pairing a lot with a demand, and the stream of their changes; accepting places an order.",
        ["Orders"] = "Orders from checkout to acceptance, handover and completion; cancellations, disputes, invoices and the audit trail.",
        ["Transfer documents"] = "Electronic waste transfer documents (siirtoasiakirja, Finnish Waste Act 646/2011 §121) of waste lots' orders: made at handover, signed by both firms.",
        ["Reviews"] = "Ratings firms give each other after a completed order, and reports of reviews to the platform's admins.",
        ["Carbon"] = "CO2e avoided by reuse: estimates per lot, totals per firm and for the region, the emission factors in use.",
        ["Exports"] = "A firm's own data out as CSV or JSON Lines, streamed.",
        ["Open data"] = "Every active lot's public fields for the region's open data portal, licensed CC BY 4.0.",
        ["Schemas"] = "JSON Schemas (draft 2020-12) of the lot, demand and order documents the API returns.",
        ["Search"] = "Full-text and faceted search of active lots, with distance and price filters.",
        ["Payments"] = "Card payments through Stripe Connect: the seller's onboarding and Stripe's signed webhook.",
        ["Members"] = "A firm's people: members, invitations, removal. Firm admins only.",
        ["API clients"] = "A firm's OAuth 2.0 clients (client credentials) for its own systems. Firm admins only.",
        ["Health"] = "Liveness and readiness of the host and its silo.",
        ["Webhooks"] = "Signed notifications of changes to a firm's lots, holds, demands, matches, orders and invoices.",
        ["Admin"] = "Platform admins: verify firms (a public badge), hide lots and reviews with a reason the owner is told, and the firm's notices.",
        ["Imports"] = "Bulk import of lots from CSV or JSON Lines, run as a job with a per-row report.",
    };

    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "Marketplace API: reclaimed construction materials, Helsinki region";
        document.Info.Description =
            "A circular-economy marketplace for construction and demolition surplus. Firms list lots of reclaimed material, "
            + "buyers search, hold and buy them, demands are matched to lots, orders run from checkout to handover with invoices "
            + "or card payments, waste lots get electronic transfer documents, and the CO2e avoided is counted. "
            + "Operators' systems call it with OAuth 2.0 client credentials (token at /connect/token, discovery at "
            + "/.well-known/openid-configuration). Errors are RFC 9457 problem documents whose `type` is "
            + "`urn:marketplace:problem:<code>`; every POST honours an `Idempotency-Key` header. Integration guide: docs/integration.md.";
        document.Info.License = new OpenApiLicense { Name = "CC BY 4.0 (this description and the open data feed)", Url = new Uri(ExportsApi.OpenDataLicence) };

        foreach (var server in document.Servers ?? [])
        {
            if (server.Url is { Length: > 1 } url && url.EndsWith('/'))
            {
                server.Url = url.TrimEnd('/');
            }
        }

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            if (tag.Name is { } name && Tags.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        return Task.CompletedTask;
    }
}
