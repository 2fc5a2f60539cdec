namespace Marketplace.Domain.Materials;

/// <summary>An amount of material with its unit.</summary>
public readonly record struct Quantity(decimal Amount, Unit Unit)
{
    /// <summary>The same amount in another unit; kg and t convert, other units only to themselves.</summary>
    public Quantity In(Unit unit) => new(Units.Convert(Amount, Unit, unit), unit);

    /// <summary>Mass in kilograms, from the unit itself or a mass per unit.</summary>
    public decimal? MassKg(decimal? massPerUnitKg) => Unit switch
    {
        Unit.Kg => Amount,
        Unit.T => Amount * 1000m,
        _ => massPerUnitKg * Amount,
    };

    /// <inheritdoc />
    public override string ToString() => $"{Amount} {Unit.Code()}";
}
