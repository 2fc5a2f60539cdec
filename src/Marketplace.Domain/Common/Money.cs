namespace Marketplace.Domain.Common;

/// <summary>An amount of money in integer minor units (cents) of an ISO 4217 currency.</summary>
public readonly record struct Money(long MinorUnits, string Currency)
{
    /// <summary>The marketplace's default currency.</summary>
    public const string DefaultCurrency = "EUR";

    /// <summary>
    /// Highest price the marketplace takes, minor units: 1e11 (a billion euros per unit). Far above any real lot, and
    /// small enough that a price times a unit factor (at most 1e6 milli-kilograms per tonne) never nears a long's range.
    /// </summary>
    public const long MaxMinorUnits = 100_000_000_000;

    /// <summary>Zero euros.</summary>
    public static Money Zero => new(0, DefaultCurrency);

    /// <summary>An amount in euro cents.</summary>
    public static Money Eur(long cents) => new(cents, DefaultCurrency);

    /// <summary>
    /// True for a currency the marketplace can price in: an ISO 4217-shaped code (three upper-case letters) of a
    /// currency with two decimals. Every amount is kept in hundredths and shown, invoiced and paid as such, so a
    /// currency with none (JPY), three (BHD) or four, and the X codes that are no money to trade in (XXX "no currency",
    /// XAU gold, XTS testing, XDR…) are refused rather than printed a hundred times wrong. XCD is an ordinary currency.
    /// </summary>
    public static bool IsCurrencyCode(string? code)
        => code is { Length: 3 } && code.All(c => c is >= 'A' and <= 'Z') && !NotInHundredths.Contains(code) && (code[0] != 'X' || code == "XCD");

    /// <summary>ISO 4217 currencies whose minor unit is not a hundredth (none, thousandths, ten-thousandths).</summary>
    private static readonly HashSet<string> NotInHundredths =
    [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
        "CLF", "UYW",
    ];

    /// <summary>Adds two amounts of the same currency.</summary>
    public static Money operator +(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return new Money(checked(a.MinorUnits + b.MinorUnits), a.Currency);
    }

    /// <summary>Subtracts two amounts of the same currency.</summary>
    public static Money operator -(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return new Money(checked(a.MinorUnits - b.MinorUnits), a.Currency);
    }

    /// <summary>The price of a quantity at this unit price, rounded half away from zero to the minor unit.</summary>
    public Money Times(decimal quantity)
        => new((long)Math.Round(MinorUnits * quantity, MidpointRounding.AwayFromZero), Currency);

    /// <inheritdoc />
    public override string ToString() => $"{MinorUnits / 100m:0.00} {Currency}";

    private static void EnsureSameCurrency(Money a, Money b)
    {
        if (!string.Equals(a.Currency, b.Currency, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}.");
        }
    }
}
