using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Marketplace.Grains.Listings;

/// <summary>One sealed page of a buyer's index of holds (state <c>buyer-holds-page</c>, key <c>{buyer}/{n}</c>).</summary>
public sealed class BuyerHoldsPage
{
    /// <summary>The holds recorded in the page.</summary>
    public List<BuyerHoldEntry> Holds { get; set; } = [];
}

/// <summary>
/// A buying firm's holds across lots. The newest holds are in the record (state <c>buyer-holds</c>, at most
/// <see cref="PageSize"/> - 1 of them); when a hold would fill it, the record's holds and the new one are written as the
/// next sealed page (a new record, <see cref="PagesStateName"/>) and the record is emptied. So a hold placed writes at
/// most a page's worth of entries, whatever the firm's history: the record used to hold every hold the firm ever placed
/// and was rewritten whole for each one (about 200 bytes a hold: 1 MB after 5,000 holds).
/// </summary>
/// <remarks>
/// Pages are never rewritten or deleted, so an activation reads on from page 0 until the first missing one. A page is
/// written before the record is emptied: when that second write fails, the holds are both in the page and in the
/// record, and are read once (by key). A page found already written (by an activation on a silo declared dead) is read
/// and the holds go to the next page. A record stored before pages (every hold in it) still reads, and its holds move
/// into the first page written.
/// </remarks>
public sealed class BuyerHoldsGrain(
    [PersistentState("buyer-holds", StorageOptions.StoreName)] IPersistentState<Dictionary<string, BuyerHoldEntry>> state,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage) : Grain, IBuyerHoldsGrain
{
    /// <summary>The sealed pages' state name.</summary>
    public const string PagesStateName = "buyer-holds-page";

    /// <summary>Holds per sealed page: the record holds fewer, so a write carries at most this many.</summary>
    public const int PageSize = 64;

    /// <summary>Pages read at once when an activation reads on past the first (most buyers have none).</summary>
    private const int ReadAhead = 8;

    /// <summary>Every hold of the firm, pages' and record's, by key.</summary>
    private readonly Dictionary<string, BuyerHoldEntry> _holds = new(StringComparer.Ordinal);

    /// <summary>Pages stored: the next one written is this number.</summary>
    private int _pages;

    /// <summary>How long room made for a hold waits for it to be recorded (a hold placed takes milliseconds).</summary>
    public static readonly TimeSpan ReservationLifetime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The holds a check found room for and that are not recorded yet (probe 13: 150 at once left a firm with 156 open;
    /// probe 16: a refused hold gives back its own room and no other's).
    /// </summary>
    private readonly RoomReservations _reserved = new(ReservationLifetime);

    /// <summary>
    /// The holds counted as open: recorded, not yet ended by their time, not found closed on their lots (kept in the
    /// activation's memory: a new activation counts them all again and reads them when it reaches the bound). Kept as
    /// holds come and go, so a check costs no walk over the firm's whole history.
    /// </summary>
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);

    /// <summary>The open holds by the time they end, soonest first, to drop them from <see cref="_open"/> as time passes.</summary>
    private readonly PriorityQueue<string, DateTimeOffset> _ending = new();

    /// <summary>Until when a reading that found the open-hold bound reached stands, so refusals in a row read no lots.</summary>
    private DateTimeOffset _fullUntil;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Page 0 alone first: a buyer with fewer holds than a page has none, and its activation costs one read more, not eight.
        for (var ahead = 1; ; ahead = ReadAhead)
        {
            var pages = Enumerable.Range(_pages, ahead).Select(_ => new GrainState<BuyerHoldsPage>(new BuyerHoldsPage())).ToArray();
            await Task.WhenAll(pages.Select((page, i) => storage.ReadStateAsync(PagesStateName, PageId(_pages + i), page)));
            var stored = pages.TakeWhile(p => p.RecordExists).ToArray();
            foreach (var page in stored)
            {
                Remember(page.State?.Holds ?? []);
            }

            _pages += stored.Length;
            if (stored.Length < ahead)
            {
                break;
            }
        }

        Remember(state.State.Values);
    }

    /// <inheritdoc />
    public async Task RecordAsync(BuyerHoldEntry entry)
    {
        if (_holds.TryGetValue(entry.Key, out var known))
        {
            if (entry.EndsBy <= known.EndsBy)
            {
                return;
            }

            // A hold whose end moved later (an order took it): the record takes the entry with its new end (it is read
            // after the pages, so it wins over a sealed page's copy), and the hold counts as open until then.
            entry = known with { ExpiresAt = entry.ExpiresAt };
        }

        // The hold a check made room for is now counted itself.
        _reserved.Release(entry.Key);

        if (state.State.ContainsKey(entry.Key) || state.State.Count + 1 < PageSize)
        {
            state.State[entry.Key] = entry;
            await state.WriteOrReloadAsync();
            Remember([entry]);
            return;
        }

        var page = new BuyerHoldsPage { Holds = [.. state.State.Values.Where(h => h.Key != entry.Key), entry] };
        await WritePageAsync(page);
        Remember(page.Holds);
        state.State = new Dictionary<string, BuyerHoldEntry>(StringComparer.Ordinal);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // The holds are stored in the page; the record keeps them too until the next page is written.
            await state.ReadStateAsync();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync()
        => Task.FromResult<IReadOnlyList<string>>(_holds.Values
            .OrderByDescending(e => e.PlacedAt).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key)
            .ToArray());

    /// <inheritdoc />
    public Task<OpenBoundCheck> CheckOpenAsync(int max, DateTimeOffset now, string holdKey)
    {
        var open = OpenCount(now);
        if (_holds.ContainsKey(holdKey))
        {
            // Recorded already (its lot is told after the index): a retry of a hold whose answer was lost, which its lot
            // answers with the hold it has (probe 16: the retry of a firm's last free place was refused).
            return Task.FromResult(new OpenBoundCheck(true, open, []));
        }

        if (open + _reserved.OthersThan(holdKey, now) < max)
        {
            _reserved.Reserve(holdKey, now);
            return Task.FromResult(new OpenBoundCheck(true, open, []));
        }

        return Task.FromResult(new OpenBoundCheck(false, open, now < _fullUntil ? [] : [.. _open]));
    }

    /// <inheritdoc />
    public Task<bool> ClosedAsync(IReadOnlyList<string> closedKeys, int max, DateTimeOffset now, TimeSpan standFor, string holdKey)
    {
        foreach (var key in closedKeys)
        {
            // Its entry in the queue of ends stays and is dropped when its time comes.
            _open.Remove(key);
        }

        var fits = OpenCount(now) + _reserved.OthersThan(holdKey, now) < max;
        _fullUntil = fits ? default : now + standFor;
        if (fits)
        {
            _reserved.Reserve(holdKey, now);
        }

        return Task.FromResult(fits);
    }

    /// <inheritdoc />
    public Task ReleaseReservationAsync(string holdKey)
    {
        _reserved.Release(holdKey);
        return Task.CompletedTask;
    }

    /// <summary>The open holds' count, after dropping those whose time has ended.</summary>
    private int OpenCount(DateTimeOffset now)
    {
        while (_ending.TryPeek(out var key, out var ends) && ends <= now)
        {
            _ending.Dequeue();
            if (_holds[key].EndsBy <= now)
            {
                // Not a hold whose end moved later since this place in the queue was taken.
                _open.Remove(key);
            }
        }

        return _open.Count;
    }

    /// <summary>Writes the page as the next new record; a number found taken has its holds read and the next one is tried.</summary>
    private async Task WritePageAsync(BuyerHoldsPage page)
    {
        while (true)
        {
            try
            {
                // No ETag: a new record, refused when the page exists.
                await storage.WriteStateAsync(PagesStateName, PageId(_pages), new GrainState<BuyerHoldsPage>(page));
                _pages++;
                return;
            }
            catch (InconsistentStateException)
            {
                var stored = new GrainState<BuyerHoldsPage>(new BuyerHoldsPage());
                await storage.ReadStateAsync(PagesStateName, PageId(_pages), stored);
                Remember(stored.State?.Holds ?? []);
                _pages++;
            }
        }
    }

    private void Remember(IEnumerable<BuyerHoldEntry> holds)
    {
        foreach (var hold in holds)
        {
            if (_holds.TryAdd(hold.Key, hold))
            {
                // Ended ones leave at the next count: the time is the caller's, not this clock's.
                _open.Add(hold.Key);
                _ending.Enqueue(hold.Key, hold.EndsBy);
            }
            else if (hold.EndsBy > _holds[hold.Key].EndsBy)
            {
                // Its end moved later: open until then (a lot read at the bound still counts it out when it is closed).
                _holds[hold.Key] = hold;
                _open.Add(hold.Key);
                _ending.Enqueue(hold.Key, hold.EndsBy);
            }
        }
    }

    private GrainId PageId(int page) => GrainId.Create(PagesStateName, $"{this.GetPrimaryKeyString()}/{page}");
}
