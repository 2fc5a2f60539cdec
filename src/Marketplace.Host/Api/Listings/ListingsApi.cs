using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Listings;
using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Photos;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Security.Claims;

namespace Marketplace.Host.Api.Listings;

/// <summary>Lots of material: create as draft, read, edit, publish, withdraw.</summary>
public static class ListingsApi
{
    /// <summary>Maps <c>/api/v1/listings</c>.</summary>
    public static IEndpointRouteBuilder MapListingsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/listings").WithTags("Listings").WithCommonProblems();

        group.MapPost("/", CreateAsync).WithName("CreateListing").WithAccess(AccessRule.AnyFirm(ApiScopes.ListingsWrite))
            .WithSummary("Creates a draft lot for the caller's firm (a seller). Honours Idempotency-Key.");
        group.MapGet("/{id}", GetAsync).WithName("GetListing").WithAccess(AccessRule.PrivateRead(ApiScopes.ListingsRead))
            .WithSummary("Reads a lot. Active and sold-out lots are public; drafts, withdrawn and expired lots only to their seller (scope listings.read) and platform admins.");
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateListing").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The seller changes a lot; the listed quantity never drops below held + sold.");
        group.MapPost("/{id}/publish", PublishAsync).WithName("PublishListing").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The seller puts a draft on the market.");
        group.MapPost("/{id}/withdraw", WithdrawAsync).WithName("WithdrawListing").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 403, platformAdmin: 403))
            .WithSummary("The seller takes a lot off the market; open holds are released.");
        return routes;
    }

    private static async Task<Created<ListingResponse>> CreateAsync(ListingInput input, HttpContext context, IGrainFactory grains)
    {
        var sellerId = context.User.ActingTraderId();
        // A misspelt or missing price must not publish the lot for nothing: a free lot says so with 0.
        if (input.UnitPrice?.MinorUnits is null)
        {
            throw DomainException.Invalid("unitPrice.minorUnits", "Give the price per unit in minor units (cents), 0 for a lot given away.");
        }

        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first lot.
        var id = IdempotencyMiddleware.NewId(context);
        var listing = await grains.GetGrain<IListingGrain>(id).CreateAsync(sellerId, input.ToDetails());
        return TypedResults.Created($"/api/v1/listings/{id}", ListingResponse.From(listing, sellerId));
    }

    private static async Task<Ok<ListingResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains, ICarbonCalculator carbon, MaterialTaxonomy taxonomy)
    {
        var viewer = user.TraderIdWithScope(ApiScopes.ListingsRead);
        var listing = await grains.GetGrain<IListingGrain>(id).GetAsync();
        if (listing is null || !listing.IsVisibleTo(viewer, user.IsPlatformAdmin()))
        {
            throw DomainException.NotFound("listing", id);
        }

        // The estimate per unit before anyone buys (transport excluded): see docs/carbon.md.
        return TypedResults.Ok(ListingResponse.From(listing, viewer) with { Carbon = CarbonEstimates.ForLot(listing.Details!, carbon, taxonomy) });
    }

    private static async Task<Ok<ListingResponse>> UpdateAsync(string id, ListingInput input, ClaimsPrincipal user, IGrainFactory grains, LotPhotos photos)
    {
        var actor = user.ActingTraderId();
        var grain = grains.GetGrain<IListingGrain>(id);
        // Read first only when needed: an admin's refusal, or the photos a new list may leave out.
        var current = user.IsPlatformAdmin() || input.Photos is not null ? await grain.GetAsync() : null;
        if (user.IsPlatformAdmin() && current is not null)
        {
            RefuseVisibleToAdminOnly(current, actor, user);
        }

        // The grain merges the nested members with the current lot in one turn: no read-modify-write here.
        var listing = await grain.UpdateAsync(actor, input.ToChanges());
        if (input.Photos is not null && current?.Details is { } before)
        {
            // The uploaded photos the new list left out: their files go, as DELETE .../photos/{photoId} does.
            await photos.ForgetDroppedAsync(id, before.Photos, listing.Details!.Photos);
        }

        return TypedResults.Ok(ListingResponse.From(listing, actor));
    }

    private static async Task<Ok<ListingResponse>> PublishAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = user.ActingTraderId();
        if (user.IsPlatformAdmin() && await grains.GetGrain<IListingGrain>(id).GetAsync() is { } current)
        {
            RefuseVisibleToAdminOnly(current, actor, user);
        }

        return TypedResults.Ok(ListingResponse.From(await grains.GetGrain<IListingGrain>(id).PublishAsync(actor), actor));
    }

    private static async Task<Ok<ListingResponse>> WithdrawAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = user.ActingTraderId();
        return TypedResults.Ok(ListingResponse.From(await AbandonedCheckouts.RetryAsync(grains, id, () => grains.GetGrain<IListingGrain>(id).WithdrawAsync(actor)), actor));
    }

    /// <summary>A platform admin sees every lot but changes only its own firm's: say so, rather than pretend the lot is not there.</summary>
    private static void RefuseVisibleToAdminOnly(Listing listing, string actor, ClaimsPrincipal user)
    {
        if (listing.SellerId != actor && user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("seller-only", "Only the seller may do this; platform admins can read the lot but not change it.");
        }
    }
}
