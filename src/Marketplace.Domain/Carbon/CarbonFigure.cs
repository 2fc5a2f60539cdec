namespace Marketplace.Domain.Carbon;

/// <summary>What the carbon method needs about one reuse.</summary>
/// <param name="Category">Taxonomy slug of the material.</param>
/// <param name="Condition">Condition grade A, B or C (sets the substitution ratio).</param>
/// <param name="MassKg">Mass reused, kg.</param>
/// <param name="TransportKm">Distance carried from the lot to the buyer, km (0 when unknown or collected on foot).</param>
/// <param name="RefurbishmentKgCo2e">Emissions of refurbishment the seller declared, kgCO2e (0 when none).</param>
public sealed record CarbonInput(string Category, string Condition, decimal MassKg, decimal TransportKm, decimal RefurbishmentKgCo2e = 0);

/// <summary>
/// The CO2e a reuse avoided, with the terms that make it up and the data rows used, so that an auditor can recompute
/// it and a later data version never rewrites it. Avoided may be negative (transport ate the benefit): stored as is.
/// </summary>
/// <param name="AvoidedKgCo2e">Net CO2e avoided, kg (may be negative).</param>
/// <param name="VirginKgCo2e">Virgin production avoided: mass × factor × substitution (× attribution − deadweight where configured).</param>
/// <param name="TransportKgCo2e">Transport emissions netted out: tonne-km × transport factor.</param>
/// <param name="RefurbishmentKgCo2e">Declared refurbishment emissions netted out.</param>
/// <param name="MassKg">Mass reused, kg.</param>
/// <param name="DataVersion">Version of the emission-factor file used.</param>
/// <param name="FactorIds">Ids of the factor rows used (material, transport, substitution).</param>
public sealed record CarbonFigure(decimal AvoidedKgCo2e, decimal VirginKgCo2e, decimal TransportKgCo2e, decimal RefurbishmentKgCo2e,
    decimal MassKg, string DataVersion, IReadOnlyList<string> FactorIds)
{
    /// <summary>True when the reuse emitted more than it avoided.</summary>
    public bool IsNegative => AvoidedKgCo2e < 0;
}

/// <summary>Computes avoided CO2e from the current emission-factor data file.</summary>
public interface ICarbonCalculator
{
    /// <summary>The figure for one reuse; throws a domain error for a category the data file has no factor for.</summary>
    CarbonFigure Calculate(CarbonInput input);
}
