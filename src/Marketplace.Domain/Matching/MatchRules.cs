using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Matching;

/// <summary>
/// When a lot and a demand match, and how matches rank. A lot matches a demand when its category is the demand's or
/// below it; its unit is the demand's or converts (kg and t); its condition is at least the demand's minimum; its
/// currency is the demand's; its price per demand unit is within the demand's maximum; the windows overlap; it is within the demand's radius; and its
/// available quantity is at least the demand's smallest acceptable part. A proposal's quantity is rounded down to what a
/// hold accepts (<see cref="ProposableQuantity"/>) and is made only when it still meets the smallest part.
/// Ranking, best first: lowest landed cost per demand unit (price plus <see cref="TransportMinorPerTonneKm"/> × tonnes per
/// unit × km), then shortest distance, then best quantity fit (share of the demand the lot can cover), then most days
/// of window overlap, then id (ordinal) so the order is total.
/// </summary>
public static class MatchRules
{
    /// <summary>Transport estimate: 15 cents per tonne-kilometre (a full truck in the Helsinki region, about 2026).</summary>
    public const double TransportMinorPerTonneKm = 15;

    /// <summary>
    /// The largest quantity, at most <paramref name="wanted"/> (in the demand's unit), that a proposal can carry: it has at
    /// most three decimals in the demand's unit and in the lot's (what a hold accepts), so 700.25 kg against a lot in
    /// tonnes becomes 700 kg (0.7 t). Rounded down, never up: a proposal never offers more than the lot has.
    /// </summary>
    public static decimal ProposableQuantity(decimal wanted, Unit lot, Unit demand)
    {
        var step = Math.Max(0.001m, Units.Convert(0.001m, lot, demand));
        return wanted % step == 0 ? wanted : decimal.Floor(wanted / step) * step;
    }

    /// <summary>Lot units per one demand unit (mass converts; other units only to themselves).</summary>
    public static decimal LotUnitsPerDemandUnit(Unit lot, Unit demand) => Units.Convert(1m, demand, lot);

    /// <summary>Tonnes in one demand unit, for the transport estimate (0 when unknown).</summary>
    public static double TonnesPerDemandUnit(LotSummary lot, Unit demand)
        => Units.IsMass(demand) ? (double)Units.Convert(1m, demand, Unit.T) : (double)(lot.MassPerUnitKg ?? 0m) / 1000.0;

    /// <summary>The price of one demand unit from this lot, minor units.</summary>
    public static double PricePerDemandUnit(LotSummary lot, Unit demand) => lot.UnitPriceMinor * (double)LotUnitsPerDemandUnit(lot.Unit, demand);

    /// <summary>The lot's available quantity in the demand's unit.</summary>
    public static decimal AvailableIn(LotSummary lot, Unit demand) => Units.Convert(lot.Available, lot.Unit, demand);

    /// <summary>Landed cost (price plus transport estimate) per demand unit, minor units.</summary>
    public static double LandedCostPerDemandUnit(LotSummary lot, Unit demand, double distanceKm)
        => PricePerDemandUnit(lot, demand) + (distanceKm * TonnesPerDemandUnit(lot, demand) * TransportMinorPerTonneKm);

    /// <summary>
    /// Ranking key of a pair, smaller is better (ties broken by id outside). The landed cost is compared per base unit
    /// (per kilogram for mass), so demands in kg and in t compete fairly for one lot.
    /// </summary>
    public static (double Landed, double Distance, double Fit, int Slack) Rank(LotSummary lot, DemandSummary demand, double distanceKm)
    {
        var landed = LandedCostPerDemandUnit(lot, demand.Unit, distanceKm) / BaseUnitsPer(demand.Unit);
        var fit = (double)Math.Min(AvailableIn(lot, demand.Unit), demand.Quantity) / (double)demand.Quantity;
        var slack = Math.Min(lot.Window.To.DayNumber, demand.Window.To.DayNumber) - Math.Max(lot.Window.From.DayNumber, demand.Window.From.DayNumber);
        return (landed, distanceKm, -fit, -slack);
    }

    /// <summary>
    /// A lower bound of <see cref="Rank"/>'s landed cost that needs no distance: the price alone per base unit (transport
    /// is never negative, and the arithmetic is the same, so the bound holds exactly in floating point).
    /// </summary>
    public static double LandedLowerBound(LotSummary lot, Unit demand) => LandedLowerBound(lot.UnitPriceMinor, (double)LotUnitsPerDemandUnit(lot.Unit, demand), BaseUnitsPer(demand));

    /// <summary>
    /// <see cref="LandedLowerBound(LotSummary, Unit)"/> from its parts, for callers that compute the unit factors once
    /// per demand: <paramref name="lotUnitsPerDemandUnit"/> = (double)<see cref="LotUnitsPerDemandUnit"/>,
    /// <paramref name="baseUnitsPerDemandUnit"/> = <see cref="BaseUnitsPer"/>; a transport bound tightens it (it must
    /// not exceed the real estimate by more than rounding, which a bound with a few per cent to spare ensures).
    /// </summary>
    /// <param name="priceMinor">The lot's price per lot unit, minor units.</param>
    /// <param name="lotUnitsPerDemandUnit">Lot units in one demand unit.</param>
    /// <param name="baseUnitsPerDemandUnit">Base units in one demand unit.</param>
    /// <param name="transportLowerBound">A lower bound of the transport estimate per demand unit (0 when unknown).</param>
    public static double LandedLowerBound(long priceMinor, double lotUnitsPerDemandUnit, double baseUnitsPerDemandUnit, double transportLowerBound = 0)
        => ((priceMinor * lotUnitsPerDemandUnit) + transportLowerBound) / baseUnitsPerDemandUnit;

    /// <summary>Base units (kilograms for mass, else the unit itself) in one unit.</summary>
    public static double BaseUnitsPer(Unit unit) => Units.IsMass(unit) ? (double)Units.Convert(1m, unit, Unit.Kg) : 1.0;

    /// <summary>Distance between a lot and a demand, km.</summary>
    public static double DistanceKm(LotSummary lot, DemandSummary demand) => lot.Location.DistanceKm(demand.Location);

    /// <summary>
    /// Whether the lot's seller posted the demand: a firm is never proposed its own lot (it could not hold it:
    /// <c>own-listing</c>), and such a proposal would take the lot's quantity from other firms' demands.
    /// </summary>
    public static bool SameFirm(LotSummary lot, DemandSummary demand) => string.Equals(lot.SellerId, demand.BuyerId, StringComparison.Ordinal);
}
