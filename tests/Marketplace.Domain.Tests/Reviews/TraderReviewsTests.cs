using Marketplace.Domain.Common;
using Marketplace.Domain.Reviews;

namespace Marketplace.Domain.Tests.Reviews;

public class TraderReviewsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;
    private static readonly ReviewedOrder Completed = new("o1", BuyerId: "buyer", SellerId: "seller", Completed: true);

    [Fact]
    public void Write_BuyerRatesSeller_CountsAndAverages_TextTrimmed()
    {
        var seller = new TraderReviews();
        var first = seller.Write("seller", Completed, "buyer", "person-1", 5, "  Clean bricks, on time. ", Now);
        seller.Write("seller", Completed with { OrderId = "o2" }, "buyer", "person-1", 4, "Fine.", Now);

        Assert.True(first.Created);
        Assert.Equal("Clean bricks, on time.", first.Review.Text);
        Assert.Equal("buyer", first.Review.AuthorRole);
        Assert.Equal(new ReviewSummary(2, 4.5m), seller.Summary);
        Assert.Equal(["o2", "o1"], seller.Page(0, 10).Items.Select(r => r.OrderId));
    }

    [Fact]
    public void Write_SameReviewAgain_AnswersTheFirst_AnotherIs409()
    {
        var seller = new TraderReviews();
        var first = seller.Write("seller", Completed, "buyer", "person-1", 5, "Good", Now);
        var again = seller.Write("seller", Completed, "buyer", "person-2", 5, "Good ", Now.AddMinutes(1));

        Assert.False(again.Created);
        Assert.Equal(first.Review, again.Review);
        var e = Assert.Throws<DomainException>(() => seller.Write("seller", Completed, "buyer", "person-1", 1, "Changed my mind", Now));
        Assert.Equal("review-exists", e.Code);
        Assert.Equal(new ReviewSummary(1, 5m), seller.Summary);
    }

    [Fact]
    public void Write_EachSideRatesTheOther_OnTheSameOrder()
    {
        var seller = new TraderReviews();
        var buyer = new TraderReviews();
        var ofSeller = seller.Write("seller", Completed, "buyer", "p", 4, "Good lot", Now).Review;
        var ofBuyer = buyer.Write("buyer", Completed, "seller", "p", 2, "Came late", Now).Review;

        Assert.NotEqual(ofSeller.Id, ofBuyer.Id);
        Assert.Equal("seller", TraderReviews.SubjectOf(ofSeller.Id));
        Assert.Equal("buyer", TraderReviews.SubjectOf(ofBuyer.Id));
        Assert.Null(TraderReviews.SubjectOf("no-review"));
        Assert.Equal("seller", ofBuyer.AuthorRole);
    }

    [Theory]
    [InlineData("stranger", "seller")] // not a party
    [InlineData("buyer", "stranger")] // this firm is not the other party
    [InlineData("buyer", "buyer")] // rating oneself
    public void Write_NotTheTwoParties_Is403(string author, string subject)
    {
        var e = Assert.Throws<DomainException>(() => new TraderReviews().Write(subject, Completed, author, "p", 5, "x", Now));
        Assert.Equal("not-order-party", e.Code);
        Assert.Equal(DomainErrorKind.Forbidden, e.Kind);
    }

    [Fact]
    public void Write_UnknownOrder_Is403LikeAnotherFirmsOrder()
        => Assert.Equal("not-order-party", Assert.Throws<DomainException>(() => new TraderReviews().Write("seller", null, "buyer", "p", 5, "x", Now)).Code);

    [Fact]
    public void Write_OrderNotCompleted_Is409()
    {
        var e = Assert.Throws<DomainException>(() => new TraderReviews().Write("seller", Completed with { Completed = false }, "buyer", "p", 5, "x", Now));
        Assert.Equal("order-not-completed", e.Code);
    }

    [Theory]
    [InlineData(0, "ok", "rating")]
    [InlineData(6, "ok", "rating")]
    [InlineData(null, "ok", "rating")]
    [InlineData(3, "   ", "text")]
    [InlineData(3, null, "text")]
    public void Write_BadRatingOrText_Is422(int? rating, string? text, string field)
    {
        var e = Assert.Throws<DomainException>(() => new TraderReviews().Write("seller", Completed, "buyer", "p", rating, text, Now));
        Assert.Equal([field], e.Errors.Keys);
    }

    [Fact]
    public void Write_TextOverLimit_Is422_AtLimitAfterTrimmingIsFine()
    {
        var reviews = new TraderReviews();
        Assert.Throws<DomainException>(() => reviews.Write("seller", Completed, "buyer", "p", 3, new string('a', TraderReviews.MaxTextLength + 1), Now));
        Assert.True(reviews.Write("seller", Completed, "buyer", "p", 3, "  " + new string('a', TraderReviews.MaxTextLength) + "  ", Now).Created);
    }

    [Fact]
    public void Page_NewestFirst_WithNextPosition()
    {
        var reviews = new TraderReviews();
        for (var i = 0; i < 5; i++)
        {
            reviews.Write("seller", Completed with { OrderId = $"o{i}" }, "buyer", "p", 1 + i, "t", Now.AddMinutes(i));
        }

        var first = reviews.Page(0, 2);
        Assert.Equal(["o4", "o3"], first.Items.Select(r => r.OrderId));
        Assert.Equal(2, first.Next);
        Assert.Equal(3m, first.Average);
        var last = reviews.Page(4, 2);
        Assert.Equal(["o0"], last.Items.Select(r => r.OrderId));
        Assert.Null(last.Next);
    }

    [Fact]
    public void Report_OncePerFirm_SameReasonAgainIsTheSameReport_ReasonRequired()
    {
        var review = new TraderReviews().Write("seller", Completed, "buyer", "p", 1, "Rude words", Now).Review;
        var reports = new ReviewReports();

        var first = reports.Report(review, "seller", "p2", " Insulting ", Now);
        Assert.Equal("Insulting", first.Reason);
        Assert.Equal(first, reports.Report(review, "seller", "p3", "Insulting", Now.AddMinutes(1)));
        Assert.Equal("review-already-reported", Assert.Throws<DomainException>(() => reports.Report(review, "seller", "p2", "Other", Now)).Code);
        Assert.Equal(["reason"], Assert.Throws<DomainException>(() => reports.Report(review, "other", "p2", " ", Now)).Errors.Keys);

        reports.Report(review, "someone-else", "p4", "Spam", Now.AddMinutes(2));
        Assert.Equal(["someone-else", "seller"], reports.Page(0, 10).Items.Select(r => r.ReporterId));
    }
}
