using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Marketplace.Domain.Common;
using Marketplace.Host.Api.Demands;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Orders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Marketplace.Host.Api.Schemas;

/// <summary>JSON Schemas (draft 2020-12) of the lot, demand and order documents, made from the very types the API serialises.</summary>
public static class SchemasApi
{
    /// <summary>Media type of a JSON Schema.</summary>
    public const string MediaType = "application/schema+json";

    /// <summary>The documents described, by the name in the URL.</summary>
    public static IReadOnlyDictionary<string, (Type Type, string Title)> Documents { get; } = new Dictionary<string, (Type, string)>(StringComparer.Ordinal)
    {
        ["lot"] = (typeof(ListingResponse), "A lot as GET /api/v1/listings/{id} returns it"),
        ["demand"] = (typeof(DemandResponse), "A demand as GET /api/v1/demands/{id} returns it"),
        ["order"] = (typeof(OrderResponse), "An order as GET /api/v1/orders/{id} returns it"),
    };

    /// <summary>Maps <c>/api/v1/schemas/{name}.json</c>.</summary>
    public static IEndpointRouteBuilder MapSchemasApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/schemas").WithTags("Schemas").WithCommonProblems()
            .MapGet("/{name}.json", Get).WithName("GetDocumentSchema").WithAccess(AccessRule.Public)
            .Produces<JsonObject>(StatusCodes.Status200OK, MediaType)
            .WithSummary("The JSON Schema (draft 2020-12) of the lot, demand or order document as the API returns it: name = lot, demand or order. Anonymous.");
        return routes;
    }

    private static ContentHttpResult Get(string name, HttpRequest request, IOptions<HttpJsonOptions> json)
    {
        if (!Documents.TryGetValue(name, out var document))
        {
            throw new DomainException("unknown-schema", $"There is no schema '{name}': the schemas are {string.Join(", ", Documents.Keys.Select(k => k + ".json"))}.",
                DomainErrorKind.NotFound);
        }

        var schema = For(document.Type, json.Value.SerializerOptions);
        var described = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"{request.Scheme}://{request.Host}/api/v1/schemas/{name}.json",
            ["title"] = document.Title,
        };
        foreach (var (key, value) in schema)
        {
            described[key] = value?.DeepClone();
        }

        return TypedResults.Content(described.ToJsonString(), MediaType);
    }

    /// <summary>
    /// The schema of <paramref name="type"/> as the API's serializer writes it. The serializer reads numbers from strings
    /// too, but writes them as numbers, so the schema is made strict about numbers; every constructor parameter without a
    /// default is always written, so it is required; nullable annotations say where null may appear.
    /// </summary>
    public static JsonObject For(Type type, JsonSerializerOptions api)
    {
        var options = new JsonSerializerOptions(api)
        {
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return JsonSchemaExporter.GetJsonSchemaAsNode(options, type).AsObject();
    }
}
