using System.Text;

namespace Marketplace.Payments.Invoice;

/// <summary>
/// Payment references a Finnish bank checks: the national reference number (viitenumero: 3–19 base digits and a
/// check digit from the weights 7, 3, 1 repeated from the right) and its international RF creditor reference form
/// (ISO 11649: <c>RF</c>, two mod-97 check digits, the reference).
/// </summary>
public static class ReferenceNumbers
{
    /// <summary>Longest base of a Finnish reference (19 digits + check digit = 20).</summary>
    public const int MaxBaseDigits = 19;

    /// <summary>The Finnish reference for a base of 3–19 digits: the base followed by its 7-3-1 check digit.</summary>
    public static string Finnish(string baseDigits)
    {
        if (baseDigits is not { Length: >= 3 and <= MaxBaseDigits } || !baseDigits.All(char.IsAsciiDigit) || baseDigits.All(c => c == '0'))
        {
            throw new ArgumentException($"A reference base is 3–{MaxBaseDigits} digits, not all zero.", nameof(baseDigits));
        }

        return baseDigits + FinnishCheckDigit(baseDigits);
    }

    /// <summary>True when <paramref name="reference"/> (spaces allowed) is a Finnish reference with a correct check digit.</summary>
    public static bool IsValidFinnish(string? reference)
    {
        var digits = reference?.Replace(" ", "", StringComparison.Ordinal);
        return digits is { Length: >= 4 and <= MaxBaseDigits + 1 } && digits.All(char.IsAsciiDigit) && digits.TrimStart('0').Length > 1
               && FinnishCheckDigit(digits[..^1]) == digits[^1] - '0';
    }

    /// <summary>The RF creditor reference (ISO 11649) for a reference of 1–21 digits or letters, without spaces.</summary>
    public static string Creditor(string reference)
    {
        if (reference is not { Length: >= 1 and <= 21 } || !reference.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException("A creditor reference carries 1–21 letters or digits.", nameof(reference));
        }

        var upper = reference.ToUpperInvariant();
        var check = 98 - Mod97(upper + "RF00");
        return $"RF{check:00}{upper}";
    }

    /// <summary>True when <paramref name="reference"/> (spaces allowed) is an RF creditor reference with correct check digits.</summary>
    public static bool IsValidCreditor(string? reference)
    {
        var r = reference?.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        return r is { Length: >= 5 and <= 25 } && r.StartsWith("RF", StringComparison.Ordinal) && char.IsAsciiDigit(r[2]) && char.IsAsciiDigit(r[3])
               && r[4..].All(char.IsAsciiLetterOrDigit) && Mod97(r[4..] + r[..4]) == 1;
    }

    /// <summary>A reference printed in groups of five from the right (Finnish) or four from the left (RF), as banks show them.</summary>
    public static string Grouped(string reference)
    {
        var sb = new StringBuilder();
        if (reference.StartsWith("RF", StringComparison.OrdinalIgnoreCase))
        {
            for (var i = 0; i < reference.Length; i += 4)
            {
                sb.Append(sb.Length > 0 ? " " : "").Append(reference.AsSpan(i, Math.Min(4, reference.Length - i)));
            }

            return sb.ToString();
        }

        var head = reference.Length % 5;
        sb.Append(reference.AsSpan(0, head));
        for (var i = head; i < reference.Length; i += 5)
        {
            sb.Append(sb.Length > 0 ? " " : "").Append(reference.AsSpan(i, 5));
        }

        return sb.ToString();
    }

    private static int FinnishCheckDigit(string baseDigits)
    {
        ReadOnlySpan<int> weights = [7, 3, 1];
        var sum = 0;
        for (int i = baseDigits.Length - 1, w = 0; i >= 0; i--, w = (w + 1) % 3)
        {
            sum += (baseDigits[i] - '0') * weights[w];
        }

        return (10 - (sum % 10)) % 10;
    }

    // Letters count as 10–35; the remainder is taken digit by digit so that any length fits in an int.
    private static int Mod97(string text)
    {
        var remainder = 0;
        foreach (var c in text)
        {
            var value = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
            remainder = value >= 10 ? ((remainder * 100) + value) % 97 : ((remainder * 10) + value) % 97;
        }

        return remainder;
    }
}
