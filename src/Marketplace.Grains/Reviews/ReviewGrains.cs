using Marketplace.Domain.Reviews;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Reviews;

/// <summary>Loads a firm's reviews, reads the reviewed order, lets the domain decide and persists before answering.</summary>
public sealed class TraderReviewsGrain(
    [PersistentState("reviews", StorageOptions.StoreName)] IPersistentState<TraderReviews> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time) : Grain, ITraderReviewsGrain
{
    /// <inheritdoc />
    public async Task<ReviewWritten> WriteAsync(string orderId, string authorId, string writtenBy, int? rating, string? text)
    {
        var order = await ReviewedOrders.ReadAsync(GrainFactory, orderId, authorId, writtenBy);
        var written = state.State.Write(this.GetPrimaryKeyString(), order, authorId, writtenBy, rating, text, time.GetUtcNow());
        if (written.Created)
        {
            await state.WriteOrReloadAsync();
        }

        return written;
    }

    /// <inheritdoc />
    public Task<ReviewPage> ListAsync(int start, int size) => Task.FromResult(state.State.Page(start, size));

    /// <inheritdoc />
    public Task<ReviewSummary> SummaryAsync() => Task.FromResult(state.State.Summary);

    /// <inheritdoc />
    public Task<Review?> GetAsync(string reviewId) => Task.FromResult(state.State.Find(reviewId));

    /// <inheritdoc />
    public async Task<Review> HideAsync(string reviewId, string adminId, string? reason)
    {
        var before = state.State.Find(reviewId)?.Hidden;
        var review = state.State.Hide(reviewId, reason, adminId, time.GetUtcNow());
        if (before is null)
        {
            await state.WriteOrReloadAsync();
            // Stored first: the author is told after, and a failure to tell leaves the decision standing.
            await GrainFactory.GetGrain<ITraderGrain>(review.AuthorId)
                .NotifyAsync(new TraderNotice($"review-hidden:{review.Id}:{review.Hidden!.At.ToUnixTimeMilliseconds()}", "review-hidden", review.Id, review.Hidden.Reason, review.Hidden.At));
        }

        return review;
    }

    /// <inheritdoc />
    public async Task<Review> UnhideAsync(string reviewId)
    {
        var before = state.State.Find(reviewId)?.Hidden;
        var review = state.State.Unhide(reviewId);
        if (before is not null)
        {
            await state.WriteOrReloadAsync();
        }

        return review;
    }
}

/// <summary>Keeps the reports of reviews for the platform's admins.</summary>
public sealed class ReviewReportsGrain(
    [PersistentState("review-reports", StorageOptions.StoreName)] IPersistentState<ReviewReports> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time) : Grain, IReviewReportsGrain
{
    /// <inheritdoc />
    public async Task<ReviewReport> ReportAsync(Review review, string reporterId, string reportedBy, string? reason)
    {
        var count = state.State.Reports.Count;
        var report = state.State.Report(review, reporterId, reportedBy, reason, time.GetUtcNow());
        if (state.State.Reports.Count != count)
        {
            await state.WriteOrReloadAsync();
        }

        return report;
    }

    /// <inheritdoc />
    public Task<ReviewReportPage> ListAsync(int start, int size) => Task.FromResult(state.State.Page(start, size));
}
