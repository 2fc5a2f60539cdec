using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;

namespace Marketplace.Host.Api.Listings;

/// <summary>Holds: a buyer reserves part of a lot until a time; the seller confirms it or either side releases it.</summary>
public static class HoldsApi
{
    /// <summary>How long a hold lasts when the request names no end.</summary>
    public static readonly TimeSpan DefaultHoldDuration = TimeSpan.FromDays(7);

    /// <summary>Maps <c>/api/v1/listings/{id}/holds</c>.</summary>
    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/listings/{id}/holds").WithTags("Holds").WithCommonProblems();

        group.MapPost("/", PlaceAsync).WithName("PlaceHold").WithAccess(AccessRule.AnyFirm(ApiScopes.OrdersWrite))
            .WithSummary("A buyer holds part of an active lot until a time (default 7 days, at most 30). 409 with the available quantity when there is not enough. Honours Idempotency-Key.");
        group.MapDelete("/{holdId}", ReleaseAsync).WithName("ReleaseHold").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The holding buyer or the seller releases a hold.");
        group.MapPost("/{holdId}/confirm", ConfirmAsync).WithName("ConfirmHold").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The seller confirms a hold: its quantity becomes sold.");
        return routes;
    }

    private static async Task<Created<HoldResponse>> PlaceAsync(string id, PlaceHoldRequest request, HttpContext context, IGrainFactory grains, TimeProvider time)
    {
        var buyer = context.User.ActingTraderId();
        await grains.GetGrain<ITraderGrain>(buyer).EnsureRoleAsync(TraderRoles.Buyer);
        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first hold.
        var holdId = IdempotencyMiddleware.NewId(context);
        var until = request.Until ?? time.GetUtcNow() + DefaultHoldDuration;
        var receipt = await grains.GetGrain<IListingGrain>(id).PlaceHoldAsync(buyer, holdId, request.Quantity ?? 0, until);
        return TypedResults.Created($"/api/v1/listings/{id}/holds/{holdId}", Response(receipt));
    }

    private static async Task<Ok<HoldResponse>> ReleaseAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        return TypedResults.Ok(Response(await grains.GetGrain<IListingGrain>(id).ReleaseHoldAsync(user.ActingTraderId(), holdId)));
    }

    private static async Task<Ok<HoldResponse>> ConfirmAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        return TypedResults.Ok(Response(await grains.GetGrain<IListingGrain>(id).ConfirmHoldAsync(user.ActingTraderId(), holdId)));
    }

    private static HoldResponse Response(HoldReceipt r)
        => new(r.ListingId, HoldDto.From(r.Hold), new QuantitiesDto(r.Listed, r.Available, r.Held, r.Sold));
}
