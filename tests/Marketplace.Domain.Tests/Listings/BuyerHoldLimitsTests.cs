using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using static Marketplace.Domain.Tests.Listings.ListingBuilder;

namespace Marketplace.Domain.Tests.Listings;

/// <summary>One buyer holds at most a number of open holds and a share of a lot; others are not affected; a match's hold changes only through it.</summary>
public class BuyerHoldLimitsTests
{
    private static readonly BuyerHoldLimits TwoHoldsHalfTheLot = new(2, 0.5m);

    [Fact]
    public void PlaceHold_BeyondTheBuyersOpenHolds_IsConflictBuyerHoldLimit()
    {
        var lot = Active(100);
        lot.PlaceHold("h1", "buyer", 1, Now.AddDays(1), Now, TwoHoldsHalfTheLot);
        lot.PlaceHold("h2", "buyer", 1, Now.AddDays(1), Now, TwoHoldsHalfTheLot);

        var e = Assert.Throws<DomainException>(() => lot.PlaceHold("h3", "buyer", 1, Now.AddDays(1), Now, TwoHoldsHalfTheLot));

        Assert.Equal((DomainErrorKind.Conflict, "buyer-hold-limit", 2), (e.Kind, e.Code, e.Details["openHolds"]));
        lot.PlaceHold("h4", "other-buyer", 1, Now.AddDays(1), Now, TwoHoldsHalfTheLot);
        lot.ReleaseHold("h1", "buyer", Now);
        lot.PlaceHold("h5", "buyer", 1, Now.AddDays(1), Now, TwoHoldsHalfTheLot);
        Assert.Equal(3m, lot.Held);
    }

    [Fact]
    public void PlaceHold_BeyondTheBuyersShareOfTheLot_IsConflictBuyerHoldLimit()
    {
        var lot = Active(100);
        lot.PlaceHold("h1", "buyer", 30, Now.AddDays(1), Now, TwoHoldsHalfTheLot);

        var e = Assert.Throws<DomainException>(() => lot.PlaceHold("h2", "buyer", 20.001m, Now.AddDays(1), Now, TwoHoldsHalfTheLot));

        Assert.Equal(("buyer-hold-limit", 50m, 30m), (e.Code, e.Details["maxQuantity"], e.Details["held"]));
        lot.PlaceHold("h2", "buyer", 20, Now.AddDays(1), Now, TwoHoldsHalfTheLot);
        lot.PlaceHold("h3", "other-buyer", 50, Now.AddDays(1), Now, TwoHoldsHalfTheLot);
        Assert.Equal((100m, 0m), (lot.Held, lot.Available));
    }

    [Fact]
    public void PlaceHold_WithoutLimits_LetsOneBuyerHoldTheWholeLot()
    {
        var lot = Active(100);
        lot.PlaceHold("h1", "buyer", 100, Now.AddDays(1), Now);
        Assert.Equal(100m, lot.Held);
    }

    [Fact]
    public void HoldOfAMatch_IsReleasedAndConfirmedOnlyWithItsMatch()
    {
        var lot = Active(100);
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now, matchId: "m1");

        Assert.Equal("hold-belongs-to-match", Assert.Throws<DomainException>(() => lot.ReleaseHold("h1", "buyer", Now)).Code);
        Assert.Equal("hold-belongs-to-match", Assert.Throws<DomainException>(() => lot.ConfirmHold("h1", "seller", Now)).Code);
        Assert.Equal("hold-belongs-to-match", Assert.Throws<DomainException>(() => lot.ConfirmHold("h1", "seller", Now, "m2")).Code);
        lot.ConfirmHold("h1", "seller", Now, "m1");
        Assert.Equal(10m, lot.Sold);
    }
}
