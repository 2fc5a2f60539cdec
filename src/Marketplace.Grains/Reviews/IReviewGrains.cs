using Marketplace.Domain.Reviews;

namespace Marketplace.Grains.Reviews;

/// <summary>The reviews a firm received (keyed by the firm's id): written by the other party of a completed order.</summary>
public interface ITraderReviewsGrain : IGrainWithStringKey
{
    /// <summary>
    /// The author rates this firm on an order: the order is read from its grain (its parties and whether it is
    /// completed) and the domain decides (<see cref="TraderReviews.Write"/>). A retry answers the first review.
    /// </summary>
    Task<ReviewWritten> WriteAsync(string orderId, string authorId, string writtenBy, int? rating, string? text);

    /// <summary>A page of the firm's reviews, newest first, with the count and average of all.</summary>
    Task<ReviewPage> ListAsync(int start, int size);

    /// <summary>Count and average rating.</summary>
    Task<ReviewSummary> SummaryAsync();

    /// <summary>One review, or null.</summary>
    Task<Review?> GetAsync(string reviewId);

    /// <summary>A platform admin hides a review with a reason (it leaves the list and the average); its author firm gets a notice.</summary>
    Task<Review> HideAsync(string reviewId, string adminId, string? reason);

    /// <summary>A platform admin shows a hidden review again.</summary>
    Task<Review> UnhideAsync(string reviewId);
}

/// <summary>Reviews reported to the platform's admins (one grain, <see cref="Key"/>).</summary>
public interface IReviewReportsGrain : IGrainWithStringKey
{
    /// <summary>The one key.</summary>
    public const string Key = "all";

    /// <summary>Records a firm's report of a review; a retry answers the first report.</summary>
    Task<ReviewReport> ReportAsync(Review review, string reporterId, string reportedBy, string? reason);

    /// <summary>A page of reports, newest first.</summary>
    Task<ReviewReportPage> ListAsync(int start, int size);
}
