namespace Marketplace.Domain.Traders;

/// <summary>The Finnish business id (Y-tunnus): seven digits, a hyphen and a check digit.</summary>
public static class BusinessId
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2];

    /// <summary>True when the text is a well-formed business id whose check digit is right.</summary>
    public static bool IsValid(string? value)
    {
        if (value is not { Length: 9 } || value[7] != '-')
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 7; i++)
        {
            if (!char.IsAsciiDigit(value[i]))
            {
                return false;
            }

            sum += (value[i] - '0') * Weights[i];
        }

        if (!char.IsAsciiDigit(value[8]))
        {
            return false;
        }

        var check = CheckDigit(sum % 11);
        return check is not null && check == value[8] - '0';
    }

    /// <summary>The check digit for the first seven digits, or null when no valid id has them (remainder 1).</summary>
    public static int? CheckDigitFor(string sevenDigits)
    {
        var sum = 0;
        for (var i = 0; i < 7; i++)
        {
            sum += (sevenDigits[i] - '0') * Weights[i];
        }

        return CheckDigit(sum % 11);
    }

    private static int? CheckDigit(int remainder) => remainder switch
    {
        0 => 0,
        1 => null,
        _ => 11 - remainder,
    };
}
