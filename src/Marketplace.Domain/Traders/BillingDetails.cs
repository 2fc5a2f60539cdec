using Marketplace.Domain.Common;

namespace Marketplace.Domain.Traders;

/// <summary>The rules for a firm's billing details (<see cref="TraderBilling"/>): shapes, check digits and lengths.</summary>
public static class BillingDetails
{
    /// <summary>Longest billing street address.</summary>
    public const int MaxAddressLength = 200;

    /// <summary>Longest post office name.</summary>
    public const int MaxPostOfficeLength = 100;

    /// <summary>Longest e-invoice operator code (Finvoice's intermediator identifier is at most 35 characters).</summary>
    public const int MaxOperatorLength = 35;

    /// <summary>No billing details at all.</summary>
    public static readonly TraderBilling Empty = new(null, null, null, null, null, null, null, null);

    /// <summary>
    /// Validates and normalises billing details into <paramref name="v"/> (fields <c>billing.*</c>): text trimmed, empty
    /// text as absent (nothing left: no details), IBAN and e-invoice address in electronic form (no spaces, upper case), BIC and operator upper case.
    /// </summary>
    public static TraderBilling? Validate(TraderBilling? billing, Validation v)
    {
        if (billing is null)
        {
            return null;
        }

        var b = new TraderBilling(
            Iban: Compact(billing.Iban),
            Bic: Compact(billing.Bic),
            Address: Clean(billing.Address),
            PostalCode: Clean(billing.PostalCode),
            PostOffice: Clean(billing.PostOffice),
            InvoiceEmail: Clean(billing.InvoiceEmail),
            EInvoiceAddress: Compact(billing.EInvoiceAddress),
            EInvoiceOperator: Compact(billing.EInvoiceOperator));
        if (b == Empty)
        {
            return null;
        }

        if (b.Iban is not null && Iban.Problem(b.Iban) is { } ibanProblem)
        {
            v.Add("billing.iban", ibanProblem);
        }

        v.Require(b.Bic is null || IsBic(b.Bic), "billing.bic",
            "A BIC is 8 or 11 letters and digits: bank (4 letters), country (2 letters), location (2) and optional branch (3), e.g. NDEAFIHH.");
        v.Text(b.Address, "billing.address", MaxAddressLength, required: false);
        v.Require(b.PostalCode is null || (b.PostalCode.Length == 5 && b.PostalCode.All(char.IsAsciiDigit)), "billing.postalCode",
            "A Finnish postal code has five digits, e.g. 00100.");
        v.Text(b.PostOffice, "billing.postOffice", MaxPostOfficeLength, required: false);
        v.Require(b.InvoiceEmail is null || Trader.IsEmail(b.InvoiceEmail), "billing.invoiceEmail", "The invoice email address is not valid.");
        v.Require(b.EInvoiceAddress is null || IsOvtCode(b.EInvoiceAddress) || Iban.IsValid(b.EInvoiceAddress), "billing.eInvoiceAddress",
            "An e-invoice address is an OVT code (0037, the eight digits of a valid business id, an optional suffix of up to five letters or digits, e.g. 003715728600) or an IBAN.");
        v.Require(b.EInvoiceOperator is null || IsOperatorCode(b.EInvoiceOperator), "billing.eInvoiceOperator",
            $"An e-invoice operator code is 3–{MaxOperatorLength} letters and digits, e.g. 003723327487 or NDEAFIHH.");
        v.Require(b.EInvoiceAddress is null == b.EInvoiceOperator is null, b.EInvoiceAddress is null ? "billing.eInvoiceAddress" : "billing.eInvoiceOperator",
            "An e-invoice address and its operator code are given together.");
        return b;
    }

    /// <summary>True for a BIC (ISO 9362): 4 letters, 2 letters of country, 2 letters or digits, optionally 3 more.</summary>
    public static bool IsBic(string value)
        => value.Length is 8 or 11 && value.All(char.IsAsciiLetterOrDigit)
            && value[..6].All(char.IsAsciiLetterUpper) && value[6..].All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c));

    /// <summary>
    /// True for a Finnish OVT code: <c>0037</c>, the business id's eight digits without the hyphen (with a valid check
    /// digit) and an optional suffix of up to five letters or digits (a unit of the firm).
    /// </summary>
    public static bool IsOvtCode(string value)
        => value.Length is >= 12 and <= 17 && value.StartsWith("0037", StringComparison.Ordinal)
            && value[4..12].All(char.IsAsciiDigit) && BusinessId.IsValid($"{value[4..11]}-{value[11]}")
            && value[12..].All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c));

    /// <summary>True for an e-invoice operator code: an OVT code, a BIC or another identifier of 3–35 letters and digits.</summary>
    public static bool IsOperatorCode(string value)
        => value.Length is >= 3 and <= MaxOperatorLength && value.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c));

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Compact(string? value) => string.IsNullOrWhiteSpace(value) ? null : Iban.Normalize(value.Trim());
}
