using Marketplace.Domain.Matching;

namespace Marketplace.Grains.Matching;

/// <summary>
/// One trader's sessions in the order its inbox shows them (most recently changed first, then by id), kept once for
/// every filter a page can ask: all of them, by status, by the trader's role, and by both. A page is then read off its
/// list by position: sorting and copying every session on every read grew with the inbox (the filter, the sort and
/// the copy were the match inbox's share of the API mix's CPU once its sessions were no longer looked up on every read).
/// A session is in four lists; a newer version replaces its old one in each (found by the old version's place). The
/// lists run oldest first, so that a new or changed session, nearly always the newest, is appended rather than
/// inserted in front of every other; a page is read from the end.
/// </summary>
/// <param name="trader">The inbox's trader: a session whose buyer it is counts under <c>buyer</c>, any other under <c>seller</c>.</param>
internal sealed class MatchInboxOrder(string trader)
{
    private static readonly MatchStatus[] Statuses = Enum.GetValues<MatchStatus>();

    private static readonly Dictionary<string, int> StatusIndex =
        Statuses.Select((s, i) => (Code: MatchingSession.StatusCode(s), Index: i)).ToDictionary(p => p.Code, p => p.Index, StringComparer.Ordinal);

    private static readonly IComparer<MatchingSession> OldestFirst = new OldestFirstComparer();

    /// <summary>[0] all; [1 + s] status s; [1 + S + r] role r; [3 + S + 2s + r] status s and role r (S statuses, r 0 buyer, 1 seller).</summary>
    private readonly List<MatchingSession>[] _lists = Enumerable.Range(0, 3 + (3 * Statuses.Length)).Select(_ => new List<MatchingSession>()).ToArray();

    /// <summary>Every session, newest first.</summary>
    public MatchingSession[] All() => Page(_lists[0], 0, _lists[0].Count);

    /// <summary>Up to <paramref name="size"/> sessions of a filter's list, newest first, from <paramref name="start"/> (within the list).</summary>
    public static MatchingSession[] Page(List<MatchingSession> list, int start, int size)
    {
        var page = new MatchingSession[Math.Min(size, list.Count - start)];
        for (var i = 0; i < page.Length; i++)
        {
            page[i] = list[list.Count - 1 - start - i];
        }

        return page;
    }

    /// <summary>Places a session (its id not placed yet).</summary>
    public void Add(MatchingSession session)
    {
        var (status, role) = Key(session);
        Insert(_lists[0], session);
        Insert(_lists[1 + status], session);
        Insert(_lists[1 + Statuses.Length + role], session);
        Insert(_lists[3 + Statuses.Length + (2 * status) + role], session);
    }

    /// <summary>Takes a placed session out (the same instance that was added).</summary>
    public void Remove(MatchingSession session)
    {
        var (status, role) = Key(session);
        Delete(_lists[0], session);
        Delete(_lists[1 + status], session);
        Delete(_lists[1 + Statuses.Length + role], session);
        Delete(_lists[3 + Statuses.Length + (2 * status) + role], session);
    }

    /// <summary>The list a filter reads (null for any), oldest first; null when the filter matches nothing (an unknown status or role).</summary>
    public List<MatchingSession>? For(string? status, string? role)
    {
        var s = -1;
        if (status is not null && !StatusIndex.TryGetValue(status, out s))
        {
            return null;
        }

        var r = role switch { null => -1, "buyer" => 0, "seller" => 1, _ => -2 };
        return r switch
        {
            -2 => null,
            -1 => s < 0 ? _lists[0] : _lists[1 + s],
            _ => s < 0 ? _lists[1 + Statuses.Length + r] : _lists[3 + Statuses.Length + (2 * s) + r],
        };
    }

    private (int Status, int Role) Key(MatchingSession session)
        => (Array.IndexOf(Statuses, session.Status), session.Proposal?.BuyerId == trader ? 0 : 1);

    private static void Insert(List<MatchingSession> list, MatchingSession session)
    {
        var at = list.BinarySearch(session, OldestFirst);
        list.Insert(at < 0 ? ~at : at, session);
    }

    private static void Delete(List<MatchingSession> list, MatchingSession session)
    {
        var at = list.BinarySearch(session, OldestFirst);
        if (at < 0 || !ReferenceEquals(list[at], session))
        {
            // Not where its order puts it (never expected: sessions are snapshots nobody changes); looked for by instance.
            at = list.IndexOf(session);
        }

        if (at >= 0)
        {
            list.RemoveAt(at);
        }
    }

    /// <summary>The inbox's order (most recently changed first, then by id, ordinal) reversed.</summary>
    private sealed class OldestFirstComparer : IComparer<MatchingSession>
    {
        public int Compare(MatchingSession? x, MatchingSession? y)
        {
            var byTime = x!.UpdatedAt.CompareTo(y!.UpdatedAt);
            return byTime != 0 ? byTime : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}
