using System.Collections.Frozen;

namespace Marketplace.Domain.Traders;

/// <summary>
/// The international bank account number (ISO 13616): country code, two check digits (mod 97) and the country's basic
/// account number, of a length fixed per country.
/// </summary>
public static class Iban
{
    /// <summary>Longest IBAN of any country (ISO 13616).</summary>
    public const int MaxLength = 34;

    /// <summary>
    /// IBAN length by country, from the SWIFT IBAN registry: every SEPA country (Åland, the French overseas departments
    /// and the like use their own code with the parent's format) and a few trading partners. Other countries are held
    /// to the standard's bounds (15–34) and the check digits only.
    /// </summary>
    public static readonly FrozenDictionary<string, int> Lengths = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AT"] = 20, ["AX"] = 18, ["BE"] = 16, ["BG"] = 22, ["BL"] = 27, ["CH"] = 21, ["CY"] = 28,
        ["CZ"] = 24, ["DE"] = 22, ["DK"] = 18, ["EE"] = 20, ["ES"] = 24, ["FI"] = 18, ["FO"] = 18, ["FR"] = 27,
        ["GB"] = 22, ["GF"] = 27, ["GG"] = 22, ["GI"] = 23, ["GL"] = 18, ["GP"] = 27, ["GR"] = 27, ["HR"] = 21,
        ["HU"] = 28, ["IE"] = 22, ["IM"] = 22, ["IS"] = 26, ["IT"] = 27, ["JE"] = 22, ["LI"] = 21, ["LT"] = 20,
        ["LU"] = 20, ["LV"] = 21, ["MC"] = 27, ["MF"] = 27, ["MQ"] = 27, ["MT"] = 31, ["NL"] = 18, ["NO"] = 15,
        ["PL"] = 28, ["PM"] = 27, ["PT"] = 25, ["RE"] = 27, ["RO"] = 24, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24,
        ["SM"] = 27, ["VA"] = 22, ["YT"] = 27, ["UA"] = 29, ["TR"] = 26,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The electronic form: spaces removed, letters upper-case (<c>FI21 1234 5600 0007 85</c> → <c>FI2112345600000785</c>).</summary>
    public static string Normalize(string value) => string.Concat(value.Where(c => c != ' ')).ToUpperInvariant();

    /// <summary>
    /// Why the IBAN (in electronic or printed form) is not valid, or null when it is: shape, the country's length and
    /// the mod-97 check digits.
    /// </summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "An IBAN is required.";
        }

        var iban = Normalize(value);
        if (iban.Length < 15 || iban.Length > MaxLength || !iban.All(char.IsAsciiLetterOrDigit)
            || !char.IsAsciiLetterUpper(iban[0]) || !char.IsAsciiLetterUpper(iban[1]) || !char.IsAsciiDigit(iban[2]) || !char.IsAsciiDigit(iban[3]))
        {
            return "An IBAN is a country code, two check digits and the account number (15–34 letters and digits), e.g. FI21 1234 5600 0007 85.";
        }

        var country = iban[..2];
        if (Lengths.TryGetValue(country, out var length) && iban.Length != length)
        {
            return $"An IBAN of {country} has {length} characters (this one has {iban.Length}).";
        }

        return Mod97(iban) == 1 ? null : "The IBAN's check digits do not match its account number.";
    }

    /// <summary>
    /// The IBAN of <paramref name="country"/>'s basic account number <paramref name="bban"/> (digits and upper-case
    /// letters): the two check digits computed, e.g. <c>("FI", "12345600000785")</c> → <c>FI2112345600000785</c>.
    /// </summary>
    public static string Of(string country, string bban) => $"{country}{98 - Mod97(country + "00" + bban):00}{bban}";

    /// <summary>True when <see cref="Problem"/> finds nothing wrong.</summary>
    public static bool IsValid(string? value) => Problem(value) is null;

    /// <summary>ISO 7064 mod 97-10 of the IBAN rearranged (first four characters moved to the end, letters as 10–35).</summary>
    private static int Mod97(string iban)
    {
        var remainder = 0;
        foreach (var c in iban[4..] + iban[..4])
        {
            remainder = char.IsAsciiDigit(c)
                ? ((remainder * 10) + (c - '0')) % 97
                : ((remainder * 100) + (c - 'A' + 10)) % 97;
        }

        return remainder;
    }
}
