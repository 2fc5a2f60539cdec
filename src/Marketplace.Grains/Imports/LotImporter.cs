using System.Collections.Concurrent;
using System.Diagnostics;
using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Marketplace.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Marketplace.Grains.Imports;

/// <summary>The end of an import run: how it stopped, its counts and the problems found applying rows.</summary>
public sealed record ImportResult(ImportStatus Status, ImportCounts Counts, IReadOnlyList<ImportError> Errors, string? Failure, ImportTimings Timings);

/// <summary>
/// Where a run's time went (wall time, summed over batches): reading the stored lots, validating and building new
/// lots with their events, recording ids with the seller, the matching partitions and the deadline calendar, the bulk
/// write, handing the stored lots to the search index, the matcher and the webhook registries, applying changed rows
/// through the lots' grains, and reporting statuses to the seller. With a storage that has no bulk path every row
/// goes through its grain (<see cref="ApplyRows"/>). On the bulk path a batch's reading, building and recording run
/// while the batch before it is stored, so the stages overlap and their sum exceeds the run's wall time.
/// </summary>
public sealed record ImportTimings(
    TimeSpan RecordIds, TimeSpan ApplyRows, TimeSpan ReportStatuses,
    TimeSpan ReadStored = default, TimeSpan Build = default, TimeSpan Store = default, TimeSpan Index = default, TimeSpan Match = default, TimeSpan Events = default);

