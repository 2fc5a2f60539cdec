using System.Globalization;
using System.Text;

namespace Marketplace.Search;

/// <summary>
/// Where a page ended: the sort it belongs to, the last hit's sort key and id. Opaque to clients (base64url);
/// the next page starts strictly after (key, id) in the sort's order.
/// </summary>
public readonly record struct SearchCursor(SearchSort Sort, double Key, string Id)
{
    /// <summary>Encodes the cursor.</summary>
    public string Encode()
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{(int)Sort}|{Key.ToString("R", CultureInfo.InvariantCulture)}|{Id}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes a cursor for <paramref name="sort"/>; throws <see cref="SearchQueryException"/> for one this API did not issue.</summary>
    public static SearchCursor? Decode(string? cursor, SearchSort sort)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|', 3);
            if (parts.Length == 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s == (int)sort
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var key) && parts[2].Length > 0)
            {
                return new SearchCursor(sort, key, parts[2]);
            }
        }
        catch (FormatException)
        {
        }

        throw new SearchQueryException("cursor", "The cursor is not one this search issued for this sort: start again without it.");
    }
}
