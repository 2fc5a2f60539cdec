using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Problems;
using Marketplace.Host.Identity;
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
        var group = routes.MapGroup("/api/v1/listings/{id}/holds").WithTags("Holds").AddEndpointFilter(ProblemHandling.MapExceptions).RequireAuthorization();

        group.MapPost("/", PlaceAsync).WithName("PlaceHold")
            .WithSummary("A buyer holds part of an active lot until a time (default 7 days, at most 30). 409 with the available quantity when there is not enough. Honours Idempotency-Key.");
        group.MapDelete("/{holdId}", ReleaseAsync).WithName("ReleaseHold")
            .WithSummary("The holding buyer or the seller releases a hold.");
        group.MapPost("/{holdId}/confirm", ConfirmAsync).WithName("ConfirmHold")
            .WithSummary("The seller confirms a hold: its quantity becomes sold.");
        return routes;
    }

    private static async Task<Created<HoldResponse>> PlaceAsync(string id, PlaceHoldRequest request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
    {
        var buyer = user.ActingTraderId();
        await grains.GetGrain<ITraderGrain>(buyer).EnsureRoleAsync(TraderRoles.Buyer);
        var holdId = ListingsApi.NewId();
        var until = request.Until ?? time.GetUtcNow() + DefaultHoldDuration;
        var listing = await grains.GetGrain<IListingGrain>(id).PlaceHoldAsync(buyer, holdId, request.Quantity ?? 0, until);
        var hold = listing.Holds.Single(h => h.Id == holdId);
        return TypedResults.Created($"/api/v1/listings/{id}/holds/{holdId}", Response(listing, hold));
    }

    private static async Task<Ok<HoldResponse>> ReleaseAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var listing = await grains.GetGrain<IListingGrain>(id).ReleaseHoldAsync(user.ActingTraderId(), holdId);
        return TypedResults.Ok(Response(listing, listing.Holds.Single(h => h.Id == holdId)));
    }

    private static async Task<Ok<HoldResponse>> ConfirmAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var listing = await grains.GetGrain<IListingGrain>(id).ConfirmHoldAsync(user.ActingTraderId(), holdId);
        return TypedResults.Ok(Response(listing, listing.Holds.Single(h => h.Id == holdId)));
    }

    private static HoldResponse Response(Domain.Listings.Listing listing, Domain.Listings.Hold hold)
        => new(listing.Id, HoldDto.From(hold), new QuantitiesDto(listing.ListedQuantity, listing.Available, listing.Held, listing.Sold));
}
