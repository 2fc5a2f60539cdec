using System.Globalization;

namespace Marketplace.Host.Web;

/// <summary>Money, quantities and dates as the chosen culture writes them (fi: <c>1 234,50 €</c>, en: <c>€1,234.50</c>).</summary>
public static class Formats
{
    /// <summary>
    /// A number as a person types it: a decimal comma or point, and spaces (also the no-break spaces the pages print
    /// between thousands, "1 000") between digits; null when it is not a number.
    /// </summary>
    public static decimal? ParseNumber(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed))
        {
            return null;
        }

        // char.IsWhiteSpace covers the no-break spaces (U+00A0, U+202F) too.
        var plain = new string(typed.Where(c => !char.IsWhiteSpace(c)).ToArray()).Replace(',', '.');
        return decimal.TryParse(plain, NumberStyles.Number & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>Minor units of a currency in the current culture.</summary>
    public static string Money(long minorUnits, string currency)
    {
        var format = (NumberFormatInfo)CultureInfo.CurrentCulture.NumberFormat.Clone();
        format.CurrencySymbol = currency == "EUR" ? "€" : currency;
        return (minorUnits / 100m).ToString("C2", format);
    }

    /// <summary>
    /// Euros as a person typed them, in cents (rounded to the cent); null when the amount is beyond any price (more than
    /// <see cref="MaxEuros"/>), which would overflow the arithmetic: the form says so next to the field instead.
    /// </summary>
    public static long? Cents(decimal euros) => Math.Abs(euros) <= MaxEuros ? (long)decimal.Round(euros * 100) : null;

    /// <summary>The largest amount a form turns into cents: far above the API's own price limits.</summary>
    public const decimal MaxEuros = 1_000_000_000_000m;

    /// <summary>A quantity with at most three decimals, and its unit as the culture writes it.</summary>
    public static string Quantity(decimal quantity, string unit)
        => quantity.ToString("#,0.###", CultureInfo.CurrentCulture) + " " + Unit(unit);

    /// <summary>
    /// A unit code as people write it: pieces are "kpl" in Finnish and "pcs" in English, square and cubic metres take
    /// their superscripts (the API's codes <c>m2</c>, <c>m3</c> stay plain ASCII); other codes (t, kg, m) are the same in both.
    /// </summary>
    public static string Unit(string unit) => unit switch
    {
        "pcs" => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "fi" ? "kpl" : "pcs",
        "m2" => "m²",
        "m3" => "m³",
        _ => unit,
    };

    /// <summary>A number with the given decimals.</summary>
    public static string Number(double value, int decimals = 1)
        => value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.CurrentCulture);

    /// <summary>A day in the culture's short date format.</summary>
    public static string Date(DateOnly day) => day.ToString("d", CultureInfo.CurrentCulture);

    /// <summary>An instant in the marketplace's time zone (Finland), date and time.</summary>
    public static string Instant(DateTimeOffset at)
        => TimeZoneInfo.ConvertTime(at, Helsinki).ToString("g", CultureInfo.CurrentCulture);

    /// <summary>The value of an HTML <c>datetime-local</c> input for an instant, in Finnish time.</summary>
    public static string LocalInput(DateTimeOffset at)
        => TimeZoneInfo.ConvertTime(at, Helsinki).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    /// <summary>An instant as Finnish wall-clock time, for a <c>datetime-local</c> input bound to a <see cref="DateTime"/>.</summary>
    public static DateTime ToLocal(DateTimeOffset at) => DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(at, Helsinki).DateTime, DateTimeKind.Unspecified);

    /// <summary>Reads an HTML <c>datetime-local</c> value as Finnish time.</summary>
    public static DateTimeOffset? FromLocalInput(DateTime? local)
        => local is not { } value ? null
            // At the calendar's ends Finland's offset would leave it (year 1 at +02:00 throws): such a time goes on as
            // UTC, and the API's own checks refuse it next to the field like any time out of range.
            : value.Year is > 1 and < 9999 ? new DateTimeOffset(value, Helsinki.GetUtcOffset(value))
            : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Unspecified), TimeSpan.Zero);

    /// <summary>Finland's time zone, where the marketplace's people work.</summary>
    public static TimeZoneInfo Helsinki { get; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");
}
