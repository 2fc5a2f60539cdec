using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Matching;

/// <summary>What the matcher needs to know of an open lot.</summary>
/// <param name="Id">Listing id.</param>
/// <param name="SellerId">Seller.</param>
/// <param name="Category">Category id.</param>
/// <param name="Unit">The lot's unit.</param>
/// <param name="Available">Quantity free now, in the lot's unit (at most three decimals).</param>
/// <param name="MassPerUnitKg">Mass of one unit, for transport estimates of non-mass units; null when unknown.</param>
/// <param name="ConditionRank">A = 3, B = 2, C = 1.</param>
/// <param name="UnitPriceMinor">Price per unit of the lot, minor units.</param>
/// <param name="Location">Where the lot is.</param>
/// <param name="Window">When it can be collected (inclusive).</param>
/// <param name="Currency">The price's ISO 4217 currency; a lot meets only demands in the same currency.</param>
public sealed record LotSummary(string Id, string SellerId, string Category, Unit Unit, decimal Available, decimal? MassPerUnitKg,
    int ConditionRank, long UnitPriceMinor, GeoPoint Location, DateWindow Window, string Currency = Money.DefaultCurrency);

/// <summary>What the matcher needs to know of an open demand.</summary>
/// <param name="Id">Demand id.</param>
/// <param name="BuyerId">Buyer.</param>
/// <param name="Category">Category id at any level; lots in it or below match.</param>
/// <param name="Unit">The demand's unit.</param>
/// <param name="Quantity">Quantity still wanted, in the demand's unit.</param>
/// <param name="MinPart">Smallest acceptable part, in the demand's unit.</param>
/// <param name="MinConditionRank">Lowest acceptable condition rank.</param>
/// <param name="MaxUnitPriceMinor">Highest acceptable price per demand unit, minor units; null for any.</param>
/// <param name="Location">Where the material is needed.</param>
/// <param name="RadiusKm">Largest distance to a lot.</param>
/// <param name="Window">When it is needed (inclusive).</param>
/// <param name="Currency">The currency the buyer pays in (its highest price's, else the marketplace's default).</param>
public sealed record DemandSummary(string Id, string BuyerId, string Category, Unit Unit, decimal Quantity, decimal MinPart,
    int MinConditionRank, long? MaxUnitPriceMinor, GeoPoint Location, double RadiusKm, DateWindow Window, string Currency = Money.DefaultCurrency);

/// <summary>A proposed deal: part of a lot for a demand, with what ranked it.</summary>
/// <param name="LotId">The lot.</param>
/// <param name="DemandId">The demand.</param>
/// <param name="Quantity">Proposed quantity, in the demand's unit.</param>
/// <param name="LandedCostMinor">Price plus transport estimate per demand unit, minor units.</param>
/// <param name="DistanceKm">Lot to demand, km.</param>
public sealed record Proposal(string LotId, string DemandId, decimal Quantity, double LandedCostMinor, double DistanceKm);
