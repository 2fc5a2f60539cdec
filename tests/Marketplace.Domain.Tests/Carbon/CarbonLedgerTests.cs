using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Tests.Carbon;

public class CarbonLedgerTests
{
    private static readonly CarbonCalculator Calculator = new(EmissionFactors.Default);
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CarbonFigure Steel(decimal kg, decimal km = 50m) => Calculator.Calculate(new CarbonInput("metals/steel/beams", "A", kg, km));

    [Fact]
    public void Record_SameOrderTwice_CountsItOnce()
    {
        var ledger = new CarbonLedger();

        var first = ledger.Record("order-1", "metals/steel/beams", "Espoo", Now, Steel(10_000m), Now, 3);
        var again = ledger.Record("order-1", "metals/steel/beams", "Espoo", Now, Steel(10_000m), Now.AddHours(1), 3);

        Assert.Equal((CarbonRecordOutcome.Counted, CarbonRecordOutcome.AlreadyCounted), (first, again));
        var totals = ledger.Totals();
        Assert.Equal(1, totals.Overall.Orders);
        Assert.Equal(15_452.5m, totals.Overall.AvoidedKgCo2e);
        Assert.Equal(10m, totals.Overall.TonnesReused);
    }

    [Fact]
    public void Totals_SliceByMonthCategoryAndMunicipality_AndAddUp()
    {
        var ledger = new CarbonLedger();
        var aggregates = Calculator.Calculate(new CarbonInput("soil-aggregates/gravel", "A", 1_000m, 200m));
        ledger.Record("o1", "metals/steel/beams", "Espoo", new DateTimeOffset(2026, 10, 5, 8, 0, 0, TimeSpan.Zero), Steel(10_000m), Now, 3);
        ledger.Record("o2", "metals/steel/beams", "Vantaa", new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero), Steel(2_000m, 0m), Now, 3);
        ledger.Record("o3", "soil-aggregates/gravel", "Espoo", new DateTimeOffset(2026, 11, 3, 8, 0, 0, TimeSpan.Zero), aggregates, Now, 3);

        var totals = ledger.Totals();

        Assert.Equal(15_452.5m + 3_100m - 11.4m, totals.Overall.AvoidedKgCo2e);
        Assert.Equal(13m, totals.Overall.TonnesReused);
        Assert.Equal(1, totals.Overall.NegativeOrders);
        Assert.Equal([("2026-10", 15_452.5m), ("2026-11", 3_100m - 11.4m)], totals.ByMonth.Select(t => (t.Month!, t.AvoidedKgCo2e)));
        Assert.Equal([("2026-10", "metals/steel/beams", 1), ("2026-11", "metals/steel/beams", 1), ("2026-11", "soil-aggregates/gravel", 1)],
            totals.ByMonthAndCategory.Select(t => (t.Month!, t.Category!, t.Orders)));
        Assert.Equal([("metals/steel/beams", 12m), ("soil-aggregates/gravel", 1m)], totals.ByCategory.Select(t => (t.Category!, t.TonnesReused)));
        Assert.Equal([("Espoo", 2), ("Vantaa", 1)], totals.ByMunicipality.Select(t => (t.Municipality!, t.Orders)));
        Assert.Equal([EmissionFactors.Default.Version], totals.DataVersions);
    }

    [Fact]
    public void Record_MonthIsTheRegionsCalendarMonth()
    {
        var ledger = new CarbonLedger();

        // 22:30 UTC on 31 October is 00:30 on 1 November in Helsinki.
        ledger.Record("o1", "metals", "Espoo", new DateTimeOffset(2026, 10, 31, 22, 30, 0, TimeSpan.Zero), Steel(1m), Now, 3);

        Assert.Equal("2026-11", ledger.Totals().ByMonth.Single().Month);
    }

    [Fact]
    public void Record_OrdersOlderThanTheRememberedMonths_AreForgottenAndNotCountedAgain()
    {
        var ledger = new CarbonLedger();
        var august = new DateTimeOffset(2026, 8, 10, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(CarbonRecordOutcome.Counted, ledger.Record("old", "metals", "Espoo", august, Steel(1_000m), august, 3));

        // Four months on, a replay of August's order cannot be told from a first record: it is refused, not counted twice.
        var december = new DateTimeOffset(2026, 12, 15, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(CarbonRecordOutcome.TooOld, ledger.Record("old", "metals", "Espoo", august, Steel(1_000m), december, 3));
        Assert.Equal(CarbonRecordOutcome.Counted, ledger.Record("new", "metals", "Espoo", december, Steel(1_000m), december, 3));

        Assert.Equal(2, ledger.Totals().Overall.Orders);
        Assert.Equal(["2026-12"], ledger.RememberedMonths);
        Assert.Equal(1, ledger.RememberedOrders);
    }

    [Fact]
    public void Record_ManyOrdersOverYears_RemembersOnlyTheRecentMonths()
    {
        var ledger = new CarbonLedger();
        var start = new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 36 * 20; i++)
        {
            var at = start.AddMonths(i / 20);
            ledger.Record($"order-{i}", i % 2 == 0 ? "metals" : "timber", "Espoo", at, Steel(10m, 0m), at, 3);
        }

        Assert.Equal(36 * 20, ledger.Totals().Overall.Orders);
        Assert.Equal(4, ledger.RememberedMonths.Count);
        Assert.True(ledger.RememberedOrders <= 4 * 20, $"{ledger.RememberedOrders} order ids remembered");
        Assert.Equal(36 * 2, ledger.Totals().ByMonthAndCategory.Count);
    }

    [Fact]
    public void Record_BlankMunicipality_CountsAsUnknown_AndMissingOrderIdIsRefused()
    {
        var ledger = new CarbonLedger();
        ledger.Record("o1", "metals", " ", Now, Steel(1m), Now, 3);

        Assert.Equal(CarbonLedger.UnknownMunicipality, ledger.Totals().ByMunicipality.Single().Municipality);
        Assert.Throws<DomainException>(() => ledger.Record("", "metals", "Espoo", Now, Steel(1m), Now, 3));
    }
}
