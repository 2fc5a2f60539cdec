using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Carbon;

namespace Marketplace.Domain.Tests.Carbon;

/// <summary>Whatever the order and repetition of records, a ledger's totals equal those of each distinct order counted once.</summary>
public class CarbonLedgerProperties
{
    private static readonly CarbonCalculator Calculator = new(EmissionFactors.Default);
    private static readonly string[] Categories = ["metals/steel/beams", "soil-aggregates/gravel", "timber/glulam", "insulation/eps"];
    private static readonly string[] Places = ["Espoo", "Helsinki", "Vantaa"];

    [Property(MaxTest = 200)]
    public Property Totals_OfRepeatedAndShuffledRecords_EqualEachOrderOnce()
        => Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
            var orders = Enumerable.Range(0, random.Next(1, 30)).Select(i =>
            {
                var category = Categories[random.Next(Categories.Length)];
                var figure = Calculator.Calculate(new CarbonInput(category, "ABC"[random.Next(3)].ToString(), random.Next(1, 20_000), random.Next(0, 400)));
                return (Id: $"order-{i}", Category: category, Place: Places[random.Next(Places.Length)], At: now.AddDays(-random.Next(0, 80)), Figure: figure);
            }).ToList();
            var records = orders.SelectMany(o => Enumerable.Repeat(o, random.Next(1, 4))).OrderBy(_ => random.Next()).ToList();

            var ledger = new CarbonLedger();
            records.ForEach(r => ledger.Record(r.Id, r.Category, r.Place, r.At, r.Figure, now, 3));
            var totals = ledger.Totals();

            // The oracle: each order once, summed by brute force.
            var byCategory = orders.GroupBy(o => o.Category).ToDictionary(g => g.Key, g => g.Sum(o => o.Figure.AvoidedKgCo2e));
            var byPlace = orders.GroupBy(o => o.Place).ToDictionary(g => g.Key, g => g.Sum(o => o.Figure.MassKg));
            return totals.Overall.Orders == orders.Count
                   && totals.Overall.AvoidedKgCo2e == orders.Sum(o => o.Figure.AvoidedKgCo2e)
                   && totals.Overall.NegativeOrders == orders.Count(o => o.Figure.IsNegative)
                   && totals.ByCategory.All(t => byCategory[t.Category!] == t.AvoidedKgCo2e) && totals.ByCategory.Count == byCategory.Count
                   && totals.ByMunicipality.All(t => byPlace[t.Municipality!] == t.MassKg) && totals.ByMunicipality.Count == byPlace.Count
                   && totals.ByMonth.Sum(t => t.Orders) == orders.Count
                   && totals.ByMonthAndCategory.Sum(t => t.AvoidedKgCo2e) == totals.Overall.AvoidedKgCo2e;
        });
}
