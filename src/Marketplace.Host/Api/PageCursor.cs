using System.Globalization;
using System.Text;

namespace Marketplace.Host.Api;

/// <summary>Opaque cursors for lists paged by position (a firm's lots, demands, matches).</summary>
public static class PageCursor
{
    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 100;

    /// <summary>The cursor for a position.</summary>
    public static string Encode(int position)
        => Convert.ToBase64String(Encoding.ASCII.GetBytes("p:" + position.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The position a cursor stands for: 0 for none, -1 for one this API did not issue.</summary>
    public static int Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return 0;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("p:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : -1;
        }
        catch (FormatException)
        {
            return -1;
        }
    }
}
