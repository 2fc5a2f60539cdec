using Marketplace.Grains.Common;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Listings;

/// <summary>A buying firm's holds across lots; written once per hold placed.</summary>
public sealed class BuyerHoldsGrain(
    [PersistentState("buyer-holds", StorageOptions.StoreName)] IPersistentState<Dictionary<string, BuyerHoldEntry>> state) : Grain, IBuyerHoldsGrain
{
    /// <inheritdoc />
    public async Task RecordAsync(BuyerHoldEntry entry)
    {
        if (state.State.ContainsKey(entry.Key))
        {
            return;
        }

        state.State[entry.Key] = entry;
        await state.WriteOrReloadAsync();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync()
        => Task.FromResult<IReadOnlyList<string>>(state.State.Values
            .OrderByDescending(e => e.PlacedAt).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key)
            .ToArray());
}
