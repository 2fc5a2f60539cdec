using Marketplace.Domain.Reviews;

namespace Marketplace.Host.Api.Reviews;

/// <summary>A review to write: the completed order it is about, a rating of 1–5 and a short text.</summary>
public sealed record WriteReviewRequest(string? OrderId, int? Rating, string? Text);

/// <summary>A report of a review to the platform's admins.</summary>
public sealed record ReportReviewRequest(string? Reason);

/// <summary>A review as anyone sees it (who wrote it as a person is not shown).</summary>
/// <param name="Id">Review id.</param>
/// <param name="TraderId">The reviewed firm.</param>
/// <param name="AuthorId">The firm that wrote it.</param>
/// <param name="AuthorRole">The author's side of the order: buyer or seller.</param>
/// <param name="OrderId">The completed order it is about.</param>
/// <param name="Rating">1 to 5.</param>
/// <param name="Text">The text.</param>
/// <param name="CreatedAt">When it was written.</param>
/// <param name="Hidden">Why and when a platform admin hid it (only admins see hidden reviews).</param>
public sealed record ReviewResponse(string Id, string TraderId, string AuthorId, string AuthorRole, string OrderId, int Rating, string Text, DateTimeOffset CreatedAt,
    Listings.ModerationDto? Hidden = null)
{
    /// <summary>Maps a review.</summary>
    public static ReviewResponse From(Review r) => new(r.Id, r.SubjectId, r.AuthorId, r.AuthorRole, r.OrderId, r.Rating, r.Text, r.CreatedAt,
        Listings.ModerationDto.From(r.Hidden));
}

/// <summary>A page of a firm's reviews received, newest first, with the count and average of all of them.</summary>
public sealed record ReviewListResponse(IReadOnlyList<ReviewResponse> Items, int Count, decimal? Average, string? NextCursor);

/// <summary>A firm's reviews in its public profile: how many and their average rating (null without reviews).</summary>
public sealed record ReviewSummaryResponse(int Count, decimal? Average)
{
    /// <summary>Maps a summary.</summary>
    public static ReviewSummaryResponse From(ReviewSummary s) => new(s.Count, s.Average);
}

/// <summary>A reported review, as the reporter and the platform's admins see it.</summary>
/// <param name="Id">Report id.</param>
/// <param name="Review">The review as it was when reported.</param>
/// <param name="ReporterId">The reporting firm.</param>
/// <param name="ReportedBy">The person or API client that reported it.</param>
/// <param name="Reason">Why.</param>
/// <param name="ReportedAt">When.</param>
public sealed record ReviewReportResponse(string Id, ReviewResponse Review, string ReporterId, string ReportedBy, string Reason, DateTimeOffset ReportedAt)
{
    /// <summary>Maps a report.</summary>
    public static ReviewReportResponse From(ReviewReport r) => new(r.Id, ReviewResponse.From(r.Review), r.ReporterId, r.ReportedBy, r.Reason, r.ReportedAt);
}

/// <summary>A page of reports, newest first.</summary>
public sealed record ReviewReportListResponse(IReadOnlyList<ReviewReportResponse> Items, int Total, string? NextCursor);
