namespace Marketplace.Host.Web.Pages.Admin;

/// <summary>The admin's forms: a firm to verify, a lot or review to hide and why.</summary>
public sealed class ModerationForm
{
    /// <summary>The firm, lot or review id.</summary>
    public string? Id { get; set; }

    /// <summary>Why (shown to the owner).</summary>
    public string? Reason { get; set; }
}

/// <summary>A reported review, as the admins' queue shows it.</summary>
public sealed record ReportDoc(string Id, ReportedReviewDoc Review, string ReporterId, string Reason, DateTimeOffset ReportedAt);

/// <summary>The review a report is about.</summary>
public sealed record ReportedReviewDoc(string Id, string TraderId, int Rating, string Text);

/// <summary>A page of reports.</summary>
public sealed record ReportsDoc(IReadOnlyList<ReportDoc> Items);
