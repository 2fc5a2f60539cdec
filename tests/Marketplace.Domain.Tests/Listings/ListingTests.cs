using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using static Marketplace.Domain.Tests.Listings.ListingBuilder;

namespace Marketplace.Domain.Tests.Listings;

public class ListingTests
{
    private static readonly MaterialTaxonomy Taxonomy = MaterialTaxonomy.Default;

    private static DomainException Refusal(Action action) => Assert.Throws<DomainException>(action);

    [Fact]
    public void IsSameCreation_SameSellerAndDetails_IsTrue_OtherSellerOrDetailsAreNot()
    {
        // Separate photo lists with equal items: a record compares lists by reference, the creation must not.
        var lot = Listing.Create("lot-1", "seller", Bricks() with { Photos = ["https://img.example/a.jpg", "https://img.example/b.jpg"] }, Taxonomy, Now);
        Listing Again(string seller, ListingDetails details) => Listing.Create("lot-1", seller, details, Taxonomy, Now.AddSeconds(5));

        Assert.True(lot.IsSameCreation(Again("seller", Bricks() with { Photos = ["https://img.example/a.jpg", "https://img.example/b.jpg"] })));
        Assert.False(lot.IsSameCreation(Again("seller", Bricks() with { Photos = ["https://img.example/a.jpg"] })));
        Assert.False(lot.IsSameCreation(Again("seller", Bricks(quantity: 999) with { Photos = ["https://img.example/a.jpg", "https://img.example/b.jpg"] })));
        Assert.False(lot.IsSameCreation(Again("another", Bricks() with { Photos = ["https://img.example/a.jpg", "https://img.example/b.jpg"] })));
    }

    [Fact]
    public void PlaceHold_PartOfLot_MovesQuantityFromAvailableToHeld()
    {
        var lot = Active();
        lot.PlaceHold("h1", "buyer", 400, Now.AddDays(7), Now);

        Assert.Equal(600, lot.Available);
        Assert.Equal(400, lot.Held);
        Assert.Equal(0, lot.Sold);
    }

    [Fact]
    public void PlaceHold_SameIdBuyerAndQuantityAgain_IsTheSameHold_EvenWhenNothingIsLeft()
    {
        var lot = Active(10);
        var first = lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);

        var again = lot.PlaceHold("h1", "buyer", 10, Now.AddDays(2), Now.AddMinutes(1));

