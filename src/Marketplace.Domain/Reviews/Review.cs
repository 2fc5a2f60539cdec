using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Reviews;

/// <summary>One firm's rating of the other party of a completed order.</summary>
/// <param name="Id">Review id: the reviewed firm's id and a hash of the order and the author (<see cref="TraderReviews.IdFor"/>).</param>
/// <param name="OrderId">The completed order.</param>
/// <param name="AuthorId">The firm that wrote it.</param>
/// <param name="SubjectId">The firm it rates (the order's other party).</param>
/// <param name="AuthorRole">The author's side of the order: <c>buyer</c> or <c>seller</c>.</param>
/// <param name="Rating">1 (worst) to 5 (best).</param>
/// <param name="Text">A short text, trimmed.</param>
/// <param name="WrittenBy">The token subject (person or API client) that wrote it; never shown publicly.</param>
/// <param name="CreatedAt">When it was written.</param>
/// <param name="Hidden">Set while a platform admin keeps it out of the list and the average (why, who, when).</param>
public sealed record Review(string Id, string OrderId, string AuthorId, string SubjectId, string AuthorRole, int Rating, string Text,
    string WrittenBy, DateTimeOffset CreatedAt, Moderation? Hidden = null);

/// <summary>What the reviews need to know of an order: its parties and whether it is completed.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="BuyerId">The buying firm.</param>
/// <param name="SellerId">The selling firm.</param>
/// <param name="Completed">True once the order is completed (not cancelled, disputed or refunded).</param>
public sealed record ReviewedOrder(string OrderId, string BuyerId, string SellerId, bool Completed);

/// <summary>A review written, and whether this call wrote it (false: the same review was written before, a retry).</summary>
public sealed record ReviewWritten(Review Review, bool Created);

/// <summary>A firm's reviews received: how many and their average rating (null without reviews).</summary>
public sealed record ReviewSummary(int Count, decimal? Average)
{
    /// <summary>No reviews.</summary>
    public static ReviewSummary None { get; } = new(0, null);
}

/// <summary>A page of a firm's reviews, newest first, with the summary of all of them.</summary>
public sealed record ReviewPage(IReadOnlyList<Review> Items, int Total, decimal? Average, int? Next);

/// <summary>
/// The reviews a firm received. Each side of a completed order rates the other once: a review is keyed by order and
/// author, so a repeated request with the same rating and text answers the first review, and another one is refused.
/// </summary>
public sealed class TraderReviews
{
    /// <summary>Longest review text, after trimming.</summary>
    public const int MaxTextLength = 500;

    [JsonInclude]
    private List<Review> _reviews = [];

    /// <summary>Sum of the ratings of the reviews shown (not hidden), kept so the average needs no pass over the reviews.</summary>
    [JsonInclude]
    private long _ratingSum;

    /// <summary>How many reviews a platform admin has hidden.</summary>
    [JsonInclude]
    private int _hiddenCount;

    /// <summary>The reviews, oldest first, hidden ones included.</summary>
    [JsonIgnore]
    public IReadOnlyList<Review> Reviews => _reviews;

    /// <summary>Count and average rating of the reviews shown (hidden ones leave both).</summary>
    [JsonIgnore]
    public ReviewSummary Summary => _reviews.Count - _hiddenCount is var shown && shown == 0
        ? ReviewSummary.None
        : new ReviewSummary(shown, Math.Round((decimal)_ratingSum / shown, 2, MidpointRounding.AwayFromZero));

    /// <summary>
    /// A platform admin hides a review with a reason: it leaves the firm's list and its average. Hiding a hidden review
    /// again keeps the first hiding. 404 <c>review-not-found</c>; 422 for the reason.
    /// </summary>
    public Review Hide(string reviewId, string? reason, string adminId, DateTimeOffset now)
    {
        var moderation = Moderation.Create(reason, adminId, now);
        var (review, index) = Locate(reviewId);
        if (review.Hidden is not null)
        {
            return review;
        }

        _reviews[index] = review with { Hidden = moderation };
        _ratingSum -= review.Rating;
        _hiddenCount++;
        return _reviews[index];
    }

