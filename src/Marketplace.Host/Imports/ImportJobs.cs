using System.Collections.Concurrent;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Common;
using Marketplace.Grains.Imports;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Imports;

/// <summary>
/// Reads import files into rows and runs them as jobs: in the background for the API (progress stored about once a
/// second in the job's grain, where any host reads it and where a cancellation is asked), in the foreground for the
/// <c>import</c> command. On shutdown running jobs are stopped and recorded as failed before the silo stops: uploading
/// the same file again finishes the work, changing only what differs.
/// </summary>
public sealed class ImportJobs(
    IGrainFactory grains,
    LotImporter importer,
    MaterialTaxonomy taxonomy,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ServiceAreaOptions> serviceArea,
    IOptions<ImportOptions> options,
    ILogger<ImportJobs> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Stop, Task Run)> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, byte> _firmsImporting = new(StringComparer.Ordinal);
    private int _importing;

    /// <summary>The limits files are held to.</summary>
    public ImportOptions Options => options.Value;

    /// <summary>Reads a file's rows for a firm; a file that cannot be read at all (no header, too many rows, a mapping naming no column) throws a validation error.</summary>
    public IReadOnlyList<LotRow> Read(string firmId, string text, ImportFormat format, ImportMapping mapping)
    {
        var table = ImportTable.Parse(text, format, options.Value.Limits);
        var reader = new LotRowReader(firmId, mapping.Resolve(table), taxonomy, time.GetUtcNow, serviceArea.Value.Area);
        var rows = new LotRow[table.Rows.Count];
        Parallel.For(0, rows.Length, i => rows[i] = reader.Read(table.Rows[i]));
        return rows;
    }

    /// <summary>
    /// A place for one import of the firm on this host, held from reading its file to the end of its job; null when the
    /// firm already has one here (<paramref name="firmBusy"/>) or the host has <see cref="ImportOptions.MaxConcurrent"/>.
    /// Each holds its whole file and rows in memory, so without a bound a few uploads at once took gigabytes.
    /// </summary>
    public ImportSlot? TryReserve(string firmId, out bool firmBusy)
    {
        firmBusy = !_firmsImporting.TryAdd(firmId, 0);
        if (firmBusy)
        {
            return null;
        }

        if (Interlocked.Increment(ref _importing) > options.Value.MaxConcurrent)
        {
            Interlocked.Decrement(ref _importing);
            _firmsImporting.TryRemove(firmId, out _);
            return null;
        }

        return new ImportSlot(() =>
        {
            Interlocked.Decrement(ref _importing);
            _firmsImporting.TryRemove(firmId, out _);
        });
    }

    /// <summary>Records a job and starts applying its rows in the background; <paramref name="slot"/> (if any) is released when it ends.</summary>
    public async Task<ImportJob> StartAsync(string firmId, string? fileName, ImportFormat format, IReadOnlyList<LotRow> rows, bool publish, ImportSlot? slot = null)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var job = await grains.GetGrain<IImportJobGrain>(id).StartAsync(firmId, fileName, format, rows.Count, rows.SelectMany(r => r.Errors).ToArray());
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var run = Task.Run(async () =>
        {
            try
            {
                await RunAsync(id, firmId, rows, publish, null, stop.Token, slot);
            }
            finally
            {
                _running.TryRemove(id, out _);
                stop.Dispose();
                slot?.Dispose();
            }
        }, CancellationToken.None);
        _running[id] = (stop, run);
        return job;
    }

    /// <summary>
    /// Applies a recorded job's rows and records its end; <paramref name="progress"/> hears the counts as they are stored.
    /// A job stopped by shutdown is recorded as failed, one stopped on request as cancelled.
    /// </summary>
    /// <remarks>
    /// <paramref name="slot"/>, the firm's place for one import, is freed before the end is recorded: a client that reads
    /// the job ended and uploads the next file at once must not be told an import is still running (409 <c>import-running</c>).
    /// </remarks>
    public async Task<ImportResult> RunAsync(string id, string firmId, IReadOnlyList<LotRow> rows, bool publish, Action<ImportCounts>? progress, CancellationToken cancellationToken,
        ImportSlot? slot = null)
    {
        var grain = grains.GetGrain<IImportJobGrain>(id);
        var result = await importer.RunAsync(firmId, rows, publish, async counts =>
        {
            progress?.Invoke(counts);
            try
            {
                return await grain.ProgressAsync(counts);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Import {ImportId}: storing progress failed", id);
                return false;
            }
        }, cancellationToken);
        progress?.Invoke(result.Counts);
        var (status, failure) = result.Status == ImportStatus.Cancelled && _stopping.IsCancellationRequested
            ? (ImportStatus.Failed, "The host stopped during the import; upload the file again to finish it (rows already applied are unchanged).")
            : (result.Status, result.Failure);
        slot?.Dispose();
        try
        {
            await grain.FinishAsync(status, result.Counts, result.Errors, failure);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Import {ImportId}: recording its end failed", id);
        }

        logger.LogInformation("Import {ImportId} for {FirmId}: {Status}, {Created} created, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected",
            id, firmId, status, result.Counts.Created, result.Counts.Updated, result.Counts.Unchanged, result.Counts.Rejected);
        return result with { Status = status, Failure = failure };
    }

    /// <summary>Stops a job running on this host at once (the job's grain carries the request to other hosts).</summary>
    public void CancelHere(string id)
    {
        if (_running.TryGetValue(id, out var running))
        {
            running.Stop.Cancel();
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_running.Values.Select(r => r.Run)).WaitAsync(cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }
}

/// <summary>Registers the host's side of bulk imports.</summary>
public static class ImportJobsSetup
{
    /// <summary>Adds <see cref="ImportJobs"/>, also as a hosted service so running jobs are recorded before the silo stops.</summary>
    public static IServiceCollection AddMarketplaceImportJobs(this IServiceCollection services)
    {
        services.AddSingleton<ImportJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<ImportJobs>());
        return services;
    }
}

/// <summary>A firm's place for one import on this host (<see cref="ImportJobs.TryReserve"/>); disposing it frees the place, once.</summary>
public sealed class ImportSlot(Action release) : IDisposable
{
    private Action? _release = release;

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
