using System.Collections.Concurrent;
using System.Diagnostics;
using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Imports;

/// <summary>The end of an import run: how it stopped, its counts and the problems found applying rows.</summary>
public sealed record ImportResult(ImportStatus Status, ImportCounts Counts, IReadOnlyList<ImportError> Errors, string? Failure, ImportTimings Timings);

/// <summary>Where a run's time went: recording ids with the seller, applying rows through the lots, reporting statuses.</summary>
public sealed record ImportTimings(TimeSpan RecordIds, TimeSpan ApplyRows, TimeSpan ReportStatuses);

/// <summary>
/// Applies an import's rows through the lots' grains, like any other change (so the search index and the matcher see
/// each lot as it is stored), many at once, in batches: per batch the seller's list of lots is written once before and
/// its status index once after, instead of once per lot. Rows already refused while reading are only counted. A
/// second row for the same lot is refused (it would race the first). Stops between rows when cancelled.
/// </summary>
public sealed class LotImporter(IGrainFactory grains, IOptions<ImportOptions> options, ILogger<LotImporter> logger)
{
    /// <summary>
    /// Runs <paramref name="rows"/> for <paramref name="firmId"/>. <paramref name="progress"/> is called about every
    /// <see cref="ImportOptions.ProgressInterval"/> with the counts so far and answers true to stop the run.
    /// </summary>
    public async Task<ImportResult> RunAsync(string firmId, IReadOnlyList<LotRow> rows, bool publish, Func<ImportCounts, Task<bool>>? progress,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var errors = new ConcurrentBag<ImportError>();
        int created = 0, updated = 0, unchanged = 0, rejected = 0, processed = 0;
        ImportCounts Counts() => new(Volatile.Read(ref processed), Volatile.Read(ref created), Volatile.Read(ref updated), Volatile.Read(ref unchanged), Volatile.Read(ref rejected));

        var valid = new List<LotRow>(rows.Count);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Details is null || row.LotId is null)
            {
                rejected++;
                processed++;
            }
            else if (!firstLine.TryAdd(row.LotId, row.Line))
            {
                errors.Add(new ImportError(row.Line, row.ExternalId, row.ByLotId ? "id" : "externalId", $"The same lot is already in this file at line {firstLine[row.LotId]}."));
                rejected++;
                processed++;
            }
            else
            {
                valid.Add(row);
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var reporting = progress is null ? null : ReportAsync(progress, Counts, settings.ProgressInterval, stop);
        var trader = grains.GetGrain<ITraderGrain>(firmId);
        var recordIds = new Stopwatch();
        var apply = new Stopwatch();
        var report = new Stopwatch();
        var status = ImportStatus.Completed;
        string? failure = null;
        try
        {
            foreach (var batch in valid.Chunk(settings.BatchSize))
            {
                stop.Token.ThrowIfCancellationRequested();
                recordIds.Start();
                await trader.AddListingsAsync(batch.Where(r => !r.ByLotId).Select(r => r.LotId!).ToArray());
                if (publish)
                {
                    await JoinPartitionsAsync(batch);
                }

                recordIds.Stop();

                apply.Start();
                var statuses = new ConcurrentBag<ListingStatusReport>();
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = stop.Token }, async (row, _) =>
                {
                    try
                    {
                        var done = await grains.GetGrain<IListingGrain>(row.LotId!).ImportAsync(firmId, row.ExternalId, row.Details!, publish);
                        if (done.Outcome == ImportOutcome.Created)
                        {
                            Interlocked.Increment(ref created);
                        }
                        else if (done.Outcome == ImportOutcome.Updated)
                        {
                            Interlocked.Increment(ref updated);
                        }
                        else
                        {
                            Interlocked.Increment(ref unchanged);
                        }

                        if (done.Outcome != ImportOutcome.Unchanged)
                        {
                            statuses.Add(new ListingStatusReport(row.LotId!, done.Status, done.Version));
                        }
                    }
                    catch (DomainException e)
                    {
                        Reject(row, e, errors, ref rejected);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Not the row's fault (storage or cluster trouble): reported on the row, and uploading again retries it.
                        logger.LogWarning(e, "Import for {FirmId}: line {Line} could not be applied", firmId, row.Line);
                        errors.Add(new ImportError(row.Line, row.ExternalId, "row", $"The lot could not be stored ({e.GetType().Name}); upload the file again to retry."));
                        Interlocked.Increment(ref rejected);
                    }

                    Interlocked.Increment(ref processed);
                });
                apply.Stop();

                report.Start();
                await trader.ListingStatusesChangedAsync(statuses.ToArray());
                report.Stop();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            status = ImportStatus.Cancelled;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Import for {FirmId} failed", firmId);
            status = ImportStatus.Failed;
            failure = e is DomainException d ? d.Message : $"The import stopped: {e.GetType().Name}. Upload the file again: rows already applied are unchanged.";
        }
        finally
        {
            apply.Stop();
            report.Stop();
            recordIds.Stop();
            await stop.CancelAsync();
        }

        return new ImportResult(status, Counts(), errors.ToArray(), failure, new ImportTimings(recordIds.Elapsed, apply.Elapsed, report.Elapsed));
    }

    /// <summary>
    /// Records the batch's lots with the matching partitions they are about to enter, one write per partition, so
    /// that each lot's own join (which must be stored before the lot is) finds itself recorded instead of rewriting
    /// the partition's whole record once per lot. A lot that does not end up there (not matchable) is dropped from
    /// the record by the partition's reconciliation; one missed here joins by itself as any lot does.
    /// </summary>
    private Task JoinPartitionsAsync(IEnumerable<LotRow> batch)
        => Task.WhenAll(batch
            .Where(r => r.Details!.Location is not null)
            .GroupBy(r => MatchPartitions.ForPlace(r.Details!.Category, r.Details.Location!.Latitude, r.Details.Location.Longitude), r => r.LotId!)
            .Select(p => grains.GetGrain<IMatchPartitionGrain>(p.Key).LotsJoiningAsync(p.ToArray())));

    private static void Reject(LotRow row, DomainException e, ConcurrentBag<ImportError> errors, ref int rejected)
    {
        if (e.Errors.Count == 0)
        {
            errors.Add(new ImportError(row.Line, row.ExternalId, e.Kind == DomainErrorKind.NotFound && row.ByLotId ? "id" : "row",
                e.Kind == DomainErrorKind.NotFound && row.ByLotId ? "None of your lots has this id." : e.Message));
        }

        foreach (var (field, messages) in e.Errors)
        {
            foreach (var message in messages)
            {
                errors.Add(new ImportError(row.Line, row.ExternalId, field, message));
            }
        }

        Interlocked.Increment(ref rejected);
    }

    /// <summary>Calls <paramref name="progress"/> every interval until the run ends; cancels the run when it answers true.</summary>
    private static Reporter ReportAsync(Func<ImportCounts, Task<bool>> progress, Func<ImportCounts> counts, TimeSpan interval, CancellationTokenSource stop)
    {
        var timer = new PeriodicTimer(interval);
        var loop = Task.Run(async () =>
        {
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    if (await progress(counts()))
                    {
                        await stop.CancelAsync();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return new Reporter(timer, loop);
    }

    private sealed class Reporter(PeriodicTimer timer, Task loop) : IDisposable
    {
        public void Dispose()
        {
            timer.Dispose();
            _ = loop;
        }
    }
}
