using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Common;

public class ValueTypeTests
{
    [Fact]
    public void Quantity_TonnesToKilograms_Converts()
        => Assert.Equal(new Quantity(2500m, Unit.Kg), new Quantity(2.5m, Unit.T).In(Unit.Kg));

    [Fact]
    public void Quantity_PiecesToKilograms_IsRefused()
        => Assert.Throws<InvalidOperationException>(() => new Quantity(3, Unit.Pcs).In(Unit.Kg));

    [Fact]
    public void Quantity_MassOfPieces_UsesMassPerUnit()
        => Assert.Equal(7.5m, new Quantity(3, Unit.Pcs).MassKg(2.5m));

    [Property]
    public Property Money_AdditionIsExactAndReversible()
        => Prop.ForAll(Gen.Choose(-1_000_000, 1_000_000).ToArbitrary(), Gen.Choose(-1_000_000, 1_000_000).ToArbitrary(), (a, b) =>
            (Money.Eur(a) + Money.Eur(b) - Money.Eur(b)) == Money.Eur(a));

    [Fact]
    public void Money_DifferentCurrencies_DoNotAdd()
        => Assert.Throws<InvalidOperationException>(() => Money.Eur(1) + new Money(1, "SEK"));

    [Fact]
    public void Money_Times_RoundsHalfAwayFromZero()
        => Assert.Equal(Money.Eur(113), Money.Eur(45).Times(2.5m));

    [Fact]
    public void GeoPoint_HelsinkiToEspoo_IsAbout16Km()
    {
        var helsinki = new GeoPoint(60.1699, 24.9384);
        var espoo = new GeoPoint(60.2055, 24.6559);
        Assert.InRange(helsinki.DistanceKm(espoo), 15.5, 16.5);
    }

    [Theory]
    [InlineData(91, 0, false)]
    [InlineData(-90, 180, true)]
    [InlineData(0, 180.01, false)]
    [InlineData(double.NaN, 0, false)]
    public void GeoPoint_IsValid_ChecksRanges(double lat, double lon, bool valid)
        => Assert.Equal(valid, new GeoPoint(lat, lon).IsValid);

    [Fact]
    public void DateWindow_IsInclusiveAtBothEnds()
    {
        var march = new DateWindow(new DateOnly(2027, 3, 1), new DateOnly(2027, 3, 31));
        Assert.True(march.Contains(new DateOnly(2027, 3, 31)));
        Assert.True(march.Overlaps(new DateWindow(new DateOnly(2027, 3, 31), new DateOnly(2027, 4, 30))));
        Assert.False(march.Overlaps(new DateWindow(new DateOnly(2027, 4, 1), new DateOnly(2027, 4, 30))));
        Assert.Equal(31, march.Days);
    }

    [Theory]
    [InlineData("EUR", true)]
    [InlineData("SEK", true)]
    [InlineData("XCD", true)]
    [InlineData("JPY", false)]
    [InlineData("BHD", false)]
    [InlineData("CLF", false)]
    [InlineData("XXX", false)]
    [InlineData("XAU", false)]
    [InlineData("QQQ", false)] // three letters that name no currency
    [InlineData("ZZZ", false)]
    [InlineData("HRK", false)] // withdrawn: Croatia has paid in euros since 2023
    [InlineData("eur", false)]
    [InlineData("EURO", false)]
    public void IsCurrencyCode_OnlyCurrenciesCountedInHundredths(string code, bool accepted)
        => Assert.Equal(accepted, Money.IsCurrencyCode(code));
}
