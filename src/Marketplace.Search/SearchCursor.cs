using System.Globalization;
using System.Text;

namespace Marketplace.Search;

/// <summary>
/// Where a page ended: the sort it belongs to, the last hit's sort key and id, and a fingerprint of the search it came
/// from. Opaque to clients (base64url); the next page starts strictly after (key, id) in the sort's order, and only for
/// the same search (text, filters and sort; the page size may change).
/// </summary>
public readonly record struct SearchCursor(SearchSort Sort, double Key, string Id)
{
    /// <summary>Longest lot id a cursor carries.</summary>
    private const int MaxIdLength = 200;

    /// <summary>Encodes the cursor of a page of <paramref name="query"/>.</summary>
    public string Encode(SearchQuery query)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(
                $"{(int)Sort}|{Key.ToString("R", CultureInfo.InvariantCulture)}|{Fingerprint(query, Key, Id).ToString("x8", CultureInfo.InvariantCulture)}|{Id}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Decodes <paramref name="query"/>'s cursor; throws <see cref="SearchQueryException"/> for one this API did not
    /// issue for this search (another sort, other text or filters, a key that is not a finite number, a malformed id).
    /// </summary>
    public static SearchCursor? Decode(SearchQuery query)
    {
        var cursor = query.Cursor;
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|', 4);
            if (parts.Length == 4 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s == (int)query.Sort
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var key) && double.IsFinite(key)
                && uint.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var fingerprint) && parts[2].Length == 8
                && parts[3].Length is > 0 and <= MaxIdLength && !parts[3].Any(c => c == '|' || char.IsControl(c) || char.IsSurrogate(c))
                && fingerprint == Fingerprint(query, key, parts[3]))
            {
                return new SearchCursor(query.Sort, key, parts[3]);
            }
        }
        catch (FormatException)
        {
        }

        throw new SearchQueryException("cursor", "The cursor is not one this search issued for this text, filters and sort: start again without it.");
    }

    /// <summary>
    /// FNV-1a (32 bits) of everything that decides a search's hits and their order (the page size and cursor left out)
    /// and of where the page ended: a cursor edited by hand (another last id, a cut one) no longer matches. Not a
    /// secret: search is public, so a cursor built for any search shows no more than that search does.
    /// </summary>
    private static uint Fingerprint(SearchQuery q, double key, string id)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = string.Join('\u001f', key.ToString("R", inv), id,
            q.Text, q.Category, q.MinCondition, q.MinPriceMinor?.ToString(inv), q.MaxPriceMinor?.ToString(inv), q.Currency,
            q.MinQuantity?.ToString(inv), q.AvailableOn?.ToString("yyyy-MM-dd", inv), q.Near?.Latitude.ToString("R", inv),
            q.Near?.Longitude.ToString("R", inv), q.RadiusKm?.ToString("R", inv), q.SellerId, ((int)q.Sort).ToString(inv));
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