    /// <summary>A platform admin shows a hidden review again; it counts in the average again. 404 <c>review-not-found</c>.</summary>
    public Review Unhide(string reviewId)
    {
        var (review, index) = Locate(reviewId);
        if (review.Hidden is null)
        {
            return review;
        }

        _reviews[index] = review with { Hidden = null };
        _ratingSum += review.Rating;
        _hiddenCount--;
        return _reviews[index];
    }

    private (Review Review, int Index) Locate(string reviewId)
    {
        var index = _reviews.FindIndex(r => r.Id == reviewId);
        return index < 0 ? throw DomainException.NotFound("review", reviewId) : (_reviews[index], index);
    }

    /// <summary>
    /// The review id for an order and its author: one review per order and side. It starts with the reviewed firm's id
    /// (<see cref="SubjectOf"/>), so the review can be found from its id alone.
    /// </summary>
    public static string IdFor(string subjectId, string orderId, string authorId)
        => $"{subjectId}.{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{orderId}\n{authorId}")))[..20]}";

    /// <summary>The reviewed firm's id in a review id, or null when the text is not a review id.</summary>
    public static string? SubjectOf(string reviewId)
    {
        var dot = reviewId.LastIndexOf('.');
        return dot > 0 && reviewId.Length - dot - 1 == 20 ? reviewId[..dot] : null;
    }

    /// <summary>
    /// Validates a review of <paramref name="subjectId"/> (this firm) by <paramref name="authorId"/> on an order and
    /// records it. 403 <c>not-order-party</c> unless the author and this firm are the order's two parties (an unknown
    /// order is <paramref name="order"/> null and answers the same, so order ids cannot be probed); 409
    /// <c>order-not-completed</c>; 409 <c>review-exists</c> when the author already rated this order differently (the same
    /// rating and text answer the first review); 422 for the rating (1–5) and the text (1–500 characters once trimmed).
    /// </summary>
    public ReviewWritten Write(string subjectId, ReviewedOrder? order, string authorId, string writtenBy, int? rating, string? text, DateTimeOffset now)
    {
        var v = new Validation();
        v.Require(rating is >= 1 and <= 5, "rating", "The rating is a whole number from 1 to 5.");
        v.Text(text?.Trim(), "text", MaxTextLength);
        v.ThrowIfInvalid();

        var isBuyer = order is not null && order.BuyerId == authorId && order.SellerId == subjectId;
        var isSeller = order is not null && order.SellerId == authorId && order.BuyerId == subjectId;
        if (!isBuyer && !isSeller)
        {
            throw DomainException.Forbidden("not-order-party",
                "Only the other party of an order with this firm reviews it: name an order between your firm and this one.");
        }

        if (!order!.Completed)
        {
            throw DomainException.Conflict("order-not-completed", "An order is reviewed once it is completed.",
                new Dictionary<string, object?> { ["orderId"] = order.OrderId });
        }

        var review = new Review(IdFor(subjectId, order.OrderId, authorId), order.OrderId, authorId, subjectId, isBuyer ? "buyer" : "seller",
            rating!.Value, text!.Trim(), writtenBy, now);
        if (_reviews.FirstOrDefault(r => r.Id == review.Id) is { } existing)
        {
            return existing.Rating == review.Rating && existing.Text == review.Text && existing.AuthorId == review.AuthorId
                ? new ReviewWritten(existing, Created: false)
                : throw DomainException.Conflict("review-exists", "Your firm has already reviewed this order; a review is written once.",
                    new Dictionary<string, object?> { ["reviewId"] = existing.Id });
        }

        _reviews.Add(review);
        _ratingSum += review.Rating;
        return new ReviewWritten(review, Created: true);
    }

    /// <summary>A review by id, or null.</summary>
    public Review? Find(string reviewId) => _reviews.FirstOrDefault(r => r.Id == reviewId);

    /// <summary>A page of the reviews shown (not hidden), newest first, from position <paramref name="start"/> among them.</summary>
    public ReviewPage Page(int start, int size)
    {
        var shown = Enumerable.Range(0, _reviews.Count).Reverse().Select(i => _reviews[i]).Where(r => r.Hidden is null);
        var items = shown.Skip(start).Take(size).ToArray();
        var summary = Summary;
        return new ReviewPage(items, summary.Count, summary.Average, start + items.Length < summary.Count ? start + items.Length : null);
    }
}
