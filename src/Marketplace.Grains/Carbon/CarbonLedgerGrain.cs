using Marketplace.Domain.Carbon;
using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Carbon;

/// <summary>Keeps one ledger's carbon totals (the region's or a firm's), counting each completed order once.</summary>
public sealed class CarbonLedgerGrain(
    [PersistentState("carbon-ledger", StorageOptions.StoreName)] IPersistentState<CarbonLedger> state,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<CarbonOptions> options,
    ILogger<CarbonLedgerGrain> logger) : Grain, ICarbonLedgerGrain
{
    /// <inheritdoc />
    public async Task RecordAsync(CarbonEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var outcome = state.State.Record(entry.OrderId, entry.Category, entry.Municipality, entry.CompletedAt, entry.Figure,
            time.GetUtcNow(), options.Value.LedgerDedupeMonths);
        switch (outcome)
        {
            case CarbonRecordOutcome.Counted:
                await state.WriteOrReloadAsync();
                break;
            case CarbonRecordOutcome.TooOld:
                logger.LogWarning("Carbon ledger {Ledger} did not count order {OrderId}: it completed at {CompletedAt}, before the {Months} months it remembers.",
                    this.GetPrimaryKeyString(), entry.OrderId, entry.CompletedAt, options.Value.LedgerDedupeMonths);
                break;
        }
    }

    /// <inheritdoc />
    public Task<CarbonTotals> GetTotalsAsync() => Task.FromResult(state.State.Totals());
}
