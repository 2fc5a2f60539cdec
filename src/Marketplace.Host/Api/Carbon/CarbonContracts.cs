using System.Globalization;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Microsoft.AspNetCore.Mvc;

namespace Marketplace.Host.Api.Carbon;

/// <summary>One slice of carbon totals.</summary>
/// <param name="Month">Calendar month (<c>yyyy-MM</c>, Helsinki time), or null when not sliced by month.</param>
/// <param name="Category">Taxonomy slug, or null when not sliced by category.</param>
/// <param name="Municipality">Municipality of the lots, or null when not sliced by municipality.</param>
/// <param name="Orders">Completed orders counted.</param>
/// <param name="TonnesReused">Mass reused, tonnes.</param>
/// <param name="AvoidedKgCo2e">Net CO2e avoided, kg (negative orders included).</param>
/// <param name="NegativeOrders">Orders whose figure was negative.</param>
public sealed record CarbonTotalDto(string? Month, string? Category, string? Municipality, int Orders, decimal TonnesReused, decimal AvoidedKgCo2e, int NegativeOrders)
{
    /// <summary>Maps a domain slice.</summary>
    public static CarbonTotalDto From(CarbonTotal t) => new(t.Month, t.Category, t.Municipality, t.Orders, t.TonnesReused, t.AvoidedKgCo2e, t.NegativeOrders);
}

/// <summary>A ledger's totals: the region's or one firm's.</summary>
/// <param name="Ledger"><c>region</c>, or the firm's id.</param>
/// <param name="Overall">Everything counted.</param>
/// <param name="ByMonth">Per month, oldest first.</param>
/// <param name="ByMonthAndCategory">Per month and category.</param>
/// <param name="ByCategory">Per category.</param>
/// <param name="ByMunicipality">Per municipality of the lots.</param>
/// <param name="DataVersions">Emission-factor file versions of the figures counted.</param>
/// <param name="Method">Where the method is described.</param>
public sealed record CarbonTotalsResponse(string Ledger, CarbonTotalDto Overall, IReadOnlyList<CarbonTotalDto> ByMonth,
    IReadOnlyList<CarbonTotalDto> ByMonthAndCategory, IReadOnlyList<CarbonTotalDto> ByCategory, IReadOnlyList<CarbonTotalDto> ByMunicipality,
    IReadOnlyList<string> DataVersions, string Method)
{
    /// <summary>Maps a ledger's totals.</summary>
    public static CarbonTotalsResponse From(string ledger, CarbonTotals t)
        => new(ledger, CarbonTotalDto.From(t.Overall), [.. t.ByMonth.Select(CarbonTotalDto.From)], [.. t.ByMonthAndCategory.Select(CarbonTotalDto.From)],
            [.. t.ByCategory.Select(CarbonTotalDto.From)], [.. t.ByMunicipality.Select(CarbonTotalDto.From)], t.DataVersions, CarbonEstimates.MethodDocument);
}

/// <summary>The emission-factor file in use, with every row's source and licence.</summary>
public sealed record CarbonFactorsResponse(string Version, IReadOnlyList<MaterialFactor> Materials, TransportFactor Transport,
    IReadOnlyList<SubstitutionRatio> Substitution, ReportingShares Reporting, string Method)
{
    /// <summary>Maps the file.</summary>
    public static CarbonFactorsResponse From(EmissionFactors f)
        => new(f.Version, f.Materials, f.Transport, f.Substitution, f.Reporting, CarbonEstimates.MethodDocument);
}

