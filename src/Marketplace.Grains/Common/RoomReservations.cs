namespace Marketplace.Grains.Common;

/// <summary>
/// Room an open-items bound's check made for items not recorded yet (holds, demands), each with when: items checked at
/// once each take room before they are recorded, so a burst cannot pass the bound together. Keyed by item, so that a
/// refused item gives back its own room and no other's; a reservation not taken within <paramref name="lifetime"/> is
/// forgotten. In an activation's memory: at most the bound's number are kept, so the walk is short.
/// </summary>
internal sealed class RoomReservations(TimeSpan lifetime)
{
    private readonly Dictionary<string, DateTimeOffset> _reserved = new(StringComparer.Ordinal);

    /// <summary>Reserves room for <paramref name="key"/> (again, from <paramref name="now"/>).</summary>
    public void Reserve(string key, DateTimeOffset now) => _reserved[key] = now;

    /// <summary>Gives back the room of <paramref name="key"/>: its item is recorded, or was not made.</summary>
    public void Release(string key) => _reserved.Remove(key);

    /// <summary>
    /// Room reserved for items other than <paramref name="key"/> (its own, a check asked again, does not count against it),
    /// forgetting reservations older than the lifetime.
    /// </summary>
    public int OthersThan(string key, DateTimeOffset now)
    {
        var count = 0;
        List<string>? stale = null;
        foreach (var (reserved, at) in _reserved)
        {
            if (at <= now - lifetime)
            {
                (stale ??= []).Add(reserved);
            }
            else if (reserved != key)
            {
                count++;
            }
        }

        stale?.ForEach(k => _reserved.Remove(k));
        return count;
    }
}
