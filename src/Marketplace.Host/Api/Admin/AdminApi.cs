using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Reviews;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Reviews;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Reviews;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Admin;

/// <summary>
/// What the platform's admins do to keep the marketplace trustworthy: verify a firm (a public badge), hide a lot or a
/// review with a reason (the owner is told), and the notices a firm reads about it.
/// </summary>
public static class AdminApi
{
    /// <summary>Maps the admin routes under <c>/api/v1/traders</c>, <c>/api/v1/listings</c>, <c>/api/v1/reviews</c>, and a firm's notices.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var admin = AccessRule.PlatformAdminOnly(ApiScopes.Admin);
        var traders = routes.MapGroup("/api/v1/traders/{id}").WithTags("Admin").WithCommonProblems();
        traders.MapPost("/verification", VerifyAsync).WithName("VerifyTrader").WithAccess(admin)
            .WithSummary("A platform admin marks a firm as verified: its public profile shows verified and since when.");
        traders.MapDelete("/verification", UnverifyAsync).WithName("UnverifyTrader").WithAccess(admin)
            .WithSummary("A platform admin takes a firm's verification back.");
        traders.MapGet("/notices", NoticesAsync).WithName("ListTraderNotices").WithAccess(CarbonApi.FirmMembers)
            .WithSummary("What the platform told the firm (its lots or reviews hidden or restored, and why), newest first: the firm's members and platform admins.");

        var listings = routes.MapGroup("/api/v1/listings/{id}").WithTags("Admin").WithCommonProblems();
        listings.MapPost("/hide", HideListingAsync).WithName("HideListing").WithAccess(admin)
            .WithSummary("A platform admin hides a lot with a reason: it leaves search, public reads and matching; the seller sees the reason on the lot and gets a notice.");
        listings.MapPost("/unhide", UnhideListingAsync).WithName("UnhideListing").WithAccess(admin)
            .WithSummary("A platform admin puts a hidden lot back; the seller gets a notice.");

        var reviews = routes.MapGroup("/api/v1/reviews/{id}").WithTags("Admin").WithCommonProblems();
        reviews.MapPost("/hide", HideReviewAsync).WithName("HideReview").WithAccess(admin)
            .WithSummary("A platform admin hides a review with a reason: it leaves the firm's reviews and their average; its author gets a notice.");
        reviews.MapPost("/unhide", UnhideReviewAsync).WithName("UnhideReview").WithAccess(admin)
            .WithSummary("A platform admin shows a hidden review again.");
        return routes;
    }

    private static async Task<Ok<TraderResponse>> VerifyAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        var grain = grains.GetGrain<ITraderGrain>(id);
        _ = await grain.GetAsync() ?? throw DomainException.NotFound("trader", id);
        return TypedResults.Ok(TraderResponse.From(await grain.VerifyAsync(user.Subject()), id));
    }

    private static async Task<Ok<TraderResponse>> UnverifyAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        var grain = grains.GetGrain<ITraderGrain>(id);
        _ = await grain.GetAsync() ?? throw DomainException.NotFound("trader", id);
        return TypedResults.Ok(TraderResponse.From(await grain.UnverifyAsync(), id));
    }

    private static async Task<Ok<NoticeListResponse>> NoticesAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        // Members first: whether a firm exists is public, what it was told is not.
        if (user.TraderId() != id && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("firm-members-only", "Only the firm's members and platform admins read its notices.");
        }

        var trader = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        return TypedResults.Ok(new NoticeListResponse(trader.Notices.Select(NoticeResponse.From).ToArray()));
    }

    private static async Task<Ok<ListingResponse>> HideListingAsync(string id, ModerationRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        return TypedResults.Ok(ListingResponse.From(await grains.GetGrain<IListingGrain>(id).HideAsync(user.Subject(), request.Reason), user.TraderId()));
    }

    private static async Task<Ok<ListingResponse>> UnhideListingAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        return TypedResults.Ok(ListingResponse.From(await grains.GetGrain<IListingGrain>(id).UnhideAsync(user.Subject()), user.TraderId()));
    }

    private static async Task<Ok<ReviewResponse>> HideReviewAsync(string id, ModerationRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        return TypedResults.Ok(ReviewResponse.From(await ReviewsOf(id, grains).HideAsync(id, user.Subject(), request.Reason)));
    }

    private static async Task<Ok<ReviewResponse>> UnhideReviewAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        EnsurePlatformAdmin(user);
        return TypedResults.Ok(ReviewResponse.From(await ReviewsOf(id, grains).UnhideAsync(id)));
    }

    /// <summary>The grain of the firm a review id names; 404 <c>review-not-found</c> when the text is not a review id.</summary>
    private static ITraderReviewsGrain ReviewsOf(string reviewId, IGrainFactory grains)
        => TraderReviews.SubjectOf(reviewId) is { } subject
            ? grains.GetGrain<ITraderReviewsGrain>(subject)
            : throw DomainException.NotFound("review", reviewId);

    /// <summary>The admin scope is only granted to platform admins; checked again here, as the other admin endpoints do.</summary>
    private static void EnsurePlatformAdmin(ClaimsPrincipal user)
    {
        if (!user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("platform-admin-only", "Only the platform's admins do this.");
        }
    }
}
