using System.Diagnostics.CodeAnalysis;

namespace Marketplace.Domain.Materials;

/// <summary>A unit of measure a lot is traded in.</summary>
public enum Unit
{
    /// <summary>Kilogram.</summary>
    Kg,

    /// <summary>Tonne (1,000 kg).</summary>
    T,

    /// <summary>Metre (length, e.g. beams).</summary>
    M,

    /// <summary>Square metre.</summary>
    M2,

    /// <summary>Cubic metre.</summary>
    M3,

    /// <summary>Pieces.</summary>
    Pcs,
}

/// <summary>Unit codes as they appear in the API and the taxonomy file, and conversions between units.</summary>
public static class Units
{
    private static readonly Dictionary<string, Unit> ByCode = new(StringComparer.OrdinalIgnoreCase)
    {
        ["kg"] = Unit.Kg, ["t"] = Unit.T, ["m"] = Unit.M, ["m2"] = Unit.M2, ["m3"] = Unit.M3, ["pcs"] = Unit.Pcs,
    };

    /// <summary>All unit codes, in a stable order.</summary>
    public static IReadOnlyList<string> Codes { get; } = ["kg", "t", "m", "m2", "m3", "pcs"];

    /// <summary>The API code of a unit, e.g. <c>m2</c>.</summary>
    public static string Code(this Unit unit) => unit switch
    {
        Unit.Kg => "kg",
        Unit.T => "t",
        Unit.M => "m",
        Unit.M2 => "m2",
        Unit.M3 => "m3",
        Unit.Pcs => "pcs",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    /// <summary>Parses an API unit code.</summary>
    public static bool TryParse(string? code, [NotNullWhen(true)] out Unit? unit)
    {
        if (code is not null && ByCode.TryGetValue(code, out var found))
        {
            unit = found;
            return true;
        }

        unit = null;
        return false;
    }

    /// <summary>True when an amount in one unit can be expressed in the other (same unit, or kg and t).</summary>
    public static bool Converts(Unit from, Unit to) => from == to || (IsMass(from) && IsMass(to));

    /// <summary>True for kg and t.</summary>
    public static bool IsMass(Unit unit) => unit is Unit.Kg or Unit.T;

    /// <summary>Converts an amount between convertible units.</summary>
    public static decimal Convert(decimal amount, Unit from, Unit to)
    {
        if (from == to)
        {
            return amount;
        }

        return (from, to) switch
        {
            (Unit.Kg, Unit.T) => amount / 1000m,
            (Unit.T, Unit.Kg) => amount * 1000m,
            _ => throw new InvalidOperationException($"{from.Code()} does not convert to {to.Code()}."),
        };
    }
}
