using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Matching;

namespace Marketplace.Domain.Tests.Matching;

/// <summary>
/// For random books (categories at several levels, units that convert and that do not, two currencies, windows, prices, points on both
/// sides of geohash cell borders) the book's proposals equal those of a brute-force oracle written separately, in
/// decimals and strings, for a new lot and for a new demand, unbounded and with a small bound on the proposals.
/// </summary>
public class MatchBookProperties
{
    private static readonly string[] Categories =
        ["masonry", "masonry/bricks", "masonry/bricks/clay", "masonry/blocks", "concrete", "concrete/crushed", "metals/steel/beams", "metals"];

    private static readonly Unit[] UnitsUsed = [Unit.Kg, Unit.T, Unit.Pcs, Unit.M2];

    /// <summary>The border between geohash cells ud9 and udc runs at latitude 60.46875: points are drawn on both sides.</summary>
    private const double CellBorderLatitude = 60.46875;

    [Property(MaxTest = 200)]
    public Property Proposals_ForNewLotsAndNewDemands_EqualTheOracle() => EqualTheOracle(vectorised: true);

    /// <summary>The scalar filter loop (machines without vector instructions) against the same oracle.</summary>
    [Property(MaxTest = 100)]
    public Property Proposals_OnTheScalarFilterPath_EqualTheOracle() => EqualTheOracle(vectorised: false);

    /// <summary>
    /// Books of hundreds of demands (many vector blocks, removed and reused slots, a partial last block): the vectorised
    /// filter stage passes exactly the demands the scalar loop passes, and the proposals are the same.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property FilterStage_VectorisedAndScalar_PassTheSameDemands()
        => Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var lots = Enumerable.Range(0, random.Next(1, 8)).Select(i => Lot(random, i)).ToList();
            var demands = Enumerable.Range(0, random.Next(1, 700)).Select(i => Demand(random, i)).ToList();
            var vectorised = new MatchBook();
            var scalar = new MatchBook(vectorised: false);
            foreach (var book in new[] { vectorised, scalar })
            {
                lots.ForEach(book.UpsertLot);
                demands.ForEach(book.UpsertDemand);
                foreach (var demand in demands.Where((_, i) => i % 7 == 3))
                {
                    book.RemoveDemand(demand.Id);
                }

                demands.Where((_, i) => i % 14 == 3).ToList().ForEach(book.UpsertDemand);
            }

            foreach (var lot in lots)
            {
                var (v, s) = (vectorised.CountCandidates(lot.Id), scalar.CountCandidates(lot.Id));
                if (v != s || !Same(vectorised.MatchLot(lot.Id), scalar.MatchLot(lot.Id)))
                {
                    return false.Label($"lot {lot.Id}: {v} candidates vectorised, {s} scalar");
                }
            }

