using System.Security.Claims;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Carbon;
using Marketplace.Grains.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Carbon;

/// <summary>CO2e avoided by reuse: the region's public totals, a firm's own, the factor file, and estimates before a sale.</summary>
public static class CarbonApi
{
    /// <summary>A firm's members (any token acting for it, no scope needed) and platform admins; another firm gets 403.</summary>
    public static AccessRule FirmMembers { get; } = new(null, true, 401, 403, AccessRule.Success, AccessRule.Success);

    /// <summary>Maps <c>/api/v1/carbon</c>.</summary>
    public static IEndpointRouteBuilder MapCarbonApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/carbon").WithTags("Carbon").WithCommonProblems();

        group.MapGet("/region", RegionAsync).WithName("GetRegionCarbon").WithAccess(AccessRule.Public)
            .WithSummary("The region's totals of completed orders: tonnes reused and kgCO2e avoided, by category, municipality and month. Public.");
        group.MapGet("/traders/{id}", TraderAsync).WithName("GetTraderCarbon").WithAccess(FirmMembers)
            .WithSummary("A firm's totals (its sales and purchases) by month and category, and by municipality: the firm's members and platform admins.");
        group.MapGet("/factors", Factors).WithName("GetCarbonFactors").WithAccess(AccessRule.Public)
            .WithSummary("The emission-factor file in use: its version and every row with its source, year and licence.");
        // Bound at run time, not by the request delegate generator: for a record of nullable strings bound with
        // [AsParameters] it writes typeof(string?), which does not compile (CS8639). RDG002 says it skipped this one.
#pragma warning disable RDG002
        Delegate estimate = Estimate;
        group.MapGet("/estimate", estimate).WithName("EstimateCarbon").WithAccess(AccessRule.Public)
            .WithSummary("kgCO2e that reusing a quantity of a material avoids, per unit and in total, before transport (which depends on the buyer's distance). Public.");
#pragma warning restore RDG002
        return routes;
    }

    private static async Task<Ok<CarbonTotalsResponse>> RegionAsync(IGrainFactory grains)
        => TypedResults.Ok(CarbonTotalsResponse.From(CarbonLedgers.Region, await grains.GetGrain<ICarbonLedgerGrain>(CarbonLedgers.Region).GetTotalsAsync()));

    private static async Task<Ok<CarbonTotalsResponse>> TraderAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        // Members first: whether a firm exists is public, but its totals are not.
        if (user.TraderId() != id && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("firm-members-only", "Only the firm's members and platform admins see its carbon totals; the region's are public.");
        }

        _ = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        return TypedResults.Ok(CarbonTotalsResponse.From(id, await grains.GetGrain<ICarbonLedgerGrain>(id).GetTotalsAsync()));
    }

    private static Ok<CarbonFactorsResponse> Factors(EmissionFactors factors) => TypedResults.Ok(CarbonFactorsResponse.From(factors));

    private static Ok<CarbonEstimateResponse> Estimate([AsParameters] CarbonEstimateParameters parameters, ICarbonCalculator calculator, MaterialTaxonomy taxonomy)
        => TypedResults.Ok(CarbonEstimates.Estimate(parameters, calculator, taxonomy));
}
