using System.Diagnostics;
using System.Threading.Channels;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Listings;
using Marketplace.Search;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Search;

/// <summary>
/// Keeps the search index a projection of the listing grains. Each stored lot state arrives here before its grain
/// answers, and is indexed in batches within milliseconds. On start it first catches up with the system of record:
/// lots whose stored version is newer than the index's (say, after the host was killed before a commit) are re-indexed,
/// and documents of lots that no longer exist are removed. The queue of changes is bounded
/// (<see cref="SearchSettings.QueueCapacity"/>): when the engine is slow or down and the queue is full, a change only
/// marks its lot dirty, and the lot is re-read from its grain once the queue has drained, so an outage of the engine
/// costs memory per distinct lot, never per change, and no acknowledged change is lost.
/// </summary>
public sealed class SearchFeed(
    ISearchEngine engine,
    IListingArchive archive,
    IGrainFactory grains,
    MaterialTaxonomy taxonomy,
    IOptions<SearchSettings> settings,
    ILogger<SearchFeed> logger) : BackgroundService, IListingChangeSink
{
    private readonly Channel<ListingDocument> _changes = Channel.CreateBounded<ListingDocument>(
        new BoundedChannelOptions(settings.Value.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the start-up catch-up is done.</summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>Changes waiting in the queue (at most <see cref="SearchSettings.QueueCapacity"/>).</summary>
    public int Queued => _changes.Reader.Count;

    /// <summary>Lots marked for a re-read because the queue was full when they changed.</summary>
    public int Dirty => _dirty.Count;

    /// <inheritdoc />
    public void Stored(Listing listing) => Stored(listing, detailsSince: 0);

    /// <inheritdoc />
    public void Stored(Listing listing, long detailsSince)
    {
        // Never wait here: this runs inside the lot's grain turn. A full queue falls back to re-reading the lot later
        // (a re-read, like the start-up catch-up, knows nothing of the details' age: the engine rewrites it whole).
        if (ListingDocument.From(listing, taxonomy, detailsSince) is { } document && !_changes.Writer.TryWrite(document))
        {
            _dirty.TryAdd(listing.Id, 0);
        }
    }

    /// <inheritdoc />
    public async ValueTask StoredManyAsync(IReadOnlyList<Listing> listings, CancellationToken cancellationToken)
    {
        foreach (var listing in listings)
        {
            if (ListingDocument.From(listing, taxonomy) is { } document)
            {
                await _changes.Writer.WriteAsync(document, cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await CatchUpAsync(stoppingToken);
        var batch = new List<ListingDocument>(settings.Value.BatchSize);
        var lastCommit = Stopwatch.StartNew();
        var dirty = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Idle and committed: wait for the next change. Otherwise wake up in time for the next commit.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            if (dirty)
            {
                var untilCommit = settings.Value.CommitInterval - lastCommit.Elapsed;
                wait.CancelAfter(untilCommit > TimeSpan.Zero ? untilCommit : TimeSpan.Zero);
            }

            try
            {
                if (_dirty.IsEmpty)
                {
                    await _changes.Reader.WaitToReadAsync(wait.Token);
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }

            while (batch.Count < settings.Value.BatchSize && _changes.Reader.TryRead(out var document))
            {
                batch.Add(document);
            }

            // The queue is empty: every change queued before a lot was marked dirty is in this batch or indexed, so
            // the re-read (the lot as it is now) comes after them.
            if (batch.Count < settings.Value.BatchSize && !_dirty.IsEmpty)
            {
                await AddDirtyAsync(batch, settings.Value.BatchSize - batch.Count);
            }

            if (batch.Count > 0)
            {
                await IndexWithRetryAsync(batch, stoppingToken);
                batch.Clear();
                if (!dirty)
                {
                    dirty = true;
                    lastCommit.Restart();
                }
            }

            if (dirty && lastCommit.Elapsed >= settings.Value.CommitInterval)
            {
                await engine.CommitAsync(stoppingToken);
                dirty = false;
                lastCommit.Restart();
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var rest = new List<ListingDocument>();
        while (_changes.Reader.TryRead(out var document))
        {
            rest.Add(document);
        }

        try
        {
            // Bounded by the host's shutdown: grains that cannot be reached would otherwise hold the stop for their timeouts.
            var reread = new List<ListingDocument>();
            await AddDirtyAsync(reread, int.MaxValue).WaitAsync(cancellationToken);
            rest.AddRange(reread);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Count} changed lots were not re-read before stopping; the catch-up at the next start (or `reindex`) finds them", _dirty.Count);
        }

        if (rest.Count > 0)
        {
            await engine.IndexAsync(rest, cancellationToken);
        }

        await engine.CommitAsync(cancellationToken);
    }

    /// <summary>Takes up to <paramref name="most"/> dirty lots off the set and adds their current documents.</summary>
    private async Task AddDirtyAsync(List<ListingDocument> batch, int most)
    {
        var ids = new List<string>();
        foreach (var id in _dirty.Keys)
        {
            if (ids.Count == most)
            {
                break;
            }

            // Off the set before the read: a change stored meanwhile marks the lot again or is queued after this read.
            if (_dirty.TryRemove(id, out _))
            {
                ids.Add(id);
            }
        }

        var failed = false;
        var listings = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IListingGrain>(id).GetAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Re-reading lot {ListingId} for the search index failed; retrying later", id);
                _dirty.TryAdd(id, 0);
                failed = true;
                return null;
            }
        }));
        if (failed)
        {
            // The grains are unreachable for now: do not spin on them.
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        batch.AddRange(listings.OfType<Listing>().Select(l => ListingDocument.From(l, taxonomy)).OfType<ListingDocument>());
    }

    private async Task IndexWithRetryAsync(List<ListingDocument> batch, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await engine.IndexAsync(batch, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Nothing is lost: the batch is kept and retried; after a restart the catch-up would find it anyway.
                var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)));
                logger.LogWarning(e, "Indexing {Count} lots in {Engine} failed (attempt {Attempt}); retrying in {Delay}", batch.Count, engine.Name, attempt, delay);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    /// <summary>Brings the index up to the stored versions of every lot.</summary>
    private async Task CatchUpAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!archive.CanEnumerate)
            {
                logger.LogInformation("Search catch-up skipped: this grain storage cannot be enumerated; run the reindex command after an unclean stop");
                return;
            }

            var watch = Stopwatch.StartNew();
            var (stale, gone) = await DifferencesAsync(stoppingToken);
            var batch = new List<ListingDocument>(settings.Value.BatchSize);
            await foreach (var listing in archive.ListingsAsync(stale, stoppingToken))
            {
                if (ListingDocument.From(listing, taxonomy) is { } document)
                {
                    batch.Add(document);
                }

                if (batch.Count == settings.Value.BatchSize)
                {
                    await IndexWithRetryAsync(batch, stoppingToken);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await IndexWithRetryAsync(batch, stoppingToken);
            }

            if (gone.Count > 0)
            {
                // Look again: a lot created since the first scan is not gone.
                var stillGone = (await DifferencesAsync(stoppingToken)).Gone;
                await engine.DeleteAsync(gone.Where(stillGone.Contains).ToArray(), stoppingToken);
            }

            await engine.CommitAsync(stoppingToken);
            logger.LogInformation("Search index ({Engine}) caught up in {Elapsed} ms: {Stale} lots re-indexed, {Gone} removed",
                engine.Name, watch.ElapsedMilliseconds, stale.Count, gone.Count);

            // A catch-up of many lots is a bulk load: the engine merges after it (in the background, changes go on).
            _ = engine.SettleAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Search catch-up failed; searches may miss lots until `reindex` runs");
        }
        finally
        {
            _caughtUp.TrySetResult();
        }
    }

    private async Task<(HashSet<string> Stale, HashSet<string> Gone)> DifferencesAsync(CancellationToken ct)
    {
        var indexed = await engine.VersionsAsync(ct);
        var stale = new HashSet<string>(StringComparer.Ordinal);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (id, version) in archive.VersionsAsync(ct))
        {
            stored.Add(id);
            if (!indexed.TryGetValue(id, out var have) || have < version)
            {
                stale.Add(id);
            }
        }

        var gone = indexed.Keys.Where(id => !stored.Contains(id)).ToHashSet(StringComparer.Ordinal);
        return (stale, gone);
    }
}