/// <summary>What reusing a material is estimated to avoid, before transport.</summary>
/// <param name="Category">Taxonomy slug.</param>
/// <param name="Condition">Condition grade.</param>
/// <param name="Unit">Unit the quantity is in.</param>
/// <param name="Quantity">Quantity estimated.</param>
/// <param name="MassPerUnitKg">Mass of one unit, kg.</param>
/// <param name="PerUnitKgCo2e">CO2e avoided per unit, kg.</param>
/// <param name="TotalKgCo2e">CO2e avoided by the whole quantity, kg.</param>
/// <param name="TotalMassKg">Mass of the whole quantity, kg.</param>
/// <param name="DataVersion">Emission-factor file version.</param>
/// <param name="FactorIds">Rows used.</param>
/// <param name="ExcludesTransport">Always true: transport depends on the buyer's distance and is netted out when an order completes.</param>
/// <param name="Note">The same, in words.</param>
public sealed record CarbonEstimateResponse(string Category, string Condition, string Unit, decimal Quantity, decimal MassPerUnitKg,
    decimal PerUnitKgCo2e, decimal TotalKgCo2e, decimal TotalMassKg, string DataVersion, IReadOnlyList<string> FactorIds, bool ExcludesTransport, string Note);

/// <summary>A lot's estimate per unit, shown before anyone buys.</summary>
/// <param name="PerUnitKgCo2e">CO2e one unit of the lot avoids, kg, before transport.</param>
/// <param name="Unit">The lot's unit.</param>
/// <param name="DataVersion">Emission-factor file version.</param>
/// <param name="FactorIds">Rows used.</param>
/// <param name="ExcludesTransport">Always true.</param>
public sealed record LotCarbonDto(decimal PerUnitKgCo2e, string Unit, string DataVersion, IReadOnlyList<string> FactorIds, bool ExcludesTransport = true);

/// <summary>Query parameters of <c>GET /api/v1/carbon/estimate</c>, taken as text and checked here so every mistake gets a clear answer.</summary>
/// <param name="Category">Taxonomy slug (required).</param>
/// <param name="Condition">Condition grade A, B or C (default A).</param>
/// <param name="Quantity">Quantity in <paramref name="Unit"/> (default 1).</param>
/// <param name="Unit">Unit code: kg, t, m, m2, m3, pcs (default kg).</param>
/// <param name="MassPerUnitKg">Mass of one unit in kg; for units that are not mass, default the taxonomy's typical mass.</param>
public sealed record CarbonEstimateParameters(
    [FromQuery(Name = "category")] string? Category,
    [FromQuery(Name = "condition")] string? Condition,
    [FromQuery(Name = "quantity")] string? Quantity,
    [FromQuery(Name = "unit")] string? Unit,
    [FromQuery(Name = "massPerUnitKg")] string? MassPerUnitKg);

/// <summary>Estimates before transport, for the estimate endpoint and a lot's page.</summary>
public static class CarbonEstimates
{
    /// <summary>Where the method is described.</summary>
    public const string MethodDocument = "docs/carbon.md";

    /// <summary>Largest quantity an estimate takes.</summary>
    public const decimal MaxQuantity = 1_000_000_000m;

    /// <summary>Largest mass per unit an estimate takes, kg.</summary>
    public const decimal MaxMassPerUnitKg = 1_000_000m;

    /// <summary>Why transport is left out, in words.</summary>
    public const string TransportNote = "Excludes transport, which depends on the distance to the buyer: the figure stored when an order completes nets it out. Excludes refurbishment, which the seller declares at the order.";

    /// <summary>The estimate per unit of a lot, or null when its mass per unit is unknown.</summary>
    public static LotCarbonDto? ForLot(ListingDetails lot, ICarbonCalculator calculator, MaterialTaxonomy taxonomy)
    {
        if (!Units.TryParse(lot.Unit, out var unit) || MassPerUnit(unit.Value, lot.MassPerUnitKg, lot.Category, taxonomy) is not { } perUnit)
        {
            return null;
        }

        try
        {
            var figure = calculator.Calculate(new CarbonInput(lot.Category, lot.Condition, perUnit, 0m));
            return new LotCarbonDto(figure.VirginKgCo2e, unit.Value.Code(), figure.DataVersion, figure.FactorIds);
        }
        catch (DomainException)
        {
            // A stored lot is always readable: one whose figure cannot be computed (a mass stored before masses were
            // bounded, a category without a factor) is shown without it.
            return null;
        }
    }

