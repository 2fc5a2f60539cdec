using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Reviews;
using Marketplace.Grains.Reviews;
using Marketplace.Grains.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Reviews;

/// <summary>
/// Reviews: after an order is completed each side rates the other once; anyone reads a firm's reviews; any signed-in
/// firm reports a review to the platform's admins, who list the reports.
/// </summary>
public static class ReviewsApi
{
    /// <summary>Maps <c>/api/v1/traders/{id}/reviews</c>, <c>/api/v1/reviews/{id}/reports</c> and <c>/api/v1/admin/review-reports</c>.</summary>
    public static IEndpointRouteBuilder MapReviewsApi(this IEndpointRouteBuilder routes)
    {
        var traders = routes.MapGroup("/api/v1/traders/{id}/reviews").WithTags("Reviews").WithCommonProblems();
        traders.MapGet("/", ListAsync).WithName("ListTraderReviews").WithAccess(AccessRule.Public)
            .WithSummary("The reviews a firm received, newest first, with their count and average rating; paged by cursor.");
        traders.MapPost("/", WriteAsync).WithName("WriteReview")
            .WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 403, platformAdmin: 403))
            .WithSummary("The other party of a completed order with this firm rates it once (1–5 and a short text), naming the order. 403 not-order-party, 409 order-not-completed or review-exists. Honours Idempotency-Key.");

        routes.MapGroup("/api/v1/reviews").WithTags("Reviews").WithCommonProblems()
            .MapPost("/{id}/reports", ReportAsync).WithName("ReportReview").WithAccess(AccessRule.SignedIn)
            .WithSummary("Any signed-in firm reports a review to the platform's admins, with a reason; once per firm and review. Honours Idempotency-Key.");

        routes.MapGroup("/api/v1/admin").WithTags("Reviews").WithCommonProblems()
            .MapGet("/review-reports", ReportsAsync).WithName("ListReviewReports").WithAccess(AccessRule.PlatformAdminOnly(ApiScopes.Admin))
            .WithSummary("Reported reviews, newest first, for the platform's admins; paged by cursor.");
        return routes;
    }

    private static async Task<Ok<ReviewListResponse>> ListAsync(string id, IGrainFactory grains, string? cursor = null, int? limit = null)
    {
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.ThrowIfInvalid();
        _ = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);

        var page = await grains.GetGrain<ITraderReviewsGrain>(id).ListAsync(start, size);
        return TypedResults.Ok(new ReviewListResponse(page.Items.Select(ReviewResponse.From).ToArray(), page.Total, page.Average,
            page.Next is { } next ? PageCursor.Encode(next) : null));
    }

    private static async Task<Created<ReviewResponse>> WriteAsync(string id, WriteReviewRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var author = user.ActingTraderId();
        if (string.IsNullOrWhiteSpace(request.OrderId))
        {
            throw DomainException.Invalid("orderId", "Name the completed order the review is about.");
        }

        _ = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);

        // Keyed by order and author: a retry (same rating and text) is answered with the first review, at the same place.
        var written = await grains.GetGrain<ITraderReviewsGrain>(id).WriteAsync(request.OrderId.Trim(), author, user.Subject(), request.Rating, request.Text);
        return TypedResults.Created($"/api/v1/traders/{id}/reviews", ReviewResponse.From(written.Review));
    }

    private static async Task<Created<ReviewReportResponse>> ReportAsync(string id, ReportReviewRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var reporter = user.ActingTraderId();
        var review = TraderReviews.SubjectOf(id) is { } subject ? await grains.GetGrain<ITraderReviewsGrain>(subject).GetAsync(id) : null;
        // A hidden review is out of every list already, and its text and the admins' reason are theirs alone: for
        // anyone else it is not found (the answer would otherwise carry both).
        if (review is null || (review.Hidden is not null && !user.IsPlatformAdmin()))
        {
            throw DomainException.NotFound("review", id);
        }

        var report = await grains.GetGrain<IReviewReportsGrain>(IReviewReportsGrain.Key).ReportAsync(review, reporter, user.Subject(), request.Reason);
        return TypedResults.Created("/api/v1/admin/review-reports", ReviewReportResponse.From(report));
    }

    private static async Task<Ok<ReviewReportListResponse>> ReportsAsync(ClaimsPrincipal user, IGrainFactory grains, string? cursor = null, int? limit = null)
    {
        if (!user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("platform-admin-only", "Only the platform's admins read reported reviews.");
        }

        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.ThrowIfInvalid();
        var page = await grains.GetGrain<IReviewReportsGrain>(IReviewReportsGrain.Key).ListAsync(start, size);
        return TypedResults.Ok(new ReviewReportListResponse(page.Items.Select(ReviewReportResponse.From).ToArray(), page.Total,
            page.Next is { } next ? PageCursor.Encode(next) : null));
    }
}
