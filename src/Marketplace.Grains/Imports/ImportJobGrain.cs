using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Grains.Common;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;

namespace Marketplace.Grains.Imports;

/// <summary>
/// Stores one import job: started with its read errors, progress about once a second, finished with the rest of the
/// report. Each of these (and a cancellation request) is also told one-way to the firm's match inbox, whose
/// subscribers (the match stream) show it as <c>event: import</c>.
/// </summary>
public sealed class ImportJobGrain(
    [PersistentState("import", StorageOptions.StoreName)] IPersistentState<ImportJob> state,
    TimeProvider time) : Grain, IImportJobGrain
{
    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public async Task<ImportJob> StartAsync(string firmId, string? fileName, ImportFormat format, int rows, IReadOnlyList<ImportError> readErrors)
    {
        if (state.State.Exists)
        {
            return state.State.FirmId == firmId ? state.State : throw DomainException.Conflict("import-exists", $"Import '{this.GetPrimaryKeyString()}' already exists.");
        }

        state.State = ImportJob.Start(this.GetPrimaryKeyString(), firmId, fileName, format, rows, readErrors, Now);
        await state.WriteOrReloadAsync();
        Announce();
        return state.State;
    }

    /// <inheritdoc />
    public async Task<bool> ProgressAsync(ImportCounts counts)
    {
        if (state.State.Progress(counts, Now))
        {
            await state.WriteOrReloadAsync();
            Announce();
        }

        return state.State.CancelRequested;
    }

    /// <inheritdoc />
    public async Task<ImportJob> FinishAsync(ImportStatus status, ImportCounts counts, IReadOnlyList<ImportError> errors, string? failure)
    {
        EnsureExists();
        state.State.Finish(status, counts, errors, failure, Now);
        await state.WriteOrReloadAsync();
        Announce();
        return state.State;
    }

    /// <inheritdoc />
    public Task<ImportJob?> GetAsync() => Task.FromResult(state.State.Exists ? state.State : null);

    /// <inheritdoc />
    public async Task<ImportJob> CancelAsync()
    {
        EnsureExists();
        if (state.State.RequestCancel(Now))
        {
            await state.WriteOrReloadAsync();
            Announce();
        }

        return state.State;
    }

    /// <summary>Tells the firm's match inbox (one-way: progress shown live never slows or fails the job).</summary>
    private void Announce()
        => _ = GrainFactory.GetGrain<IMatchInboxGrain>(state.State.FirmId).ImportChangedAsync(ImportProgress.Of(state.State));

    private void EnsureExists()
    {
        if (!state.State.Exists)
        {
            throw DomainException.NotFound("import", this.GetPrimaryKeyString());
        }
    }
}
