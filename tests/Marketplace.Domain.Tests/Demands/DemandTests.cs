using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Demands;

public class DemandTests
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static DemandDetails Valid() => new()
    {
        Category = "concrete",
        Quantity = 30,
        Unit = "t",
        MinPart = 10,
        MinCondition = "B",
        MaxUnitPrice = Money.Eur(800),
        Location = new GeoPoint(60.2055, 24.6559),
        RadiusKm = 40,
        Window = new DateWindow(new DateOnly(2027, 4, 1), new DateOnly(2027, 4, 30)),
    };

    [Fact]
    public void Create_Valid_IsOpen_WithDefaultsFilled_AndSummarisesForTheMatcher()
    {
        var demand = Demand.Create("d1", "buyer", Valid() with { MinPart = null, MinCondition = null }, MaterialTaxonomy.Default, Now);

        Assert.Equal(DemandStatus.Open, demand.Status);
        Assert.Equal(30, demand.Details!.MinPart);
        Assert.Equal("C", demand.Details.MinCondition);
        Assert.Equal(MarketClock.EndOf(new DateOnly(2027, 4, 30)), demand.Details.ExpiresAt);
        var summary = demand.ToSummary()!;
        Assert.Equal((Unit.T, 30m, 1), (summary.Unit, summary.Quantity, summary.MinConditionRank));
    }

    [Fact]
    public void Create_AtLatitude89WithRadius500_IsRefused()
    {
        var details = Valid() with { Location = new GeoPoint(89, 25), RadiusKm = 500 };

        var e = Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now));

        Assert.Equal(["location", "radiusKm"], e.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Create_RadiusReachingTooManyCells_IsRefused_WhateverTheArea()
    {
        var world = new ServiceArea(-90, -180, 90, 180);
        var details = Valid() with { Location = new GeoPoint(85, 25), RadiusKm = 200 };

        var e = Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now, world));

        Assert.Equal(["radiusKm"], e.Errors.Keys);
    }

    [Theory]
    [InlineData(70.1, 31.6)]
    [InlineData(70.1, 19.0)]
    [InlineData(59.3, 19.0)]
    [InlineData(65, 25)]
    public void Create_AnywhereInTheDefaultAreaWithTheLargestRadius_ReachesAFewDozenCellsAtMost(double latitude, double longitude)
    {
        var demand = Demand.Create("d1", "buyer", Valid() with { Location = new GeoPoint(latitude, longitude), RadiusKm = Demand.MaxRadiusKm },
            MaterialTaxonomy.Default, Now);

        Assert.InRange(MatchPartitions.ForDemand(demand.ToSummary()!).Count, 1, Demand.MaxCells);
    }

    [Fact]
    public void Create_PointOutsideThePassedArea_IsRefusedNamingTheLocation()
    {
        var uusimaa = new ServiceArea(59.8, 23.0, 60.8, 27.0);
        var details = Valid() with { Location = new GeoPoint(61.5, 23.76) };

        Assert.Equal(["location"], Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now, uusimaa)).Errors.Keys);
        Assert.NotNull(Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now));
    }

    [Theory]
    [InlineData("2027-04-01", "9999-12-31")]
    [InlineData("0001-01-01", "2027-04-30")]
    [InlineData("2027-04-01", "2032-03-02")]
    public void Create_WindowBeyondFiveYearsOfToday_IsRefusedNamingTheWindow(string from, string to)
    {
        var details = Valid() with { Window = new DateWindow(DateOnly.Parse(from), DateOnly.Parse(to)), ExpiresAt = Now.AddDays(30) };

        var e = Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now));

        Assert.Equal(["window"], e.Errors.Keys);
    }

    [Fact]
    public void Create_WindowToTheLastDateWithoutExpiry_IsRefusedNotThrown()
    {
        var details = Valid() with { Window = new DateWindow(new DateOnly(2027, 4, 1), DateOnly.MaxValue) };

        var e = Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now));

        Assert.Contains("window", e.Errors.Keys);
    }

    [Theory]
    [InlineData("category")]
    [InlineData("quantity")]
    [InlineData("minPart")]
    [InlineData("minCondition")]
    [InlineData("location")]
    [InlineData("radiusKm")]
    [InlineData("window")]
    [InlineData("unit")]
    public void Create_InvalidField_IsRefusedNamingIt(string field)
    {
        var details = field switch
        {
            "category" => Valid() with { Category = "concrete/unobtainium" },
            "quantity" => Valid() with { Quantity = 0 },
            "minPart" => Valid() with { MinPart = 31 },
            "minCondition" => Valid() with { MinCondition = "E" },
            "location" => Valid() with { Location = new GeoPoint(91, 0) },
            "radiusKm" => Valid() with { RadiusKm = 501 },
            "window" => Valid() with { Window = new DateWindow(new DateOnly(2027, 4, 30), new DateOnly(2027, 4, 1)) },
            _ => Valid() with { Category = "timber/sawn", Unit = "t" },
        };

        var e = Assert.Throws<DomainException>(() => Demand.Create("d1", "buyer", details, MaterialTaxonomy.Default, Now));
        Assert.Equal(DomainErrorKind.Validation, e.Kind);
        Assert.True(e.Errors.ContainsKey(field), string.Join(", ", e.Errors.Keys));
    }

    [Fact]
    public void Purchases_FulfilTheDemand_ThenItIsClosed()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);
        demand.RecordPurchase(20);
        Assert.Equal(10, demand.ToSummary()!.Quantity);
        Assert.Equal(10, demand.ToSummary()!.MinPart);
        Assert.Throws<DomainException>(() => demand.RecordPurchase(11));
        demand.RecordPurchase(10);
        Assert.Equal(DemandStatus.Fulfilled, demand.Status);
        Assert.Null(demand.ToSummary());
        Assert.Equal("demand-closed", Assert.Throws<DomainException>(demand.Cancel).Code);
    }

    /// <summary>A match's order cancelled after acceptance gives its quantity back to the demand, once, and reopens a fulfilled one.</summary>
    [Fact]
    public void ReturnPurchase_OfACancelledOrder_ReopensTheDemand_OncePerOrder()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);
        demand.RecordPurchase(20);
        demand.RecordPurchase(10);
        Assert.Equal(DemandStatus.Fulfilled, demand.Status);

        demand.ReturnPurchase("order-2", 10);
        demand.ReturnPurchase("order-2", 10);
        Assert.Equal((DemandStatus.Open, 20m), (demand.Status, demand.Bought));
        Assert.Equal(10, demand.ToSummary()!.Quantity);

        demand.Cancel();
        demand.ReturnPurchase("order-1", 20);
        Assert.Equal((DemandStatus.Cancelled, 0m), (demand.Status, demand.Bought));
    }

    [Fact]
    public void ExpireIfDue_AfterTheExpiry_Expires_OnceOnly()
    {
        var demand = Demand.Create("d1", "buyer", Valid() with { ExpiresAt = Now.AddDays(2) }, MaterialTaxonomy.Default, Now);
        Assert.False(demand.ExpireIfDue(Now.AddDays(1)));
        Assert.True(demand.ExpireIfDue(Now.AddDays(2)));
        Assert.False(demand.ExpireIfDue(Now.AddDays(3)));
        Assert.Equal(DemandStatus.Expired, demand.Status);
    }

    [Fact]
    public void EnsureBuyer_AnotherFirm_IsNotFound()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);
        Assert.Equal(DomainErrorKind.NotFound, Assert.Throws<DomainException>(() => demand.EnsureBuyer("other")).Kind);
    }

    [Fact]
    public void Update_ReplacesGivenFields_KeepsOthers_AndMovesExpiryWithTheWindow()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);
        var window = new DateWindow(new DateOnly(2027, 5, 1), new DateOnly(2027, 5, 31));

        demand.Update(new DemandChanges { RadiusKm = 60, Window = new WindowChanges(window.From, window.To) }, MaterialTaxonomy.Default, Now);

        Assert.Equal((60d, 30m, "B"), (demand.Details!.RadiusKm!.Value, demand.Details.Quantity!.Value, demand.Details.MinCondition));
        Assert.Equal(MarketClock.EndOf(window.To), demand.Details.ExpiresAt);
        Assert.Equal(2, demand.Version);
    }

    [Fact]
    public void Update_Invalid_NamesTheField_AndChangesNothing()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);

        var error = Assert.Throws<DomainException>(() => demand.Update(new DemandChanges { RadiusKm = 900 }, MaterialTaxonomy.Default, Now));

        Assert.Contains("radiusKm", error.Errors.Keys);
        Assert.Equal((40d, 1L), (demand.Details!.RadiusKm!.Value, demand.Version));
    }

    [Fact]
    public void Update_QuantityNotAboveBought_IsRefused()
    {
        var demand = Demand.Create("d1", "buyer", Valid(), MaterialTaxonomy.Default, Now);
        demand.RecordPurchase(10);

        var error = Assert.Throws<DomainException>(() => demand.Update(new DemandChanges { Quantity = 10 }, MaterialTaxonomy.Default, Now));

        Assert.Equal("demand-committed", error.Code);
        Assert.Equal(30m, demand.Details!.Quantity);
    }
}
