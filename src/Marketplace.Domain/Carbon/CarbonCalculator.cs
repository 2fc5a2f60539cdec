using Marketplace.Domain.Common;

namespace Marketplace.Domain.Carbon;

/// <summary>
/// The reuse method of <c>docs/carbon.md</c> over one emission-factor file, in exact decimal arithmetic:
/// virgin = mass × factor × substitution × (1 − deadweight) × attribution; transport = km × tonnes × transport factor;
/// avoided = virgin − transport − refurbishment. Each term is rounded to the gram (half away from zero) before the
/// subtraction, so the stored terms always add up to the stored net.
/// </summary>
public sealed class CarbonCalculator(EmissionFactors factors) : ICarbonCalculator
{
    /// <summary>Largest mass one figure covers, kg (a million tonnes): keeps every product far inside decimal's range.</summary>
    public const decimal MaxMassKg = 1_000_000_000m;

    /// <summary>Longest transport distance one figure takes, km.</summary>
    public const decimal MaxTransportKm = 100_000m;

    /// <summary>Largest declared refurbishment, kgCO2e.</summary>
    public const decimal MaxRefurbishmentKgCo2e = 10_000_000_000m;

    /// <summary>The data file this calculator uses.</summary>
    public EmissionFactors Factors => factors;

    /// <inheritdoc />
    public CarbonFigure Calculate(CarbonInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var material = factors.MaterialFor(input.Category);
        var substitution = factors.SubstitutionFor(input.Condition);
        var v = new Validation()
            .Require(material is not null, "category", $"The emission-factor file (version {factors.Version}) has no factor for category '{input.Category}'.")
            .Require(substitution is not null, "condition", "The condition must be A, B or C.")
            .Require(input.MassKg is >= 0m and <= MaxMassKg, "massKg", $"The mass must be from 0 to {MaxMassKg:0} kg.")
            .Require(input.TransportKm is >= 0m and <= MaxTransportKm, "transportKm", $"The transport distance must be from 0 to {MaxTransportKm:0} km.")
            .Require(input.RefurbishmentKgCo2e is >= 0m and <= MaxRefurbishmentKgCo2e, "refurbishmentKgCo2e",
                $"The declared refurbishment must be from 0 to {MaxRefurbishmentKgCo2e:0} kgCO2e.");
        v.ThrowIfInvalid("The carbon figure cannot be computed from this input.");

        var reporting = factors.Reporting;
        var gross = input.MassKg * material!.KgCo2ePerKg * substitution!.Ratio;
        var virgin = Gram(gross * (1m - reporting.Deadweight) * reporting.AttributionShare);
        var transport = Gram(input.TransportKm * (input.MassKg / 1000m) * factors.Transport.KgCo2ePerTonneKm);
        var refurbishment = Gram(input.RefurbishmentKgCo2e);
        return new CarbonFigure(virgin - transport - refurbishment, virgin, transport, refurbishment, input.MassKg, factors.Version,
            [material.Id, substitution.Id, factors.Transport.Id, reporting.Id]);
    }

    private static decimal Gram(decimal kg) => Math.Round(kg, 3, MidpointRounding.AwayFromZero);
}
