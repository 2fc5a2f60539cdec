using System.Globalization;

namespace Marketplace.Payments.Invoice;

/// <summary>How amounts, rates and dates are written on Finnish invoices: a decimal comma, dates as day.month.year.</summary>
public static class InvoiceFormat
{
    private static readonly NumberFormatInfo Printed = new() { NumberDecimalSeparator = ",", NumberGroupSeparator = " ", NumberGroupSizes = [3] };
    private static readonly NumberFormatInfo Machine = new() { NumberDecimalSeparator = ",", NumberGroupSeparator = "" };

    /// <summary>An amount in minor units as people read it: <c>12 550,00</c> (space between thousands, decimal comma).</summary>
    public static string Amount(long minorUnits) => (minorUnits / 100m).ToString("N2", Printed);

    /// <summary>An amount as Finvoice writes it: <c>12550,00</c> (decimal comma, no grouping).</summary>
    public static string FinvoiceAmount(long minorUnits) => (minorUnits / 100m).ToString("0.00", Machine);

    /// <summary>A rate or quantity with a decimal comma and no trailing zeros: 25.5 → <c>25,5</c>, 24 → <c>24</c>.</summary>
    public static string Decimal(decimal value) => value.ToString("0.######", Machine);

    /// <summary>A date as printed in Finland: <c>29.11.2026</c>.</summary>
    public static string Date(DateOnly date) => date.ToString("d.M.yyyy", CultureInfo.InvariantCulture);

    /// <summary>A date in Finvoice's <c>CCYYMMDD</c> format.</summary>
    public static string FinvoiceDate(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