    /// <summary>Reads and checks the estimate parameters, then estimates: 400 for text that is not a number, 422 for values out of range.</summary>
    public static CarbonEstimateResponse Estimate(CarbonEstimateParameters p, ICarbonCalculator calculator, MaterialTaxonomy taxonomy)
    {
        var quantity = Number(p.Quantity, "quantity") ?? 1m;
        var givenMass = Number(p.MassPerUnitKg, "massPerUnitKg");
        var category = p.Category?.Trim();
        var condition = string.IsNullOrWhiteSpace(p.Condition) ? "A" : p.Condition.Trim();
        var v = new Domain.Common.Validation();
        var known = taxonomy.Find(category);
        v.Require(known is not null, "category", string.IsNullOrEmpty(category) ? "The category is required (a slug from GET /api/v1/materials)." : $"Unknown category '{category}': see GET /api/v1/materials.");
        v.Require(ConditionGrades.IsGrade(condition), "condition", "The condition must be A, B or C.");
        v.Require(quantity is > 0m and <= MaxQuantity, "quantity", $"The quantity must be above 0 and at most {MaxQuantity:0}.");
        v.Require(givenMass is null or (> 0m and <= MaxMassPerUnitKg), "massPerUnitKg", $"The mass per unit must be above 0 and at most {MaxMassPerUnitKg:0} kg.");
        Unit? unit = null;
        if (Units.TryParse(string.IsNullOrWhiteSpace(p.Unit) ? "kg" : p.Unit.Trim(), out var parsed))
        {
            unit = parsed;
            v.Require(known is null || known.Allows(parsed.Value) || Units.IsMass(parsed.Value), "unit",
                $"Category '{category}' is not traded in {parsed.Value.Code()}; it takes {string.Join(", ", known?.Units.Select(u => u.Code()) ?? [])}.");
        }
        else
        {
            v.Add("unit", $"The unit must be one of {string.Join(", ", Units.Codes)}.");
        }

        v.ThrowIfInvalid("The estimate cannot be made from these parameters.");
        var perUnit = MassPerUnit(unit!.Value, givenMass, category!, taxonomy);
        if (perUnit is null)
        {
            throw Domain.Common.DomainException.Invalid("massPerUnitKg",
                $"Category '{category}' has no typical mass per {unit.Value.Code()}: give massPerUnitKg.");
        }

        var one = calculator.Calculate(new CarbonInput(category!, condition, perUnit.Value, 0m));
        var all = calculator.Calculate(new CarbonInput(category!, condition, perUnit.Value * quantity, 0m));
        return new CarbonEstimateResponse(category!, condition, unit.Value.Code(), quantity, perUnit.Value, one.VirginKgCo2e, all.VirginKgCo2e,
            all.MassKg, all.DataVersion, all.FactorIds, true, TransportNote);
    }

    /// <summary>Mass of one unit: fixed for kg and t, else the given mass, else the taxonomy's typical mass for the unit (or an ancestor's).</summary>
    private static decimal? MassPerUnit(Unit unit, decimal? given, string category, MaterialTaxonomy taxonomy)
    {
        if (Units.IsMass(unit))
        {
            return new Quantity(1m, unit).MassKg(null);
        }

        if (given is not null)
        {
            return given;
        }

        for (var c = taxonomy.Find(category); c is not null; c = taxonomy.Find(c.ParentId))
        {
            if (c.MassPerUnitKg.TryGetValue(unit, out var typical))
            {
                return typical;
            }
        }

        return null;
    }

    private static decimal? Number(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadHttpRequestException($"{field} must be a number such as 12.5 (a point for decimals), not '{text}'.");
    }
}
