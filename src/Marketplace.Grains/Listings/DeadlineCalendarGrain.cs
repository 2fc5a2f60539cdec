using System.Globalization;
using Marketplace.Domain.Common;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Marketplace.Grains.Listings;

/// <summary>
/// The lots whose availability window ends on one day (the key, <c>yyyy-MM-dd</c> in the market's calendar) and that
/// have no deadline reminder of their own: lots a bulk import stored without activating their grains. One reminder per
/// day instead of one per lot; when the day has ended it pokes each lot (<see cref="IListingGrain.SettleDeadlineAsync"/>),
/// which expires it as its own reminder would have, and forgets the lots that answered.
/// </summary>
public interface IDeadlineCalendarGrain : IGrainWithStringKey
{
    /// <summary>Records lots whose window ends on this day; answered once stored (call before storing the lots).</summary>
    Task AddAsync(IReadOnlyList<string> lotIds);

    /// <summary>The lots still to be poked.</summary>
    Task<IReadOnlyList<string>> LotsAsync();
}

/// <summary>
/// The stored record of a <see cref="DeadlineCalendarGrain"/> (state <c>calendar</c>): how many pages of lots it has
/// (state <c>calendar-lots</c>, see <see cref="DeadlineCalendarPage"/>), and lots kept in the record itself — a record
/// stored before pages, or the lots left after a tick that could not poke them all.
/// </summary>
public sealed class DeadlineCalendar
{
    /// <summary>Ids of lots due at the end of the day kept in the record itself.</summary>
    public HashSet<string> Lots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Pages of lots stored apart (0 for a record stored before pages).</summary>
    public int Pages { get; set; }
}

/// <summary>One stored page of a day's lots (state <c>calendar-lots</c>, key <c>yyyy-MM-dd/n</c>).</summary>
public sealed class DeadlineCalendarPage
{
    /// <summary>Ids of lots due at the end of the day.</summary>
    public List<string> Lots { get; set; } = [];
}

