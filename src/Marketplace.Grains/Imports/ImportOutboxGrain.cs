using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Webhooks;

namespace Marketplace.Grains.Imports;

/// <summary>
/// The webhook events of one batch of lots a bulk import created without their grains: stored in the same transaction
/// as the lots (so a crash never loses one), handed over to the firms' registries once after it, then deleted. One left
/// stored by a crash is handed over by the webhook recovery at the next start; event ids are derived, so a
/// subscription drops a repeat.
/// </summary>
public interface IImportOutboxGrain : IWebhookOutboxGrain;

/// <summary>The stored record of an <see cref="ImportOutboxGrain"/>.</summary>
public sealed class ImportOutbox
{
    /// <summary>Events not yet handed over (named as in the lots' own state, so the recovery sweep finds it the same way).</summary>
    public List<OutboxEvent> Outbox { get; set; } = [];
}

/// <inheritdoc cref="IImportOutboxGrain" />
public sealed class ImportOutboxGrain([PersistentState("outbox", StorageOptions.StoreName)] IPersistentState<ImportOutbox> state) : Grain, IImportOutboxGrain
{
    /// <summary>The grain type name its records are stored under.</summary>
    public const string GrainType = "importoutbox";

    /// <summary>The name of its stored state.</summary>
    public const string StateName = "outbox";

    /// <inheritdoc />
    public async Task HandOverAsync()
    {
        if (state.State.Outbox.Count > 0)
        {
            await Task.WhenAll(state.State.Outbox
                .SelectMany(e => e.Firms.Distinct().Select(firm => (Firm: firm, Event: e)))
                .GroupBy(x => x.Firm)
                .Select(g => GrainFactory.GetGrain<IWebhookFirmGrain>(g.Key).PublishAsync(g.Select(x => x.Event).ToArray())));
        }

        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }

        DeactivateOnIdle();
    }
}
