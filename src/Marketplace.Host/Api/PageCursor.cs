using System.Globalization;
using System.Text;
using Marketplace.Domain.Common;
using Marketplace.Host.Api.Traders;

namespace Marketplace.Host.Api;

/// <summary>Opaque cursors for lists paged by position (a firm's lots, demands, matches).</summary>
public static class PageCursor
{
    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 100;

    /// <summary>Reads a page request: where to start and how many, adding a message to <paramref name="v"/> for a bad limit or cursor.</summary>
    public static (int Start, int Size) Read(string? cursor, int? limit, Validation v)
    {
        var size = limit ?? 50;
        var start = Decode(cursor);
        v.Require(size is >= 1 and <= MaxPageSize, "limit", $"The limit must be between 1 and {MaxPageSize}.");
        v.Require(start >= 0, "cursor", "The cursor is not one this API issued.");
        return (start, size);
    }

    /// <summary>
    /// A page of items read from grains by id, in small parallel batches from <paramref name="start"/>;
    /// <paramref name="select"/> maps a state to an item, or to null to skip it (a page may skip what the viewer may not see).
    /// </summary>
    public static async Task<Page<TItem>> PageAsync<TState, TItem>(
        IReadOnlyList<string> ids, int start, int size, Func<string, Task<TState?>> read, Func<TState, TItem?> select)
        where TState : class
        where TItem : class
    {
        var items = new List<TItem>();
        var position = start;
        while (position < ids.Count && items.Count < size)
        {
            var states = await Task.WhenAll(ids.Skip(position).Take(size).Select(read));
            foreach (var state in states)
            {
                position++;
                if (state is not null && select(state) is { } item)
                {
                    items.Add(item);
                    if (items.Count == size)
                    {
                        break;
                    }
                }
            }
        }

        return new Page<TItem>(items, position < ids.Count ? Encode(position) : null);
    }

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
