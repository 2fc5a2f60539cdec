using Marketplace.Domain.Materials;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Materials;

/// <summary>One category of the taxonomy as the API shows it.</summary>
public sealed record MaterialCategoryDto(
    string Id,
    string? ParentId,
    string NameEn,
    string NameFi,
    IReadOnlyList<string> Units,
    IReadOnlyDictionary<string, decimal> MassPerUnitKg,
    string? WasteCode);

/// <summary>The taxonomy with its version.</summary>
public sealed record MaterialsResponse(string Version, IReadOnlyList<MaterialCategoryDto> Categories);

/// <summary>The material taxonomy, public.</summary>
public static class MaterialsApi
{
    /// <summary>Maps <c>GET /api/v1/materials</c>.</summary>
    public static IEndpointRouteBuilder MapMaterialsApi(this IEndpointRouteBuilder routes)
    {
        // Only a request the host cannot read is refused (400): the taxonomy needs no grain, token or input.
        routes.MapGet("/api/v1/materials", Get).WithTags("Materials").WithName("GetMaterials").WithAccess(AccessRule.Public)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The material taxonomy: category slugs, English and Finnish names, allowed units, typical masses and EU waste codes.");
        return routes;
    }

    private static Ok<MaterialsResponse> Get(MaterialTaxonomy taxonomy)
        => TypedResults.Ok(new MaterialsResponse(
            taxonomy.Version,
            taxonomy.Categories.Select(c => new MaterialCategoryDto(
                c.Id, c.ParentId, c.NameEn, c.NameFi,
                c.Units.Select(u => u.Code()).ToArray(),
                c.MassPerUnitKg.ToDictionary(kv => kv.Key.Code(), kv => kv.Value),
                c.WasteCode)).ToArray()));
}
