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
    /// True for a currency the marketplace can price in: an active ISO 4217 code of a currency with two decimals. Every
    /// amount is kept in hundredths and shown, invoiced and paid as such, so a currency with none (JPY), three (BHD) or
    /// four, the X codes that are no money to trade in (XXX "no currency", XAU gold, XTS testing…) and codes that name no
    /// currency at all (QQQ) are refused rather than priced, ordered and invoiced.
    /// </summary>
    public static bool IsCurrencyCode(string? code) => code is { Length: 3 } && InHundredths.Contains(code);

    /// <summary>Active ISO 4217 codes whose minor unit is a hundredth (list one, 2025; withdrawn codes such as HRK left out).</summary>
    private static readonly HashSet<string> InHundredths = new(StringComparer.Ordinal)
    {
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BOV",
        "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
        "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL",
        "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
        "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
        "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK",
        "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS",
        "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    };

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