/// <summary>
/// Applies an import's rows in batches. Per batch the seller's list of lots is written once before (on the bulk path
/// with the new lots' statuses) and its status index once after for the rows applied through grains, instead of once
/// per lot. Rows already refused while reading are only counted. A second row for
/// the same lot is refused (it would race the first). Stops between batches (and between rows) when cancelled.
/// <para>
/// With a grain storage that writes in bulk (<see cref="IBulkGrainStorage"/>: SQLite) the common cases skip the lots'
/// grains: the batch's stored lots are read in one query, and a row equal to its stored lot is unchanged without
/// activating anything (storage is the authority: a grain writes before it answers). New lots are built with the same
/// domain code as <see cref="IListingGrain.ImportAsync"/> and created in one transaction, all or none, together with
/// their webhook events (<see cref="IImportOutboxGrain"/>); before that they are recorded with the seller, the
/// matching partitions they enter and the deadline calendar of the day their window ends
/// (<see cref="IDeadlineCalendarGrain"/>, which stands in for each lot's own reminder); after it the batch goes to the
/// search index, to each partition in one message and to the webhook registries in one hand-over. Their grains
/// activate later, from storage, when something asks for them. Rows that change an existing lot go through its grain
/// as any change does. With another storage (Azure Table, memory) every row goes through its grain.
/// </para>
/// <para>
/// On the bulk path two batches are in flight: while one is stored (mostly waiting for the fsyncs of its commit) and
/// handed on, the next is read, built and its ids recorded (<see cref="PrepareAsync"/>). Rows are reported, counted and
/// stored in file order, one batch after the other (<see cref="StoreAsync"/>), so a failed store reports exactly its
/// batch's rows and a run stopped between batches stores nothing of the next one (only its recorded ids, harmless).
/// </para>
/// </summary>
public sealed class LotImporter(
    IGrainFactory grains,
    IOptions<ImportOptions> options,
    [FromKeyedServices(StorageOptions.StoreName)] IGrainStorage storage,
    MaterialTaxonomy taxonomy,
    [FromKeyedServices(MarketTime.Key)] TimeProvider time,
    IOptions<ServiceAreaOptions> serviceArea,
    IListingChangeSink changes,
    ILogger<LotImporter> logger)
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
        var status = ImportStatus.Completed;
        string? failure = null;
        var bulk = storage as IBulkGrainStorage;
        var t = new Timings();
        void Refuse(LotRow row, Exception e)
        {
            if (e is DomainException refused)
            {
                Reject(row, refused, errors, ref rejected);
            }
            else
            {
                errors.Add(new ImportError(row.Line, row.ExternalId, "row", $"The lot could not be stored ({e.GetType().Name}); upload the file again to retry."));
                Interlocked.Increment(ref rejected);
            }

            Interlocked.Increment(ref processed);
        }

        void Counted(int c, int u)
        {
            Interlocked.Add(ref created, c);
            Interlocked.Add(ref unchanged, u);
            Interlocked.Add(ref processed, c + u);
        }

        async Task ThroughGrainsAsync(LotRow[] rows)
        {
            var statuses = new ConcurrentBag<ListingStatusReport>();
            t.ApplyRows.Start();
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = stop.Token }, async (row, _) =>
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
            t.ApplyRows.Stop();

            t.ReportStatuses.Start();
            if (!statuses.IsEmpty)
            {
                await trader.ListingStatusesChangedAsync(statuses.ToArray());
            }

            t.ReportStatuses.Stop();
        }

        var batches = valid.Chunk(settings.BatchSize).ToArray();
        Task<PreparedBatch>? ahead = null;
        try
        {
            if (bulk is null)
            {
                foreach (var batch in batches)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    t.RecordIds.Start();
                    await trader.AddListingsAsync(batch.Where(r => !r.ByLotId).Select(r => r.LotId!).ToArray());
                    if (publish)
                    {
                        await JoinPartitionsAsync(batch);
                    }

                    t.RecordIds.Stop();
                    await ThroughGrainsAsync(batch);
                }
            }
            else
            {
                // Two batches in flight: while one is stored (mostly waiting for its fsyncs), the next is read, built and
                // its ids recorded. Everything a batch reports (refused rows, counts) and stores happens in file order,
                // after the batch before it is done; the next batch's only early side effect is its recorded ids, which
                // are harmless for lots never stored. A lot is in one batch only (the file's duplicates are refused above).
                for (var i = 0; i < batches.Length; i++)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var prepared = await (ahead ?? PrepareAsync(bulk, firmId, batches[i], publish, t, stop.Token));
                    ahead = null;
                    stop.Token.ThrowIfCancellationRequested();
                    if (i + 1 < batches.Length)
                    {
                        var next = batches[i + 1];
                        ahead = Task.Run(() => PrepareAsync(bulk, firmId, next, publish, t, stop.Token), CancellationToken.None);
                    }

                    await ThroughGrainsAsync(await StoreAsync(bulk, firmId, prepared, t, Refuse, Counted));
                }
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
            await stop.CancelAsync();
            if (ahead is not null)
            {
                // The next batch was being prepared when the run stopped: wait for it (nothing of it is stored or counted).
                await ahead.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }

            t.StopAll();
        }

        return new ImportResult(status, Counts(), errors.ToArray(), failure, t.ToTimings());
    }

    /// <summary>
    /// The bulk path's first half for one batch (see the class): reads its stored lots, compares or builds each row, and
    /// records the new lots' ids with the seller, the partitions they enter and their deadline calendar. Reports nothing
    /// and stores no lot: <see cref="StoreAsync"/> does, in file order, so this may run while the batch before is stored.
    /// </summary>
    private async Task<PreparedBatch> PrepareAsync(IBulkGrainStorage bulk, string firmId, LotRow[] batch, bool publish, Timings t, CancellationToken cancellationToken)
    {
        t.ReadStored.Start();
        var ids = batch.Select(r => ListingId(r.LotId!)).ToArray();
        var stored = await bulk.ReadManyAsync<Listing>("listing", ids);
        t.ReadStored.Stop();

        // A new lot's only event is the seller's listing.created: made only when one of the seller's subscriptions wants
        // it (the registry would drop it otherwise). A subscription created while the batch runs counts as created after it.
        t.Build.Start();
        var subscriptions = await grains.GetGrain<IWebhookFirmGrain>(firmId).ListAsync();
        var eventsWanted = subscriptions.Any(w => WebhookEventTypes.Matches(w.EventTypes, "listing.created"));

        // Each row on its own (two cores): compare with the stored lot, or build the new one with its events.
        var now = time.GetUtcNow();
        var area = serviceArea.Value.Area;
        var outcomes = new RowOutcome[batch.Length];
        Parallel.For(0, batch.Length, i =>
        {
            var row = batch[i];
            try
            {
                if (stored.TryGetValue(ids[i], out var lot) && lot.Exists)
                {
                    lot.EnsureSeller(firmId);
                    var normalised = Listing.Validate(row.Details!, taxonomy, now, area);
                    outcomes[i] = lot.IsUnchangedByImport(normalised, now)
                        ? RowOutcome.Unchanged
                        : RowOutcome.ThroughGrain(row);
                }
                else if (row.ByLotId)
                {
                    throw DomainException.NotFound("listing", row.LotId!);
                }
                else
                {
                    var listing = Listing.Create(row.LotId!, firmId, row.Details!, taxonomy, now, area, row.ExternalId);
                    if (publish)
                    {
                        listing.Publish(now);
                    }

                    outcomes[i] = RowOutcome.New(row, listing, eventsWanted ? WebhookEvents.ForListing(ListingMark.None, listing, now) : [], bulk.Prepare("listing", ids[i], listing));
                }
            }
            catch (DomainException e)
            {
                outcomes[i] = RowOutcome.Refused(row, e);
            }
        });

        var created = outcomes.Where(o => o.Listing is not null).ToArray();
        var events = created.SelectMany(o => o.Events!).ToList();
        var outbox = events.Count == 0 ? null : grains.GetGrain<IImportOutboxGrain>(Guid.CreateVersion7().ToString("N"));
        var writes = created.Select(o => o.Write!).ToList();
        if (outbox is not null)
        {
            writes.Add(bulk.Prepare(ImportOutboxGrain.StateName, outbox.GetGrainId(), new ImportOutbox { Outbox = events }));
        }

        var matchable = created.Select(o => (o.Listing!, Lot: o.Listing!.ToMatchSummary())).Where(x => x.Lot is not null)
            .GroupBy(x => MatchPartitions.ForLot(x.Lot!), x => new VersionedLot(x.Item1.Version, x.Lot!)).ToArray();
        t.Build.Stop();

        cancellationToken.ThrowIfCancellationRequested();
        t.RecordIds.Start();
        // Recorded before the lots are stored, as each lot's own write does: the seller's list with the new lots'
        // statuses (one write of the seller's record a batch, not two), the partitions they enter, the day their window
        // ends. A record of a lot that is then not stored is harmless (dropped when read; a lot that its grain creates
        // later reports its own status). The three are independent, so they go at once: their writes share group commits.
        await Task.WhenAll(
        [
            grains.GetGrain<ITraderGrain>(firmId).AddListingsAsync(
                batch.Where(r => !r.ByLotId).Select(r => r.LotId!).ToArray(),
                created.Select(o => new ListingStatusReport(o.Listing!.Id, Listing.StatusCode(o.Listing.Status), o.Listing.Version)).ToArray()),
            .. matchable.Select(p => PatientlyAsync(() => grains.GetGrain<IMatchPartitionGrain>(p.Key).LotsJoiningAsync(p.Select(l => l.Lot.Id).ToArray()))),
            .. created.Where(o => o.Listing!.NextDeadline() is not null)
                .GroupBy(o => DeadlineCalendarGrain.KeyOf(o.Listing!.Details!.Availability.To), o => o.Listing!.Id)
                .Select(d => grains.GetGrain<IDeadlineCalendarGrain>(d.Key).AddAsync(d.ToArray())),
        ]);
        t.RecordIds.Stop();
        return new PreparedBatch(outcomes, created, writes, outbox, matchable);
    }

    /// <summary>
    /// The bulk path's second half for one prepared batch: reports its refused rows, stores its new lots in one
    /// transaction, all or none, and hands them to the search index, the partitions and the webhook registries. Answers
    /// the rows left for their grains (rows that change an existing lot, and new lots when one of them was created
    /// meanwhile). <paramref name="refuse"/> hears each row refused; <paramref name="counted"/> the lots created and unchanged.
    /// </summary>
    private async Task<LotRow[]> StoreAsync(IBulkGrainStorage bulk, string firmId, PreparedBatch batch, Timings t, Action<LotRow, Exception> refuse, Action<int, int> counted)
    {
        var (outcomes, created, writes, outbox, matchable) = batch;
        foreach (var refused in outcomes.Where(o => o.Error is not null))
        {
            refuse(refused.Row!, refused.Error!);
        }

        t.Store.Start();
        try
        {
            await bulk.CreateAllAsync(writes);
        }
        catch (InconsistentStateException e)
        {
            // One of them was created meanwhile (another import, a request): nothing was stored; their grains decide.
            logger.LogInformation(e, "Import for {FirmId}: a lot of the batch was created meanwhile; its {Count} new lots go through their grains", firmId, created.Length);
            t.Store.Stop();
            counted(0, outcomes.Count(o => o.IsUnchanged));
            return outcomes.Where(o => o.Row is not null && o.Error is null).Select(o => o.Row!).ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // All or nothing: none of the batch's new lots is stored, and each is reported; uploading again retries them.
            logger.LogWarning(e, "Import for {FirmId}: storing {Count} new lots failed", firmId, created.Length);
            t.Store.Stop();
            foreach (var o in created)
            {
                refuse(o.Row!, e);
            }

            counted(0, outcomes.Count(o => o.IsUnchanged));
            return outcomes.Where(o => o.Grain).Select(o => o.Row!).ToArray();
        }

        t.Store.Stop();
        counted(created.Length, outcomes.Count(o => o.IsUnchanged));

        // Stored: the followers hear of it as they would from each lot's grain.
        t.Index.Start();
        await changes.StoredManyAsync(created.Select(o => o.Listing!).ToArray(), CancellationToken.None);
        t.Index.Stop();

        t.Match.Start();
        foreach (var partition in matchable)
        {
            _ = grains.GetGrain<IMatchPartitionGrain>(partition.Key).LotsChangedAsync(partition.ToArray());
        }

        t.Match.Stop();

        t.Events.Start();
        if (outbox is not null)
        {
            try
            {
                await outbox.HandOverAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Import for {FirmId}: handing over the webhook events of {Count} new lots failed; the webhook recovery hands them over at the next start", firmId, created.Length);
            }
        }

        t.Events.Stop();
        return outcomes.Where(o => o.Grain).Select(o => o.Row!).ToArray();
    }

    /// <summary>A batch read, built and recorded, ready for <see cref="StoreAsync"/>.</summary>
    private sealed record PreparedBatch(RowOutcome[] Outcomes, RowOutcome[] Created, List<NewGrainState> Writes, IImportOutboxGrain? Outbox,
        IGrouping<string, VersionedLot>[] Matchable);

    private static GrainId ListingId(string lotId) => GrainId.Create("listing", lotId);

    /// <summary>What the bulk path made of one row.</summary>
    private readonly record struct RowOutcome(LotRow? Row, bool Grain, bool IsUnchanged, Listing? Listing, IReadOnlyList<OutboxEvent>? Events, NewGrainState? Write, DomainException? Error)
    {
        public static RowOutcome Unchanged => new(null, false, true, null, null, null, null);

        public static RowOutcome ThroughGrain(LotRow row) => new(row, true, false, null, null, null, null);

        public static RowOutcome New(LotRow row, Listing listing, IReadOnlyList<OutboxEvent> events, NewGrainState write) => new(row, false, false, listing, events, write, null);

        public static RowOutcome Refused(LotRow row, DomainException error) => new(row, false, false, null, null, null, error);
    }

    /// <summary>The run's stopwatches, one per <see cref="ImportTimings"/> entry.</summary>
    private sealed class Timings
    {
        public Stopwatch RecordIds { get; } = new();

        public Stopwatch ApplyRows { get; } = new();

        public Stopwatch ReportStatuses { get; } = new();

        public Stopwatch ReadStored { get; } = new();

        public Stopwatch Build { get; } = new();

        public Stopwatch Store { get; } = new();

        public Stopwatch Index { get; } = new();

        public Stopwatch Match { get; } = new();

        public Stopwatch Events { get; } = new();

        private Stopwatch[] All => [RecordIds, ApplyRows, ReportStatuses, ReadStored, Build, Store, Index, Match, Events];

        public void StopAll()
        {
            foreach (var watch in All)
            {
                watch.Stop();
            }
        }

        public ImportTimings ToTimings()
            => new(RecordIds.Elapsed, ApplyRows.Elapsed, ReportStatuses.Elapsed, ReadStored.Elapsed, Build.Elapsed, Store.Elapsed, Index.Elapsed, Match.Elapsed, Events.Elapsed);
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
            .Select(p => PatientlyAsync(() => grains.GetGrain<IMatchPartitionGrain>(p.Key).LotsJoiningAsync(p.ToArray()))));

    /// <summary>
    /// A partition's join, tried up to three times when it does not answer in Orleans' response time: a partition of
    /// 100,000 lots busy with its reconciliation sweep once kept a 100,000-row import waiting past 30 s, and the
    /// import failed at its fifth batch (probe 11). Joining is idempotent, so a repeat records nothing twice.
    /// </summary>
    private static async Task PatientlyAsync(Func<Task> join)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await join();
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
            }
        }
    }

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
