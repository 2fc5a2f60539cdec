using System.Globalization;
using Marketplace.Domain.Common;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

/// <summary>The stored record of a <see cref="DeadlineCalendarGrain"/>: the lots still to be poked.</summary>
public sealed class DeadlineCalendar
{
    /// <summary>Ids of lots due at the end of the day.</summary>
    public HashSet<string> Lots { get; set; } = new(StringComparer.Ordinal);
}

/// <inheritdoc cref="IDeadlineCalendarGrain" />
public sealed class DeadlineCalendarGrain(
    [PersistentState("calendar", StorageOptions.StoreName)] IPersistentState<DeadlineCalendar> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ListingOptions> options,
    ILogger<DeadlineCalendarGrain> logger) : Grain, IDeadlineCalendarGrain, IRemindable
{
    private const string Reminder = "day-ended";

    /// <summary>Lots poked at once.</summary>
    private const int PokeConcurrency = 64;

    private bool _scheduled;

    /// <summary>The key of the calendar holding lots whose window ends on <paramref name="day"/>.</summary>
    public static string KeyOf(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private DateTimeOffset Due => MarketClock.EndOf(DateOnly.ParseExact(this.GetPrimaryKeyString(), "yyyy-MM-dd", CultureInfo.InvariantCulture));

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyList<string> lotIds)
    {
        var added = false;
        foreach (var id in lotIds)
        {
            added |= state.State.Lots.Add(id);
        }

        if (added)
        {
            await state.WriteOrReloadAsync();
        }

        if (!_scheduled && state.State.Lots.Count > 0)
        {
            var due = Due - time.GetUtcNow();
            await this.RegisterOrUpdateReminder(Reminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, options.Value.SweepPeriod);
            _scheduled = true;
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LotsAsync() => Task.FromResult<IReadOnlyList<string>>(state.State.Lots.ToArray());

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (time.GetUtcNow() < Due)
        {
            return;
        }

        var poked = new List<string>();
        foreach (var chunk in state.State.Lots.ToArray().Chunk(PokeConcurrency))
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

        state.State.Lots.ExceptWith(poked);
        if (state.State.Lots.Count > 0)
        {
            await state.WriteOrReloadAsync();
            return;
        }

        await state.ClearStateAsync();
        if (await this.GetReminder(Reminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        _scheduled = false;
        DeactivateOnIdle();
    }
}
