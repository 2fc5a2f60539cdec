using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Reviews;

/// <summary>A review reported to the platform's admins, with the review as it was when reported.</summary>
/// <param name="Id">Report id.</param>
/// <param name="Review">The reported review.</param>
/// <param name="ReporterId">The firm that reported it.</param>
/// <param name="ReportedBy">The token subject (person or API client) that reported it.</param>
/// <param name="Reason">Why, trimmed.</param>
/// <param name="ReportedAt">When.</param>
public sealed record ReviewReport(string Id, Review Review, string ReporterId, string ReportedBy, string Reason, DateTimeOffset ReportedAt);

/// <summary>A page of reports, newest first.</summary>
public sealed record ReviewReportPage(IReadOnlyList<ReviewReport> Items, int Total, int? Next);

/// <summary>
/// Reviews reported to the platform's admins. A firm reports a review once: the same reason again answers the first
/// report (a retry), another reason is refused.
/// </summary>
public sealed class ReviewReports
{
    /// <summary>Longest reason, after trimming.</summary>
    public const int MaxReasonLength = 1000;

    [JsonInclude]
    private List<ReviewReport> _reports = [];

    /// <summary>The reports, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<ReviewReport> Reports => _reports;

    /// <summary>
    /// Records a report of <paramref name="review"/> by <paramref name="reporterId"/>. 422 for a missing or over-long
    /// reason; 409 <c>review-already-reported</c> when the firm reported it before with another reason.
    /// </summary>
    public ReviewReport Report(Review review, string reporterId, string reportedBy, string? reason, DateTimeOffset now)
    {
        var v = new Validation();
        v.Text(reason?.Trim(), "reason", MaxReasonLength);
        v.ThrowIfInvalid();

        var id = $"{review.Id}.{reporterId}";
        if (_reports.FirstOrDefault(r => r.Id == id) is { } existing)
        {
            return existing.Reason == reason!.Trim()
                ? existing
                : throw DomainException.Conflict("review-already-reported", "Your firm has already reported this review.",
                    new Dictionary<string, object?> { ["reportId"] = existing.Id });
        }

        var report = new ReviewReport(id, review, reporterId, reportedBy, reason!.Trim(), now);
        _reports.Add(report);
        return report;
    }

    /// <summary>A page of reports, newest first, from position <paramref name="start"/>.</summary>
    public ReviewReportPage Page(int start, int size)
    {
        var items = Enumerable.Range(0, _reports.Count).Reverse().Skip(start).Take(size).Select(i => _reports[i]).ToArray();
        return new ReviewReportPage(items, _reports.Count, start + items.Length < _reports.Count ? start + items.Length : null);
    }
}