/// <inheritdoc cref="IDeadlineCalendarGrain" />
/// <remarks>
/// The day's lots are stored in pages apart from its record, so an import batch writes the page its lots go to (a page
/// with fewer than <see cref="PageSize"/> lots takes the next ones, a full one is followed by a new page) and, when it
/// started a page, the small record that counts them: one day's record held every lot (about 35 bytes a lot, 3.4 MB at
/// 100,000) and was rewritten whole for every batch. Pages are written before the record that counts them; a page
/// written by an add whose record write then failed lies beyond the count, is not read (its lots were not reported as
/// recorded), and is overwritten by the next page written there. A record stored before pages still reads: its lots
/// move into the next page written.
/// </remarks>
public sealed class DeadlineCalendarGrain(
    [PersistentState("calendar", StorageOptions.StoreName)] IPersistentState<DeadlineCalendar> state,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ListingOptions> options,
    ILogger<DeadlineCalendarGrain> logger) : Grain, IDeadlineCalendarGrain, IRemindable
{
    /// <summary>The pages' state name.</summary>
    public const string PagesStateName = "calendar-lots";

    /// <summary>A page with fewer lots than this takes the next lots added; a fuller one is followed by a new page.</summary>
    public const int PageSize = 1_000;

    private const string Reminder = "day-ended";

    /// <summary>Lots poked at once.</summary>
    private const int PokeConcurrency = 64;

    private readonly List<GrainState<DeadlineCalendarPage>> _pages = [];

    /// <summary>Every lot still to be poked: the record's own and the pages'.</summary>
    private readonly HashSet<string> _lots = new(StringComparer.Ordinal);

    private bool _scheduled;

    /// <summary>The key of the calendar holding lots whose window ends on <paramref name="day"/>.</summary>
    public static string KeyOf(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private DateTimeOffset Due => MarketClock.EndOf(DateOnly.ParseExact(this.GetPrimaryKeyString(), "yyyy-MM-dd", CultureInfo.InvariantCulture));

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken) => ReadPagesAsync();

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyList<string> lotIds)
    {
        var added = lotIds.Where(id => !_lots.Contains(id)).Distinct(StringComparer.Ordinal).ToList();
        if (added.Count > 0)
        {
            try
            {
                await StoreAsync(added);
            }
            catch
            {
                await ReadAsync();
                throw;
            }
        }

        if (!_scheduled && _lots.Count > 0)
        {
            var due = Due - time.GetUtcNow();
            await this.RegisterOrUpdateReminder(Reminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, options.Value.SweepPeriod);
            _scheduled = true;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LotsAsync() => Task.FromResult<IReadOnlyList<string>>(_lots.ToArray());

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (time.GetUtcNow() < Due)
        {
            return;
        }

        var poked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in _lots.ToArray().Chunk(PokeConcurrency))
        {
            await Task.WhenAll(chunk.Select(async id =>
            {
                try
                {
                    await GrainFactory.GetGrain<IListingGrain>(id).SettleDeadlineAsync();
                    lock (poked)
                    {
                        poked.Add(id);
                    }
                }
                catch (Exception e)
                {
                    // Kept: the next tick pokes it again.
                    logger.LogWarning(e, "Deadline calendar {Day}: lot {ListingId} did not settle; trying again at the next tick", this.GetPrimaryKeyString(), id);
                }
            }));
        }

        try
        {
            await ForgetAsync(poked);
        }
        catch
        {
            await ReadAsync();
            throw;
        }

        if (_lots.Count > 0)
        {
            return;
        }

        if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        _scheduled = false;
        DeactivateOnIdle();
    }

    /// <summary>
    /// Stores lots not yet recorded: into the last page while it has room, else a new page counted by the record; the
    /// record's own lots (stored before pages) move into that page.
    /// </summary>
    private async Task StoreAsync(List<string> added)
    {
        var record = state.State;
        var fresh = _pages.Count == 0 || _pages[^1].State!.Lots.Count >= PageSize;
        var page = fresh ? new GrainState<DeadlineCalendarPage>(new DeadlineCalendarPage()) : _pages[^1];
        var lots = new List<string>(page.State!.Lots.Count + record.Lots.Count + added.Count);
        lots.AddRange(page.State.Lots);
        lots.AddRange(record.Lots);
        lots.AddRange(added);
        var index = fresh ? _pages.Count : _pages.Count - 1;
        await WritePageAsync(index, page, lots);
        if (fresh)
        {
            _pages.Add(page);
        }

        if (fresh || record.Lots.Count > 0)
        {
            state.State = new DeadlineCalendar { Pages = _pages.Count };
            await state.WriteStateAsync();
        }

        _lots.UnionWith(added);
    }

    /// <summary>Forgets the lots poked: rewrites the pages and the record that held them, or clears them all when none is left.</summary>
    private async Task ForgetAsync(HashSet<string> poked)
    {
        if (poked.Count == 0)
        {
            return;
        }

        _lots.ExceptWith(poked);
        if (_lots.Count == 0)
        {
            // Pages first: a record left counting a cleared page reads it as empty.
            for (var p = 0; p < _pages.Count; p++)
            {
                await storage.ClearStateAsync(PagesStateName, PageId(p), _pages[p]);
            }

            _pages.Clear();
            await state.ClearStateAsync();
            return;
        }

        for (var p = 0; p < _pages.Count; p++)
        {
            if (_pages[p].State!.Lots.Any(poked.Contains))
            {
                await WritePageAsync(p, _pages[p], _pages[p].State!.Lots.Where(id => !poked.Contains(id)).ToList());
            }
        }

        if (state.State.Lots.RemoveWhere(poked.Contains) > 0)
        {
            await state.WriteStateAsync();
        }
    }

    private async Task WritePageAsync(int index, GrainState<DeadlineCalendarPage> page, List<string> lots)
    {
        var written = new GrainState<DeadlineCalendarPage>(new DeadlineCalendarPage { Lots = lots }) { ETag = page.ETag };
        await PageWrites.WriteAsync(storage, PagesStateName, PageId(index), written);

        (page.State, page.ETag, page.RecordExists) = (written.State, written.ETag, true);
    }

    /// <summary>Reads the record and its pages again (after a write that failed: memory keeps nothing not stored).</summary>
    private async Task ReadAsync()
    {
        await state.ReadStateAsync();
        await ReadPagesAsync();
    }

    private async Task ReadPagesAsync()
    {
        var pages = Enumerable.Range(0, state.State.Pages).Select(_ => new GrainState<DeadlineCalendarPage>(new DeadlineCalendarPage())).ToArray();
        await Task.WhenAll(pages.Select((page, p) => storage.ReadStateAsync(PagesStateName, PageId(p), page)));
        _pages.Clear();
        _lots.Clear();
        _lots.UnionWith(state.State.Lots);
        foreach (var page in pages)
        {
            page.State ??= new DeadlineCalendarPage();
            _pages.Add(page);
            _lots.UnionWith(page.State.Lots);
        }
    }

    private GrainId PageId(int page) => GrainId.Create(PagesStateName, $"{this.GetPrimaryKeyString()}/{page}");
}