        Assert.Same(first, again);
        Assert.Equal(10, lot.Held);
        Assert.Single(lot.Holds);
    }

    [Fact]
    public void PlaceHold_SameIdFromAnotherBuyerOrForAnotherQuantity_IsConflict()
    {
        var lot = Active(10);
        lot.PlaceHold("h1", "buyer", 2, Now.AddDays(1), Now);

        Assert.Equal("hold-exists", Refusal(() => lot.PlaceHold("h1", "other-buyer", 2, Now.AddDays(1), Now)).Code);
        Assert.Equal("hold-exists", Refusal(() => lot.PlaceHold("h1", "buyer", 3, Now.AddDays(1), Now)).Code);
        Assert.Equal(2, lot.Held);
    }

    [Fact]
    public void PlaceHold_MoreThanAvailable_IsConflictNamingAvailableQuantity()
    {
        var lot = Active(10);
        lot.PlaceHold("h1", "buyer", 7, Now.AddDays(1), Now);

        var e = Refusal(() => lot.PlaceHold("h2", "buyer", 4, Now.AddDays(1), Now));

        Assert.Equal(DomainErrorKind.Conflict, e.Kind);
        Assert.Equal("hold-exceeds-available", e.Code);
        Assert.Equal(3m, e.Details["available"]);
    }

    [Fact]
    public void PlaceHold_OnDraft_IsNotFound_OnWithdrawn_IsConflict()
    {
        // Others may not know a draft exists; a withdrawn lot was public, so say why it cannot be held.
        var draft = Listing.Create("lot-1", "seller", Bricks(), Taxonomy, Now);
        Assert.Equal("listing-not-found", Refusal(() => draft.PlaceHold("h", "buyer", 1, Now.AddDays(1), Now)).Code);

        var withdrawn = Active();
        withdrawn.Withdraw(Now);
        Assert.Equal("listing-not-active", Refusal(() => withdrawn.PlaceHold("h", "buyer", 1, Now.AddDays(1), Now)).Code);
    }

    /// <summary>
    /// A placed order's hold changes only through its order: withdrawing the lot released it behind the order's back, so
    /// the order could neither be accepted nor the lot republished. Refused until the order has let go of it.
    /// </summary>
    [Fact]
    public void Withdraw_WithAnOrderWaitingOnAHold_IsRefused_UntilTheOrderReleasesIt()
    {
        var lot = Active();
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);
        lot.AttachOrder("h1", "buyer", "order-1", Now.AddDays(7), Now);
        var refusal = Refusal(() => lot.Withdraw(Now));
        Assert.Equal("listing-has-orders", refusal.Code);
        Assert.Equal("order-1", refusal.Details["orderId"]);
        Assert.Equal(ListingStatus.Active, lot.Status);
        Assert.Equal(10, lot.Held);

        lot.ReleaseHold("h1", "buyer", Now, orderId: "order-1");
        lot.Withdraw(Now);
        Assert.Equal(ListingStatus.Withdrawn, lot.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void PlaceHold_NonPositiveQuantity_IsValidationError(decimal quantity)
    {
        var e = Refusal(() => Active().PlaceHold("h", "buyer", quantity, Now.AddDays(1), Now));
        Assert.Equal(DomainErrorKind.Validation, e.Kind);
        Assert.Contains("quantity", e.Errors.Keys);
    }

    [Fact]
    public void PlaceHold_BySeller_IsRefused()
        => Assert.Equal("own-listing", Refusal(() => Active().PlaceHold("h", "seller", 1, Now.AddDays(1), Now)).Code);

    [Fact]
    public void ConfirmHold_BySeller_SellsTheQuantity_AndSellingAllMakesItSoldOut()
    {
        var lot = Active(10);
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);
        lot.ConfirmHold("h1", "seller", Now);

        Assert.Equal(10, lot.Sold);
        Assert.Equal(0, lot.Available);
        Assert.Equal(ListingStatus.SoldOut, lot.Status);
    }

    [Fact]
    public void ConfirmHold_ByBuyer_IsForbidden_ByStranger_IsNotFound()
    {
        var lot = Active();
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);

        Assert.Equal(DomainErrorKind.Forbidden, Refusal(() => lot.ConfirmHold("h1", "buyer", Now)).Kind);
        Assert.Equal(DomainErrorKind.NotFound, Refusal(() => lot.ConfirmHold("h1", "stranger", Now)).Kind);
    }

    [Fact]
    public void ReleaseHold_ByBuyerOrSeller_ReturnsQuantity_ButNotTwice()
    {
        var lot = Active();
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);
        lot.PlaceHold("h2", "buyer", 20, Now.AddDays(1), Now);
        lot.ReleaseHold("h1", "buyer", Now);
        lot.ReleaseHold("h2", "seller", Now);

        Assert.Equal(1000, lot.Available);
        Assert.Equal("hold-closed", Refusal(() => lot.ReleaseHold("h1", "buyer", Now)).Code);
    }

    [Fact]
    public void HoldReceipt_For_KeepsTheHoldAsItWas_WhenTheLotsHoldChangesOn()
    {
        var lot = Active();
        var receipt = HoldReceipt.For(lot, lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now));
        lot.ReleaseHold("h1", "buyer", Now);

        Assert.Equal((HoldStatus.Active, null, 10m, 990m), (receipt.Hold.Status, receipt.Hold.ClosedAt, receipt.Hold.Quantity, receipt.Available));
        Assert.Equal(HoldStatus.Released, lot.Holds.Single().Status);
    }

    [Fact]
    public void ExpireIfDue_AfterHoldExpiry_LapsesOnlyExpiredHolds()
    {
        var lot = Active();
        lot.PlaceHold("short", "buyer", 100, Now.AddHours(1), Now);
        lot.PlaceHold("long", "buyer", 200, Now.AddDays(3), Now);

        var lapsed = lot.ExpireIfDue(Now.AddHours(2));

        Assert.Equal(["short"], lapsed.Select(h => h.Id));
        Assert.Equal(200, lot.Held);
        Assert.Equal(HoldStatus.Lapsed, lot.Holds.Single(h => h.Id == "short").Status);
    }

    [Fact]
    public void ExpireIfDue_AfterWindowEnds_ExpiresLotAndLapsesHolds()
    {
        var lot = Active();
        lot.PlaceHold("h", "buyer", 100, Now.AddDays(30), Now);

        lot.ExpireIfDue(new DateTimeOffset(2027, 4, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(ListingStatus.Expired, lot.Status);
        Assert.Equal(0, lot.Held);
    }

    [Fact]
    public void NextDeadline_IsEarliestOfHoldExpiryAndWindowEnd()
    {
        var lot = Active();
        Assert.Equal(MarketClock.EndOf(new DateOnly(2027, 3, 31)), lot.NextDeadline());
        lot.PlaceHold("h", "buyer", 1, Now.AddHours(5), Now);
        Assert.Equal(Now.AddHours(5), lot.NextDeadline());
    }

    [Fact]
    public void Update_QuantityBelowHeldPlusSold_IsConflict_ButDownToItIsAllowed()
    {
        var lot = Active(100);
        lot.PlaceHold("h1", "buyer", 30, Now.AddDays(1), Now);
        lot.PlaceHold("h2", "buyer", 20, Now.AddDays(1), Now);
        lot.ConfirmHold("h2", "seller", Now);

        var e = Refusal(() => lot.Update(new ListingChanges { Quantity = 49 }, Taxonomy, Now));
        Assert.Equal("quantity-below-committed", e.Code);
        Assert.Equal(50m, e.Details["minimum"]);

        lot.Update(new ListingChanges { Quantity = 50 }, Taxonomy, Now);
        Assert.Equal(0, lot.Available);
    }

    [Fact]
    public void Create_WithEveryFieldWrong_ReportsEachField()
    {
        var bad = Bricks() with
        {
            Title = new string('x', 201),
            Description = new string('y', 10_001),
            Quantity = -1,
            Unit = "m2",
            Condition = "D",
            UnitPrice = Money.Eur(-1),
            Location = new ListingLocation(91, 181, null, "Helsinki"),
            Availability = new DateWindow(new DateOnly(2026, 12, 31), new DateOnly(2026, 12, 1)),
        };

        var e = Refusal(() => Listing.Create("x", "s", bad, Taxonomy, Now));

        Assert.Equal(DomainErrorKind.Validation, e.Kind);
        Assert.Equal(
            new[] { "availability", "condition", "description", "location.latitude", "location.longitude", "quantity", "title", "unit", "unitPrice.minorUnits" },
            e.Errors.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [InlineData("9999-01-01", "9999-12-31")]
    [InlineData("0001-01-01", "2027-01-31")]
    [InlineData("2026-12-01", "2031-11-28")]
    public void Create_AvailabilityBeyondFiveYearsOfToday_IsRefusedNamingAvailability(string from, string to)
    {
        var e = Refusal(() => Listing.Create("x", "s", Bricks() with { Availability = new DateWindow(DateOnly.Parse(from), DateOnly.Parse(to)) }, Taxonomy, Now));

        Assert.Equal(DomainErrorKind.Validation, e.Kind);
        Assert.Equal(["availability"], e.Errors.Keys);
    }

    [Theory]
    [InlineData(1000, 2_000_000_000)] // one unit over the bound
    [InlineData(1000, 1_000_001)]
    [InlineData(1_000_000, 1001)] // each unit within it, the lot's whole mass not
    [InlineData(1_000_000_000, -1e20)] // far below zero: refused, not an overflow of quantity × mass
    public void Create_AMassTooLargeToCompute_IsRefusedNamingMassPerUnit(decimal quantity, decimal massPerUnitKg)
    {
        var e = Refusal(() => Listing.Create("x", "s", Bricks(quantity) with { MassPerUnitKg = massPerUnitKg }, Taxonomy, Now));

        Assert.Equal(["massPerUnitKg"], e.Errors.Keys);
    }

    [Fact]
    public void Create_TheHeaviestLotAllowed_IsAccepted()
        => Assert.Equal(1_000_000m, Listing.Create("x", "s", Bricks(1000) with { MassPerUnitKg = 1_000_000m }, Taxonomy, Now).Details!.MassPerUnitKg);

    [Fact]
    public void Publish_WindowEndingAtTheHorizon_HasADeadline()
    {
        var lot = Listing.Create("x", "s", Bricks() with { Availability = new DateWindow(new DateOnly(2026, 12, 1), new DateOnly(2031, 11, 27)) }, Taxonomy, Now);
        lot.Publish(Now);

        Assert.Equal(MarketClock.EndOf(new DateOnly(2031, 11, 27)), lot.NextDeadline());
    }

    [Fact]
    public void Update_NestedMembers_MergesEachWithTheCurrentValue()
    {
        var lot = Active();

        lot.Update(new ListingChanges { Location = new LocationChanges(null, null, "Sörnäisten rantatie 1", null) }, Taxonomy, Now);
        lot.Update(new ListingChanges { Location = new LocationChanges(null, null, null, "Vantaa"), UnitPrice = new MoneyChanges(60, null) }, Taxonomy, Now);
        lot.Update(new ListingChanges { Availability = new WindowChanges(null, new DateOnly(2027, 4, 30)) }, Taxonomy, Now);

        Assert.Equal(new ListingLocation(60.1699, 24.9384, "Sörnäisten rantatie 1", "Vantaa"), lot.Details!.Location);
        Assert.Equal(Money.Eur(60), lot.Details.UnitPrice);
        Assert.Equal(new DateWindow(new DateOnly(2026, 11, 1), new DateOnly(2027, 4, 30)), lot.Details.Availability);
    }

    [Theory]
    [InlineData(ListingStatus.Draft, "seller", true)]
    [InlineData(ListingStatus.Draft, "buyer", false)]
    [InlineData(ListingStatus.Draft, null, false)]
    [InlineData(ListingStatus.Active, null, true)]
    [InlineData(ListingStatus.Withdrawn, "buyer", false)]
    [InlineData(ListingStatus.Withdrawn, "seller", true)]
    public void IsVisibleTo_PublicLotsToAnyone_OthersToTheirSellerOnly(ListingStatus status, string? viewer, bool visible)
    {
        var lot = Listing.Create("x", "seller", Bricks(), Taxonomy, Now);
        if (status != ListingStatus.Draft)
        {
            lot.Publish(Now);
        }

        if (status == ListingStatus.Withdrawn)
        {
            lot.Withdraw(Now);
        }

        Assert.Equal(visible, lot.IsVisibleTo(viewer));
        Assert.True(lot.IsVisibleTo(viewer, platformAdmin: true));
    }

    [Theory]
    [InlineData(59.3293, 18.0686)]
    [InlineData(0, 0)]
    [InlineData(89, 25)]
    public void Create_PointOutsideFinland_IsRefusedNamingTheLocation(double latitude, double longitude)
    {
        var e = Refusal(() => Listing.Create("x", "s", Bricks() with { Location = new ListingLocation(latitude, longitude, null, "Stockholm") }, Taxonomy, Now));

        Assert.Equal(["location"], e.Errors.Keys);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("2")]
    [InlineData("a")]
    [InlineData(" A")]
    public void Create_ConditionOtherThanExactlyABOrC_IsRefused(string condition)
        => Assert.Equal(["condition"], Refusal(() => Listing.Create("x", "s", Bricks() with { Condition = condition }, Taxonomy, Now)).Errors.Keys);

    [Fact]
    public void Create_UnknownCategory_NamesTheMaterialsEndpoint()
    {
        var e = Refusal(() => Listing.Create("x", "s", Bricks() with { Category = "nope" }, Taxonomy, Now));
        Assert.Contains("/api/v1/materials", e.Errors["category"][0]);
    }

    [Fact]
    public void Create_WasteLotWithoutCode_TakesCategoryCode()
    {
        var lot = Listing.Create("x", "s", Bricks() with { IsWaste = true }, Taxonomy, Now);
        Assert.Equal(Taxonomy.Find("masonry/bricks")!.WasteCode, lot.Details!.WasteCode);
    }

    [Fact]
    public void Create_WithoutMassPerUnit_TakesTaxonomyTypicalMass()
    {
        var lot = Listing.Create("x", "s", Bricks(), Taxonomy, Now);
        Assert.Equal(Taxonomy.Find("masonry/bricks")!.MassPerUnitKg[Unit.Pcs], lot.Details!.MassPerUnitKg);
    }

    [Fact]
    public void Publish_Twice_IsInvalidTransition()
        => Assert.Equal("invalid-transition", Refusal(() => Active().Publish(Now)).Code);

    [Fact]
    public void Withdraw_ReleasesOpenHolds()
    {
        var lot = Active();
        lot.PlaceHold("h", "buyer", 100, Now.AddDays(1), Now);
        var released = lot.Withdraw(Now);

        Assert.Single(released);
        Assert.Equal(ListingStatus.Withdrawn, lot.Status);
        Assert.Equal(0, lot.Held);
    }
}