            return true.Label("ok");
        });

    [Fact]
    public void MatchBook_WithVectorsOff_UsesTheScalarLoop_AndByDefaultTheVectorsWhereTheProcessorHasThem()
    {
        Assert.False(new MatchBook(vectorised: false).IsVectorised);
        Assert.Equal(System.Numerics.Vector.IsHardwareAccelerated, new MatchBook().IsVectorised);
    }

    private static Property EqualTheOracle(bool vectorised)
        => Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var lots = Enumerable.Range(0, random.Next(1, 25)).Select(i => Lot(random, i)).ToList();
            var demands = Enumerable.Range(0, random.Next(1, 25)).Select(i => Demand(random, i)).ToList();
            var book = new MatchBook(vectorised);
            lots.ForEach(book.UpsertLot);
            demands.ForEach(book.UpsertDemand);

            // Each side unbounded and with a small bound (a bound past the proposals changes nothing).
            foreach (var most in new[] { int.MaxValue, random.Next(1, 5) })
            {
                foreach (var lot in lots)
                {
                    var expected = Oracle.ForLot(lot, demands, most);
                    var actual = book.MatchLot(lot.Id, most);
                    if (!Same(expected, actual))
                    {
                        return false.Label($"lot {lot.Id}, at most {most}: expected {Show(expected)}, got {Show(actual)}");
                    }
                }

                foreach (var demand in demands)
                {
                    var expected = Oracle.ForDemand(demand, lots, most);
                    var actual = book.MatchDemand(demand.Id, most);
                    if (!Same(expected, actual))
                    {
                        return false.Label($"demand {demand.Id}, at most {most}: expected {Show(expected)}, got {Show(actual)}");
                    }
                }
            }

            return true.Label("ok");
        });

    /// <summary>
    /// Books with many candidates on either side (so the bound, more than the quantity, is what ends a round): every lot's
    /// and every demand's proposals are at most the bound's, the best ranked, the first ones the unbounded oracle makes.
    /// </summary>
    [Property(MaxTest = 150)]
    public Property Proposals_WithAMaximum_AreTheBestRankedPrefixOfTheOracle()
        => Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var lots = Enumerable.Range(0, random.Next(1, 40)).Select(i => Lot(random, i)).ToList();
            var demands = Enumerable.Range(0, random.Next(1, 60)).Select(i => Demand(random, i)).ToList();
            var book = new MatchBook(vectorised: random.Next(2) == 0);
            lots.ForEach(book.UpsertLot);
            demands.ForEach(book.UpsertDemand);
            var most = random.Next(1, 4);

            var rounds = lots.Select(l => ($"lot {l.Id}", Oracle.ForLot(l, demands, most), book.MatchLot(l.Id, most), Oracle.ForLot(l, demands)))
                .Concat(demands.Select(d => ($"demand {d.Id}", Oracle.ForDemand(d, lots, most), book.MatchDemand(d.Id, most), Oracle.ForDemand(d, lots))));
            foreach (var (round, expected, actual, unbounded) in rounds)
            {
                if (!Same(expected, actual) || !Same(expected, unbounded.Take(most).ToList()))
                {
                    return false.Label($"{round}, at most {most}: expected {Show(expected)}, got {Show(actual)}");
                }
            }

            return true.Label("ok");
        });

    [Fact]
    public void RemovedAndReusedSlots_DoNotLeakOldEntries()
    {
        var book = new MatchBook();
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(60.2, 24.9);
        book.UpsertDemand(new DemandSummary("d1", "b", "masonry", Unit.Pcs, 100, 10, 1, null, here, 50, window));
        book.UpsertLot(new LotSummary("l1", "s", "masonry/bricks", Unit.Pcs, 50, 2.5m, 3, 40, here, window));
        Assert.Single(book.MatchDemand("d1"));
        book.RemoveLot("l1");
        Assert.Empty(book.MatchDemand("d1"));
        book.UpsertLot(new LotSummary("l2", "s", "concrete", Unit.Pcs, 50, 2.5m, 3, 40, here, window));
        Assert.Empty(book.MatchDemand("d1"));
        Assert.Equal(1, book.LotCount);
    }

    [Theory]
    [InlineData(60.0, 49.9, true)]
    [InlineData(60.0, 50.1, false)]
    [InlineData(69.5, 99.8, true)]
    [InlineData(69.5, 100.2, false)]
    public void LotDueEastOfADemand_MatchesExactlyWhenWithinTheRadius(double latitude, double eastKm, bool matches)
    {
        // The filter's longitude bound must never cut a lot the exact distance would keep, even far north.
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(latitude, 25);
        var radius = eastKm < 60 ? 50 : 100;
        var east = new GeoPoint(latitude, 25 + (eastKm / (GeoPoint.EarthRadiusKm * Math.PI / 180 * Math.Cos(latitude * Math.PI / 180))));
        var book = new MatchBook();
        book.UpsertDemand(new DemandSummary("d", "b", "masonry", Unit.Pcs, 10, 1, 1, null, here, radius, window));
        book.UpsertLot(new LotSummary("l", "s", "masonry/bricks", Unit.Pcs, 10, null, 3, 40, east, window));

        Assert.Equal(matches, here.DistanceKm(east) <= radius);
        Assert.Equal(matches, book.MatchDemand("d").Count == 1);
        Assert.Equal(matches, book.MatchLot("l").Count == 1);
    }

    [Fact]
    public void CompetingDemands_GetTheLotInRankOrder_UpToItsAvailableQuantity()
    {
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var lotPlace = new GeoPoint(60.2, 24.9);
        var book = new MatchBook();
        book.UpsertLot(new LotSummary("lot", "s", "concrete/crushed", Unit.T, 30, null, 2, 800, lotPlace, window));
        // Same price per kilogram; nearer demands have the lower landed cost (transport per tonne-km), so they rank first,
        // whether they count in tonnes or kilograms.
        book.UpsertDemand(new DemandSummary("far", "b1", "concrete", Unit.T, 20, 5, 1, null, new GeoPoint(60.5, 24.9), 60, window));
        book.UpsertDemand(new DemandSummary("near", "b2", "concrete", Unit.T, 20, 5, 1, null, new GeoPoint(60.21, 24.9), 60, window));
        book.UpsertDemand(new DemandSummary("kilos", "b3", "concrete", Unit.Kg, 4000, 4000, 1, null, new GeoPoint(60.3, 24.9), 60, window));

        var proposals = book.MatchLot("lot");

        Assert.Equal(["near", "kilos", "far"], proposals.Select(p => p.DemandId));
        Assert.Equal([20m, 4000m, 6m], proposals.Select(p => p.Quantity));
    }

    [Fact]
    public void KgLotPricedNearTheLongRange_AgainstATonneDemand_IsNotProposed()
    {
        // 9.3e12 minor units per kg is 9.3e15 per tonne, far above the demand's maximum; the exact comparison in milli
        // base units (× 1e6) would wrap a long negative and let the lot through at any maximum.
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(60.2, 24.9);
        var book = new MatchBook();
        book.UpsertLot(new LotSummary("lot", "s", "concrete/crushed", Unit.Kg, 1000, null, 3, 9_300_000_000_000, here, window));
        book.UpsertDemand(new DemandSummary("d", "b", "concrete", Unit.T, 1, 1, 1, 1000, here, 10, window));

        Assert.Empty(book.MatchDemand("d"));
        Assert.Empty(book.MatchLot("lot"));
    }

    [Fact]
    public void LotInAnotherCurrency_IsNotProposed()
    {
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(60.2, 24.9);
        var book = new MatchBook();
        book.UpsertLot(new LotSummary("sek", "s", "masonry/bricks", Unit.Pcs, 50, null, 3, 40, here, window, "SEK"));
        book.UpsertLot(new LotSummary("eur", "s", "masonry/bricks", Unit.Pcs, 50, null, 3, 45, here, window, "EUR"));
        book.UpsertDemand(new DemandSummary("d", "b", "masonry", Unit.Pcs, 10, 1, 1, 60, here, 10, window, "EUR"));

        Assert.Equal(["eur"], book.MatchDemand("d").Select(p => p.LotId));
        Assert.Empty(book.MatchLot("sek"));
    }

    [Fact]
    public void AFirmsOwnLot_IsNotProposedToItsDemand_AndStaysForOtherFirms()
    {
        // The own lot is the cheapest and sorts first by id: proposed, it would take the whole quantity (and no hold
        // of it could follow: own-listing).
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(60.2, 24.9);
        var book = new MatchBook();
        book.UpsertLot(new LotSummary("a-own", "firm", "concrete/crushed", Unit.T, 10, null, 3, 100, here, window));
        book.UpsertLot(new LotSummary("b-other", "other", "concrete/crushed", Unit.T, 10, null, 3, 600, here, window));
        book.UpsertDemand(new DemandSummary("a-firms", "firm", "concrete", Unit.T, 10, 1, 1, null, here, 10, window));
        book.UpsertDemand(new DemandSummary("b-third", "third", "concrete", Unit.T, 10, 1, 1, null, here, 10, window));

        Assert.Equal(["b-other"], book.MatchDemand("a-firms").Select(p => p.LotId));
        Assert.Equal(["b-third"], book.MatchLot("a-own").Select(p => p.DemandId));
    }

    [Theory]
    [InlineData(1, 700)]
    [InlineData(700.25, null)]
    public void KgDemand_AgainstATonneLot_IsProposedWhatAHoldAccepts(double minPartKg, int? proposedKg)
    {
        // 700.25 kg is 0.70025 t, which no hold on a lot in tonnes accepts (three decimals): propose 700 kg (0.7 t), or
        // nothing when that no longer meets the smallest part.
        var day = new DateOnly(2027, 4, 1);
        var window = new DateWindow(day, day.AddDays(30));
        var here = new GeoPoint(60.2, 24.9);
        var book = new MatchBook();
        book.UpsertLot(new LotSummary("lot", "s", "concrete/crushed", Unit.T, 10, null, 3, 600, here, window));
        book.UpsertDemand(new DemandSummary("d", "b", "concrete", Unit.Kg, 700.25m, (decimal)minPartKg, 1, null, here, 10, window));

        foreach (var proposals in new[] { book.MatchDemand("d"), book.MatchLot("lot") })
        {
            Assert.Equal(proposedKg is null ? [] : [(decimal)proposedKg.Value], proposals.Select(p => p.Quantity));
        }
    }

    private static LotSummary Lot(Random r, int i) => new(
        $"lot-{i:D2}", $"firm-{r.Next(4)}", Categories[r.Next(Categories.Length)], UnitsUsed[r.Next(UnitsUsed.Length)],
        r.Next(0, 4) == 0 ? r.Next(1, 5) : decimal.Round((decimal)r.NextDouble() * 200, r.Next(0, 4)),
        r.Next(2) == 0 ? null : decimal.Round((decimal)r.NextDouble() * 50, 2), r.Next(1, 4), r.Next(0, 2000),
        Point(r), Window(r), Currency(r));

    private static string Currency(Random r) => r.Next(5) == 0 ? "SEK" : "EUR";

    private static DemandSummary Demand(Random r, int i)
    {
        var quantity = decimal.Round((decimal)r.NextDouble() * 300 + 0.001m, r.Next(0, 4));
        return new DemandSummary(
            $"demand-{i:D2}", $"firm-{r.Next(4)}", Categories[r.Next(Categories.Length)], UnitsUsed[r.Next(UnitsUsed.Length)],
            quantity, decimal.Round(quantity * (decimal)r.NextDouble(), 3), r.Next(1, 4), r.Next(3) == 0 ? null : r.Next(0, 3000),
            Point(r), 5 + (r.NextDouble() * 60), Window(r), Currency(r));
    }

    private static GeoPoint Point(Random r)
        => new(CellBorderLatitude + ((r.NextDouble() - 0.5) * 0.6), 24.9 + ((r.NextDouble() - 0.5) * 1.2));

    private static DateWindow Window(Random r)
    {
        var from = new DateOnly(2027, 3, 1).AddDays(r.Next(0, 90));
        return new DateWindow(from, from.AddDays(r.Next(0, 60)));
    }

    private static bool Same(IReadOnlyList<Proposal> a, IReadOnlyList<Proposal> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.LotId == p.Second.LotId && p.First.DemandId == p.Second.DemandId && p.First.Quantity == p.Second.Quantity);

    private static string Show(IReadOnlyList<Proposal> proposals) => "[" + string.Join(", ", proposals.Select(p => $"{p.LotId}->{p.DemandId} {p.Quantity}")) + "]";

    /// <summary>Brute force over every pair, from the rules as written, in decimals.</summary>
    private static class Oracle
    {
        public static bool Matches(LotSummary lot, DemandSummary demand)
        {
            var categoryOk = lot.Category == demand.Category || lot.Category.StartsWith(demand.Category + "/", StringComparison.Ordinal);
            var unitsOk = lot.Unit == demand.Unit || (Units.IsMass(lot.Unit) && Units.IsMass(demand.Unit));
            if (!categoryOk || !unitsOk || lot.Currency != demand.Currency || lot.Available <= 0 || demand.Quantity <= 0 || lot.SellerId == demand.BuyerId)
            {
                return false;
            }

            var lotUnitsPerDemandUnit = Units.Convert(1m, demand.Unit, lot.Unit);
            var priceOk = demand.MaxUnitPriceMinor is null || lot.UnitPriceMinor * lotUnitsPerDemandUnit <= demand.MaxUnitPriceMinor;
            return priceOk
                   && lot.ConditionRank >= demand.MinConditionRank
                   && lot.Window.Overlaps(demand.Window)
                   && lot.Location.DistanceKm(demand.Location) <= demand.RadiusKm
                   && Units.Convert(lot.Available, lot.Unit, demand.Unit) >= demand.MinPart;
        }

        /// <summary>The lot offered to its matching demands in rank order until it runs out or <paramref name="most"/> are proposed.</summary>
        public static IReadOnlyList<Proposal> ForLot(LotSummary lot, IEnumerable<DemandSummary> demands, int most = int.MaxValue)
        {
            var remaining = lot.Available;
            var proposals = new List<Proposal>();
            foreach (var demand in demands.Where(d => Matches(lot, d)).OrderBy(d => Key(lot, d)).ThenBy(d => d.Id, StringComparer.Ordinal))
            {
                if (proposals.Count == most)
                {
                    break;
                }

                var quantity = Holdable(Math.Min(Units.Convert(remaining, lot.Unit, demand.Unit), demand.Quantity), lot, demand);
                if (quantity > 0 && quantity >= demand.MinPart)
                {
                    proposals.Add(new Proposal(lot.Id, demand.Id, quantity, 0, 0));
                    remaining -= Units.Convert(quantity, demand.Unit, lot.Unit);
                }
            }

            return proposals;
        }

        /// <summary>The demand's matching lots in rank order until it is covered or <paramref name="most"/> are proposed.</summary>
        public static IReadOnlyList<Proposal> ForDemand(DemandSummary demand, IEnumerable<LotSummary> lots, int most = int.MaxValue)
        {
            var remaining = demand.Quantity;
            var proposals = new List<Proposal>();
            foreach (var lot in lots.Where(l => Matches(l, demand)).OrderBy(l => Key(l, demand)).ThenBy(l => l.Id, StringComparer.Ordinal))
            {
                if (proposals.Count == most)
                {
                    break;
                }

                var quantity = Holdable(Math.Min(Units.Convert(lot.Available, lot.Unit, demand.Unit), remaining), lot, demand);
                if (quantity > 0 && quantity >= demand.MinPart)
                {
                    proposals.Add(new Proposal(lot.Id, demand.Id, quantity, 0, 0));
                    remaining -= quantity;
                }
            }

            return proposals;
        }

        /// <summary>
        /// The quantity rounded down to three decimals in the demand's unit, then to three decimals in the lot's unit (what a
        /// hold takes), expressed in the demand's unit again.
        /// </summary>
        private static decimal Holdable(decimal quantity, LotSummary lot, DemandSummary demand)
        {
            var inDemandUnit = decimal.Floor(quantity * 1000) / 1000;
            var inLotUnit = decimal.Floor(Units.Convert(inDemandUnit, demand.Unit, lot.Unit) * 1000) / 1000;
            return Units.Convert(inLotUnit, lot.Unit, demand.Unit);
        }

        /// <summary>Landed cost per base unit (per kg for mass), distance, fit, overlap: the documented order.</summary>
        private static (double, double, double, int) Key(LotSummary lot, DemandSummary demand)
        {
            var distance = lot.Location.DistanceKm(demand.Location);
            var price = lot.UnitPriceMinor * (double)Units.Convert(1m, demand.Unit, lot.Unit);
            var tonnes = Units.IsMass(demand.Unit) ? (double)Units.Convert(1m, demand.Unit, Unit.T) : (double)(lot.MassPerUnitKg ?? 0) / 1000.0;
            var kilogramsPerDemandUnit = Units.IsMass(demand.Unit) ? (double)Units.Convert(1m, demand.Unit, Unit.Kg) : 1.0;
            var landed = (price + (distance * tonnes * MatchRules.TransportMinorPerTonneKm)) / kilogramsPerDemandUnit;
            var fit = (double)Math.Min(Units.Convert(lot.Available, lot.Unit, demand.Unit), demand.Quantity) / (double)demand.Quantity;
            var overlap = Math.Min(lot.Window.To.DayNumber, demand.Window.To.DayNumber) - Math.Max(lot.Window.From.DayNumber, demand.Window.From.DayNumber);
            return (landed, distance, -fit, -overlap);
        }
    }
}
