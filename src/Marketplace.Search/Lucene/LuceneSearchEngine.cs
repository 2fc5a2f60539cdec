using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Marketplace.Domain.Geo;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Directory = Lucene.Net.Store.Directory;

namespace Marketplace.Search.Lucene;

/// <summary>
/// The embedded search engine: a Lucene.Net index on disk (text, and the stored document) with near-real-time readers,
/// plus <see cref="ListingColumns"/> in memory for filters, facets and sorts. One engine per index folder and process.
/// </summary>
public sealed class LuceneSearchEngine : ISearchEngine
{
    private const string IdField = "id";
    private const string IdValues = "id_dv";
    private const string DocField = "doc";
    private const string NumbersField = "c_numbers";
    private const string StringsField = "c_strings";
    private const int PackedLength = 58;

    /// <summary>Segments with fewer documents are collected in document order (see <see cref="TextCollector"/>).</summary>
    internal const int OutOfOrderMinDocs = 100_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Directory _directory;
    private readonly DirectoryInfo _folder;
    private readonly TextAnalysis _analysis = new();
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;
    private readonly ListingColumns _columns = new();
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly ConditionalWeakTable<object, int[]> _docToSlot = new();
    private readonly ConditionalWeakTable<IndexReader, SlotDocs> _slotToDoc = new();
    private SlotDocs? _lastSlotDocs;

    /// <summary>
    /// The available quantity and status of each lot whose last change touched only those: the columns have them, its
    /// stored document still shows those of the version last written whole, so hits read them here. Written
    /// under the write lock; gone when the lot is written whole again, and after a restart (the columns then load the
    /// stored version, which the catch-up finds older than the lot's and writes whole).
    /// </summary>
    private readonly ConcurrentDictionary<string, (decimal Available, string Status)> _quantities = new(StringComparer.Ordinal);

    /// <summary>Lucene documents added or replaced since opening (tests: a quantity change writes none).</summary>
    private long _documentsWritten;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeSpan _idleMergeAfter;
    private readonly int _bulkMergeMinDocs;
    private readonly ILogger _logger;
    private readonly Timer? _idleTimer;
    private long _lastWrite = Stopwatch.GetTimestamp();
    private int _idleMerging;
    private long _changedSinceMerge;
    private long _lastRefresh = long.MinValue / 2;
    private int _refreshPending;
    private int _refreshes;
    private int _disposed;

    /// <summary>
    /// How long a bulk load's writes must have paused before the engine takes it as ended and merges by itself (a bulk
    /// import through the feed has no explicit end; a rebuild and the start-up catch-up call <see cref="SettleAsync"/>).
    /// </summary>
    internal static readonly TimeSpan DefaultBulkPause = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The least share of the index's lots that must have changed since the last merge for a bulk merge: a merge rewrites
    /// the whole index (about 20 s of one core at 1M lots), so it follows only writes of a tenth of the index or more.
    /// </summary>
    internal const double BulkMergeMinShare = 0.1;

    private LuceneSearchEngine(DirectoryInfo folder, TimeSpan refreshInterval, TimeSpan idleMergeAfter, int bulkMergeMinDocs, ILogger? logger)
    {
        _folder = folder;
        _directory = new NRTCachingDirectory(OpenDirectory(folder), NewSegmentsCacheMergeMegabytes, NewSegmentsCacheMegabytes);
        _refreshInterval = refreshInterval;
        _idleMergeAfter = idleMergeAfter;
        _bulkMergeMinDocs = bulkMergeMinDocs;
        _logger = logger ?? NullLogger.Instance;
        var config = new IndexWriterConfig(TextAnalysis.Version, _analysis.ForIndex())
        {
            OpenMode = OpenMode.CREATE_OR_APPEND,
            Similarity = new BM25Similarity(),
            // Large in-memory segments and no compound files: bulk loads flush and merge less.
            RAMBufferSizeMB = 256,
            UseCompoundFile = false,
            MergePolicy = new LiveIndexMergePolicy { NoCFSRatio = 0 },
        };
        _writer = new IndexWriter(_directory, config);
        _searchers = new SearcherManager(_writer, true, new Bm25SearcherFactory());
        _searchers.AddListener(new RefreshCounter(this));
        if (idleMergeAfter > TimeSpan.Zero || bulkMergeMinDocs > 0)
        {
            var quarter = idleMergeAfter > TimeSpan.Zero ? idleMergeAfter.Ticks / 4 : long.MaxValue;
            var half = bulkMergeMinDocs > 0 ? DefaultBulkPause.Ticks / 2 : long.MaxValue;
            var period = TimeSpan.FromTicks(Math.Clamp(Math.Min(quarter, half), TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
            _idleTimer = new Timer(_ => _ = MergeIfIdleAsync(), null, period, period);
        }
    }

    /// <inheritdoc />
    public string Name => "Lucene";

    /// <summary>
    /// Opens (or creates) the index in <paramref name="folder"/> and loads its columns. Indexed changes become
    /// searchable when the searcher refreshes: at once after a batch, unless the last refresh is less than
    /// <paramref name="refreshInterval"/> old; then once when it is, for every batch indexed meanwhile (a steady stream
    /// of small batches refreshes at a bounded rate; each refresh writes a segment). Zero (the default) refreshes after
    /// every batch. <see cref="CommitAsync"/> always refreshes at once. With a positive <paramref name="idleMergeAfter"/>,
    /// an index that took no change for that long is merged into one segment in the background (see
    /// <see cref="MergeIfIdleAsync"/>); zero (the default) never does. With a positive <paramref name="bulkMergeMinDocs"/>,
    /// a bulk load is merged into one segment when it ends (see <see cref="SettleAsync"/>): once at least that many lots,
    /// and a tenth of the index, were written since the last merge, at <see cref="SettleAsync"/> or after a pause of
    /// <see cref="DefaultBulkPause"/> in the writes; zero (the default) never does. <paramref name="postingsCacheBytes"/>
    /// bounds the decoded postings of frequent terms (see <see cref="Postings"/>): zero turns them off (the matcher reads
    /// Lucene's postings), null takes the default, <see cref="PostingsCacheBytes"/>. <paramref name="hitCacheBytes"/>
    /// bounds the parsed stored documents of hits (see <see cref="Hits"/>): zero turns them off (every hit parsed again),
    /// null takes the default, <see cref="HitCacheBytes"/>.
    /// </summary>
    public static LuceneSearchEngine Open(string folder, TimeSpan refreshInterval = default, TimeSpan idleMergeAfter = default, ILogger? logger = null, int bulkMergeMinDocs = 0,
        long? postingsCacheBytes = null, long? hitCacheBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(refreshInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(idleMergeAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(bulkMergeMinDocs);
        ArgumentOutOfRangeException.ThrowIfNegative(postingsCacheBytes ?? 0);
        ArgumentOutOfRangeException.ThrowIfNegative(hitCacheBytes ?? 0);
        System.IO.Directory.CreateDirectory(folder);
        var engine = new LuceneSearchEngine(new DirectoryInfo(folder), refreshInterval, idleMergeAfter, bulkMergeMinDocs, logger);
        if (postingsCacheBytes is { } bound)
        {
            engine.Postings = bound == 0 ? null : new PostingsCache(bound, PostingsCacheMinDocFreq);
        }

        if (hitCacheBytes is { } hitBound)
        {
            engine.Hits = hitBound == 0 ? null : new HitDocumentCache(hitBound);
        }

        engine.LoadColumns();
        return engine;
    }

    /// <summary>
    /// The index folder: stored documents (<c>.fdt</c>, <c>.fdx</c>) through buffered file reads, everything else memory-mapped.
    /// A page's stored documents are LZ4-decompressed a byte at a time, and through Lucene.Net's memory map each byte costs
    /// a SafeHandle add-ref and release: loading the 20 hits was 20 % of all query CPU at 1M, 13 % through a buffer.
    /// Postings and term dictionaries are read in blocks and stay memory-mapped.
    /// </summary>
    internal static Directory OpenDirectory(DirectoryInfo folder)
        => new FileSwitchDirectory(new HashSet<string>(StoredExtensions, StringComparer.Ordinal), new StoredFieldsDirectory(folder), FSDirectory.Open(folder), true);

    /// <summary>
    /// New segments (a refresh's flush, or a merge) expected at most this size are written to memory, not to the folder,
    /// until a commit writes and syncs them (<see cref="NRTCachingDirectory"/>): under a stream of changes a refresh every
    /// 100 ms flushes a segment of a few lots, most of which a merge folds away before the next commit (5 s), so they are
    /// never written to disk, and each file's write buffer (16 KiB) is a few 1 KiB blocks. Bulk loads and the merge into
    /// one segment are larger and go to the folder as before.
    /// </summary>
    internal const double NewSegmentsCacheMergeMegabytes = 4;

    /// <summary>The most new segments' files held in memory at once, MiB; past it new files go to the folder.</summary>
    internal const double NewSegmentsCacheMegabytes = 32;

    /// <summary>The file extensions of Lucene's stored fields (the hits' documents).</summary>
    internal static readonly string[] StoredExtensions = ["fdt", "fdx"];

    /// <summary>The index folder as Lucene reads it (tests check how each file is read).</summary>
    internal Directory IndexDirectory => _directory;

    /// <summary>The lots' columns (tests read their slot layout).</summary>
    internal ListingColumns Columns => _columns;

    /// <summary>The writer's merge policy (the harness tries its settings on a live index; they apply to the next merge chosen).</summary>
    internal LiveIndexMergePolicy MergePolicy => (LiveIndexMergePolicy)_writer.Config.MergePolicy;

    /// <summary>How many times the searcher reopened on new changes (tests count them).</summary>
    internal int Refreshes => Volatile.Read(ref _refreshes);

    /// <summary>Documents in the index (every status).</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _columns.LiveCount;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <inheritdoc />
    public async Task IndexAsync(IReadOnlyCollection<ListingDocument> documents, CancellationToken cancellationToken = default)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            // Newest version per id within the batch; skip what the index already has at that version or later.
            var fresh = documents.GroupBy(d => d.Id, StringComparer.Ordinal).Select(g => g.MaxBy(d => d.Version)!).ToList();
            // One look at the columns: drop what the index has at that version or later; note which lots it knows
            // (a known one is replaced, a new one added), and which it holds at a version whose details are the
            // document's (only the quantity and status changed since: a hold, its release, a status): those update the
            // columns alone, no text analysed, no document written.
            var known = new List<bool>(fresh.Count);
            var quantities = new List<ListingDocument>();
            _lock.EnterReadLock();
            try
            {
                fresh.RemoveAll(d => _columns.VersionOf(d.Id) >= d.Version);
                fresh.RemoveAll(d =>
                {
                    var indexed = _columns.VersionOf(d.Id);
                    if (d.DetailsSince > 0 && indexed >= d.DetailsSince)
                    {
                        quantities.Add(d);
                        return true;
                    }

                    return false;
                });
                known.AddRange(fresh.Select(d => _columns.VersionOf(d.Id) >= 0));
            }
            finally
            {
                _lock.ExitReadLock();
            }

            // The writer analyses documents on the calling threads: spread a batch over the cores.
            Parallel.For(0, fresh.Count, new ParallelOptions { MaxDegreeOfParallelism = fresh.Count < 64 ? 1 : Environment.ProcessorCount, CancellationToken = cancellationToken }, i =>
            {
                var document = ToLucene(fresh[i]);
                if (known[i])
                {
                    _writer.UpdateDocument(new Term(IdField, fresh[i].Id), document);
                }
                else
                {
                    _writer.AddDocument(document);
                }
            });

            Interlocked.Add(ref _documentsWritten, fresh.Count);
            _lock.EnterWriteLock();
            try
            {
                foreach (var d in fresh)
                {
                    _columns.Set(d);
                    _quantities.TryRemove(d.Id, out _);
                }

                foreach (var d in quantities)
                {
                    _columns.SetQuantity(d.Id, d.Version, d.IsActive, (double)d.Available);
                    _quantities[d.Id] = (d.Available, d.Status);
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            if (fresh.Count > 0)
            {
                Interlocked.Add(ref _changedSinceMerge, fresh.Count);
                Volatile.Write(ref _lastWrite, Stopwatch.GetTimestamp());
                RefreshSoon();
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            foreach (var id in ids)
            {
                _writer.DeleteDocuments(new Term(IdField, id));
            }

            _lock.EnterWriteLock();
            try
            {
                foreach (var id in ids)
                {
                    _columns.Remove(id);
                    _quantities.TryRemove(id, out _);
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            Interlocked.Add(ref _changedSinceMerge, ids.Count);
            Volatile.Write(ref _lastWrite, Stopwatch.GetTimestamp());
            RefreshSoon();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> VersionsAsync(CancellationToken cancellationToken = default)
    {
        _lock.EnterReadLock();
        try
        {
            return Task.FromResult<IReadOnlyDictionary<string, long>>(_columns.AllVersions());
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            _writer.Commit();
            Refresh();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The pause in a bulk load's writes after which the timer merges (<see cref="DefaultBulkPause"/>; tests shorten it).</summary>
    internal TimeSpan BulkPause { get; set; } = DefaultBulkPause;

    /// <summary>Lots written (added, replaced or removed) since the last merge into one segment began.</summary>
    internal long ChangedSinceMerge => Interlocked.Read(ref _changedSinceMerge);

    /// <summary>True when <paramref name="changed"/> lots written into an index of <paramref name="indexed"/> make a bulk load worth a merge.</summary>
    internal bool IsBulk(long changed, int indexed) => _bulkMergeMinDocs > 0 && changed >= Math.Max(_bulkMergeMinDocs, BulkMergeMinShare * indexed);

    /// <summary>
    /// A bulk load ended (a rebuild, the start-up catch-up): when at least the bulk threshold given to <see cref="Open"/>
    /// (and a tenth of the index) was written since the last merge, merges the index into one segment, as a settled index
    /// answers fastest (at 1M lots, as bulk loaded in 21 segments, p95 was 12.6–13.4 ms against 9.2–9.7 in one). Writes
    /// go on meanwhile; progress is logged; cancelling stops the wait, and the merge then finishes in the background or
    /// is abandoned when the engine is disposed. True when it merged.
    /// </summary>
    public Task<bool> SettleAsync(CancellationToken cancellationToken = default)
        => IsBulk(ChangedSinceMerge, Count) ? MergeAsync("a bulk load ended", cancellationToken) : Task.FromResult(false);

    /// <summary>
    /// The timer's check, also callable directly: merges the index into one segment when it took no change for the idle
    /// time given to <see cref="Open"/>, when a bulk load's writes (see <see cref="SettleAsync"/>) paused for
    /// <see cref="BulkPause"/>, or at once with <paramref name="force"/>, and it has more than one segment: each text
    /// query looks its terms up in every segment and opens their postings there, so a settled index answers faster in
    /// one (at 1M lots, 21 segments merged in about 20 s of one core; text queries then took about a tenth less CPU).
    /// Writes go on meanwhile (they only add small segments again); the merged reader is opened and its per-segment
    /// tables built before queries see it. One merge at a time; true when it merged.
    /// </summary>
    internal Task<bool> MergeIfIdleAsync(bool force = false)
    {
        var idle = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastWrite));
        if (force)
        {
            return MergeAsync("asked", CancellationToken.None);
        }

        if (_idleMergeAfter > TimeSpan.Zero && idle >= _idleMergeAfter)
        {
            return MergeAsync($"idle for {idle:g}", CancellationToken.None);
        }

        return idle >= BulkPause && IsBulk(ChangedSinceMerge, Count)
            ? MergeAsync($"a bulk load's writes paused for {idle:g}", CancellationToken.None)
            : Task.FromResult(false);
    }

    /// <summary>Merges into one segment in the background, logging progress (see <see cref="MergeIfIdleAsync"/>).</summary>
    private async Task<bool> MergeAsync(string reason, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 1 || Interlocked.Exchange(ref _idleMerging, 1) == 1)
        {
            return false;
        }

        // Writes after this point count towards the next merge.
        var changed = ChangedSinceMerge;
        Task? merging = null;
        var handedOver = false;
        try
        {
            var before = Segments();
            if (before <= 1)
            {
                Interlocked.Add(ref _changedSinceMerge, -changed);
                return false;
            }

            var size = IndexBytes();
            _logger.LogInformation("Search index: merging its {Segments} segments ({Lots} lots, {MiB:N0} MiB) into one in the background ({Reason})",
                before, Count, size / 1048576.0, reason);
            var watch = Stopwatch.StartNew();
            merging = Task.Run(() => _writer.ForceMerge(1), CancellationToken.None);
            while (!merging.IsCompleted)
            {
                await Task.WhenAny(merging, Task.Delay(MergeProgressEvery, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!merging.IsCompleted)
                {
                    // The merged segment is written next to the old ones: what the folder grew by is what was written.
                    _logger.LogInformation("Search index merge: {Seconds:0} s so far, about {Percent:0} % written",
                        watch.Elapsed.TotalSeconds, Math.Clamp(100.0 * (IndexBytes() - size) / Math.Max(size, 1), 0, 99));
                }
            }

            await merging.ConfigureAwait(false);
            await _writes.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _disposed) == 1)
                {
                    return false;
                }

                _writer.Commit();
                Refresh();
            }
            finally
            {
                _writes.Release();
            }

            Interlocked.Add(ref _changedSinceMerge, -changed);

            // The new reader's slot tables (a million ids looked up at 1M lots) are built here, not by the next query.
            var searcher = _searchers.Acquire();
            try
            {
                _lock.EnterReadLock();
                try
                {
                    foreach (var leaf in searcher.IndexReader.Leaves)
                    {
                        SlotsOf(leaf.AtomicReader);
                    }

                    DocsOf(searcher.IndexReader);
                }
                finally
                {
                    _lock.ExitReadLock();
                }
            }
            finally
            {
                _searchers.Release(searcher);
            }

            _logger.LogInformation("Search index merged from {Before} segments into {After} in {Seconds:0.0} s", before, Segments(), watch.Elapsed.TotalSeconds);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && merging is not null)
        {
            // Stopping: no more waiting. The merge goes on until it ends (the next commit keeps it) or the engine is
            // disposed, which abandons it (the flag stays set until then, so that disposing does not wait for it).
            _logger.LogInformation("Search index merge no longer awaited (stopping); it finishes in the background or is abandoned at shutdown");
            handedOver = true;
            _ = merging.ContinueWith(t => { _ = t.Exception; Volatile.Write(ref _idleMerging, 0); }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return false;
        }
        catch (Exception e) when (e is ObjectDisposedException || Volatile.Read(ref _disposed) == 1)
        {
            return false;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Merging the search index failed; it stays in several segments");
            return false;
        }
        finally
        {
            if (!handedOver)
            {
                Volatile.Write(ref _idleMerging, 0);
            }
        }
    }

    /// <summary>How often a running merge logs its progress.</summary>
    private static readonly TimeSpan MergeProgressEvery = TimeSpan.FromSeconds(5);

    /// <summary>Bytes in the index folder.</summary>
    private long IndexBytes() => _folder.EnumerateFiles().Sum(f =>
    {
        try
        {
            return f.Length;
        }
        catch (IOException)
        {
            return 0;
        }
    });

    /// <summary>Segments the current searcher reads.</summary>
    internal int Segments()
    {
        var searcher = _searchers.Acquire();
        try
        {
            return searcher.IndexReader.Leaves.Count;
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>Merges the index down to at most <paramref name="maxSegments"/> segments, commits and refreshes (the harness measures what fewer segments save).</summary>
    internal void ForceMerge(int maxSegments)
    {
        _writer.ForceMerge(maxSegments);
        _writer.Commit();
        Refresh();
    }

    /// <summary>Waits for background segment merges to finish and commits them (benchmarks measure a settled index).</summary>
    internal void WaitForMerges()
    {
        _writer.WaitForMerges();
        _writer.Commit();
        Refresh();
    }

    /// <inheritdoc />
    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            _writer.DeleteAll();
            _writer.Commit();
            _lock.EnterWriteLock();
            try
            {
                _columns.Clear();
                _quantities.Clear();
            }
            finally
            {
                _lock.ExitWriteLock();
            }

            Refresh();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Reopens the searcher on what was indexed (the caller holds <see cref="_writes"/>).</summary>
    private void Refresh()
    {
        _searchers.MaybeRefreshBlocking();
        Volatile.Write(ref _lastRefresh, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Refreshes now if the last refresh is at least the refresh interval old; otherwise makes sure one refresh follows
    /// when it is (the caller holds <see cref="_writes"/>).
    /// </summary>
    private void RefreshSoon()
    {
        var since = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRefresh));
        if (since >= _refreshInterval)
        {
            Refresh();
        }
        else if (Interlocked.Exchange(ref _refreshPending, 1) == 0)
        {
            _ = RefreshLaterAsync(_refreshInterval - since);
        }
    }

    private async Task RefreshLaterAsync(TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        await _writes.WaitAsync().ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _refreshPending, 0);
            if (Volatile.Read(ref _disposed) == 0)
            {
                Refresh();
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <inheritdoc />
    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
        => Task.FromResult(Search(query));

    /// <summary>Runs a query synchronously (the benchmark harness calls this directly).</summary>
    public SearchResult Search(SearchQuery query)
    {
        SearchValidation.Check(query);
        var cursor = SearchCursor.Decode(query);
        var hasText = !string.IsNullOrWhiteSpace(query.Text);
        var searcher = _searchers.Acquire();
        try
        {
            List<(double Key, int Slot, float Score)> top;
            ScanResult scan;
            _lock.EnterReadLock();
            try
            {
                var filter = new SlotFilter(_columns, query);
                var ranking = new Ranking(_columns, query, cursor, query.Limit + 1, filter);
                if (hasText)
                {
                    // Every word first; when that finds less than a page, settle for most of the words.
                    var strict = _analysis.Build(query.Text!, searcher.IndexReader, strict: true);
                    if (strict is not null)
                    {
                        var circle = query.Near is { } near && query.RadiusKm is { } radius ? InCells(searcher.IndexReader, near, radius) : null;
                        var rewritten = searcher.Rewrite(strict);
                        if (OwnMatcher && ConjunctionMatcher.TryCreate(searcher, rewritten, Postings) is { } own)
                        {
                            // The usual shape (words of term disjunctions): our own walk of the terms' postings, scored as Lucene scores.
                            Interlocked.Increment(ref _ownMatches);
                            var collector = new TextCollector(this, ranking, own);
                            own.Run(searcher.IndexReader, context => circle is null ? context.AtomicReader.LiveDocs : circle.AcceptedIn(context), collector);
                        }
                        else
                        {
                            searcher.Search(circle?.Around(rewritten) ?? rewritten, new TextCollector(this, ranking));
                        }

                        if (ranking.Total < query.Limit && _analysis.Build(query.Text!, searcher.IndexReader, strict: false) is { } relaxed
                            && relaxed.ToString() != strict.ToString())
                        {
                            ranking = new Ranking(_columns, query, cursor, query.Limit + 1, filter);
                            searcher.Search(circle?.Around(relaxed) ?? relaxed, new TextCollector(this, ranking));
                        }
                    }
                }
                else if (filter.Categories is { } allowed)
                {
                    // Browsing a category: visit only the lots filed under it and its subcategories.
                    for (var ordinal = 0; ordinal < allowed.Length; ordinal++)
                    {
                        if (allowed[ordinal])
                        {
                            foreach (var slot in _columns.SlotsIn(ordinal))
                            {
                                if (_columns.Rows[slot].Category == ordinal)
                                {
                                    ranking.Offer(slot, 0f);
                                }
                            }
                        }
                    }
                }
                else
                {
                    for (var slot = 0; slot < _columns.Count; slot++)
                    {
                        ranking.Offer(slot, 0f);
                    }
                }

                top = ranking.Best();
                scan = ranking.Result();
            }
            finally
            {
                _lock.ExitReadLock();
            }

            (HashSet<string>, string[])? forms = hasText ? _analysis.QueryForms(query.Text!) : null;
            var hits = new List<SearchHit>();
            foreach (var (key, slot, score) in top.Take(query.Limit))
            {
                if (Load(searcher, slot) is { } d)
                {
                    hits.Add(ToHit(d, query, score, forms));
                }
            }

            string? next = null;
            if (top.Count > query.Limit && hits.Count > 0)
            {
                var (key, slot, _) = top[query.Limit - 1];
                next = new SearchCursor(query.Sort, key, _columns.Ids[slot] ?? hits[^1].Id).Encode(query);
            }

            return new SearchResult(hits, scan.Total, scan.Facets, next);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>
    /// The documents of the lots in the cells covering a circle (the caller holds the read lock), or null when they are
    /// more than <see cref="CellFilterMaxShare"/> of the lots (matching the words inside them would then save less than
    /// marking them costs) or the circle has no covering.
    /// </summary>
    private CellFilter? InCells(IndexReader reader, GeoPoint centre, double radiusKm)
    {
        if (CellFilterMaxShare <= 0 || GeoCells.Covering(centre, radiusKm) is not { } cells)
        {
            return null;
        }

        var candidates = 0L;
        foreach (var cell in cells)
        {
            candidates += _columns.SlotsInCell(cell).Count;
        }

        if (candidates > CellFilterMaxShare * _columns.LiveCount)
        {
            return null;
        }

        var docs = DocsOf(reader);
        var marked = new FixedBitSet(Math.Max(1, reader.MaxDoc));
        foreach (var cell in cells)
        {
            foreach (var slot in _columns.SlotsInCell(cell))
            {
                if (docs.DocOf(slot) is var doc and >= 0)
                {
                    marked.Set(doc);
                }
            }
        }

        return new CellFilter(marked, CellFilterRandomAccess);
    }

    /// <summary>The strict text query of a text over a reader (the benchmark project's probe).</summary>
    internal Query? StrictQuery(string text, IndexReader reader) => _analysis.Build(text, reader, strict: true);

    /// <summary>The current searcher; release it with <see cref="ReleaseSearcher"/> (the benchmark project's probe).</summary>
    internal IndexSearcher AcquireSearcher() => _searchers.Acquire();

    /// <summary>Releases a searcher from <see cref="AcquireSearcher"/>.</summary>
    internal void ReleaseSearcher(IndexSearcher searcher) => _searchers.Release(searcher);

    /// <summary>
    /// True: a strict text query of one word or more, each a disjunction of terms after rewriting, is matched by
    /// <see cref="ConjunctionMatcher"/> (the same hits and scores); false: by Lucene's scorer tree (the harness compares both).
    /// </summary>
    internal bool OwnMatcher { get; set; } = true;

    private int _ownMatches;

    /// <summary>
    /// The decoded postings of frequent terms that <see cref="ConjunctionMatcher"/> reads instead of Lucene's postings
    /// (null: none). Per segment core, so it survives refreshes; at most 80 MiB (every term of the harness's mix in 2,048 documents or more at 1M lots, with the norms, takes about 69 MiB), terms in 2,048 documents of a segment or more.
    /// </summary>
    internal PostingsCache? Postings { get; set; } = new(PostingsCacheBytes, PostingsCacheMinDocFreq);

    /// <summary>
    /// The parsed stored documents of hits, per segment core (null: every hit's document is parsed again). At most
    /// <see cref="HitCacheBytes"/> by default.
    /// </summary>
    internal HitDocumentCache? Hits { get; set; } = new(HitCacheBytes);

    /// <summary>The default bound of <see cref="Hits"/>, bytes (a lot's document takes about 1–3 KiB parsed: 10,000 or more).</summary>
    internal const long HitCacheBytes = 32L << 20;

    /// <summary>The default bound of <see cref="Postings"/>, bytes.</summary>
    internal const long PostingsCacheBytes = 80L << 20;

    /// <summary>The default least document frequency in a segment of a term in <see cref="Postings"/>.</summary>
    internal const int PostingsCacheMinDocFreq = 2048;

    /// <summary>Text queries matched by <see cref="ConjunctionMatcher"/> so far (tests check which path a query took).</summary>
    internal int OwnMatches => Volatile.Read(ref _ownMatches);

    /// <summary>
    /// Text near a place matches its words only among the lots in the cells around the circle when those are at most this
    /// share of all lots (0 turns the cells off; tests set 1 to use them always).
    /// </summary>
    internal double CellFilterMaxShare { get; set; } = 0.5;

    /// <summary>True: the cells' documents are handed to the postings as accepted documents; false: they lead a leap-frog.</summary>
    internal bool CellFilterRandomAccess { get; set; } = true;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return ValueTask.CompletedTask;
        }

        _idleTimer?.Dispose();
        _writes.Wait();
        try
        {
            _searchers.Dispose();
            _writer.Commit();
            // An idle merge (a whole index's rewrite, about 20 s at 1M lots) is abandoned, not waited for: the shutdown
            // stays bounded, and the committed segments are the index the next start opens.
            _writer.Dispose(waitForMerges: Volatile.Read(ref _idleMerging) == 0);
            _directory.Dispose();
            _analysis.Dispose();
        }
        finally
        {
            _writes.Release();
        }

        return ValueTask.CompletedTask;
    }

    private ListingDocument? Load(IndexSearcher searcher, int slot)
    {
        var doc = DocsOf(searcher.IndexReader).DocOf(slot);
        if (doc < 0)
        {
            // A lot added after this reader opened: look it up by id.
            var id = _columns.Ids[slot];
            var found = id is null ? null : searcher.Search(new TermQuery(new Term(IdField, id)), 1);
            if (found is null || found.TotalHits == 0)
            {
                return null;
            }

            doc = found.ScoreDocs[0].Doc;
        }

        var leaves = searcher.IndexReader.Leaves;
        var leaf = leaves[ReaderUtil.SubIndex(doc, leaves)];
        var stored = Hits is { } hits ? hits.Get(leaf.AtomicReader, doc - leaf.DocBase, Parse) : Parse(leaf.AtomicReader, doc - leaf.DocBase).Document;
        return stored is not null && _quantities.TryGetValue(stored.Id, out var now) ? stored with { Available = now.Available, Status = now.Status } : stored;
    }

    /// <summary>A segment's stored document of a lot, parsed, and the stored text's length.</summary>
    private static (ListingDocument? Document, int Chars) Parse(AtomicReader reader, int doc)
    {
        var json = reader.Document(doc).Get(DocField);
        return (JsonSerializer.Deserialize<ListingDocument>(json, Json), json.Length);
    }

    /// <summary>
    /// True: a lot's strings are written as the four sorted doc values of indexes before search13 (tests write such an
    /// index, and one mixing both, and check that it opens with the same columns).
    /// </summary>
    internal bool LegacyStrings { get; set; }

    /// <summary>Lucene documents added or replaced since the engine opened.</summary>
    internal long DocumentsWritten => Interlocked.Read(ref _documentsWritten);

    /// <summary>
    /// The live document of every slot in a reader, built once per reader: from the previous reader's table when the two
    /// share their first segments (only the documents of the segments after those are walked), else from every segment.
    /// </summary>
    private SlotDocs DocsOf(IndexReader reader)
    {
        return _slotToDoc.GetValue(reader, r =>
        {
            var table = SlotDocs.Build(r.Leaves, _columns.Count, SlotsOf, Volatile.Read(ref _lastSlotDocs));
            Volatile.Write(ref _lastSlotDocs, table);
            return table;
        });
    }

    /// <summary>The table of a reader built from every segment (tests compare it with the incremental one).</summary>
    internal int[] FullDocsOf(IndexReader reader)
    {
        _lock.EnterReadLock();
        try
        {
            return SlotDocs.Build(reader.Leaves, _columns.Count, SlotsOf, previous: null).Entries;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The document of a slot in a reader's table, -1 if none (tests compare it with <see cref="FullDocsOf"/>).</summary>
    internal int DocOf(IndexReader reader, int slot)
    {
        _lock.EnterReadLock();
        try
        {
            return DocsOf(reader).DocOf(slot);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private SearchHit ToHit(ListingDocument d, SearchQuery query, float score, (HashSet<string> Words, string[] Prefixes)? forms)
    {
        var highlights = new List<string>();
        if (forms is { } f)
        {
            if (_analysis.Highlight(d.Title, f, 200) is { } title)
            {
                highlights.Add(title);
            }

            if (_analysis.Highlight(d.Description, f, 160) is { } description)
            {
                highlights.Add(description);
            }
        }

        double? distance = query.Near is { } near ? Math.Round(near.DistanceKm(new GeoPoint(d.Latitude, d.Longitude)), 3) : null;
        return new SearchHit(d.Id, d.SellerId, d.Title, d.Category, d.Condition, d.Unit, d.Available, d.PriceMinor, d.Currency, d.Municipality,
            d.Latitude, d.Longitude, d.AvailableFrom, d.AvailableTo, distance, score, highlights);
    }

    private Document ToLucene(ListingDocument d)
    {
        var body = TextAnalysis.BodyText(d);
        return
        [
            new StringField(IdField, d.Id, Field.Store.YES),
            new TextField(TextAnalysis.Title, d.Title, Field.Store.NO),
            new TextField(TextAnalysis.Plain, body, Field.Store.NO),
            new TextField(TextAnalysis.Parts, body, Field.Store.NO),
            new StoredField(DocField, JsonSerializer.Serialize(d, Json)),
            // The columns' fields, so opening the index loads them without parsing a million stored documents.
            new BinaryDocValuesField(NumbersField, PackNumbers(d)),
            .. LegacyStrings
                ? (IEnumerable<IIndexableField>)[
                    new SortedDocValuesField(IdValues, new BytesRef(d.Id)), new SortedDocValuesField("c_unit", new BytesRef(d.Unit)), new SortedDocValuesField("c_currency", new BytesRef(d.Currency)),
                    new SortedDocValuesField("c_category", new BytesRef(d.Category)), new SortedDocValuesField("c_seller", new BytesRef(d.SellerId))]
                : [new BinaryDocValuesField(StringsField, LeafColumns.PackStrings(d))],
        ];
    }

    /// <summary>
    /// Rebuilds the columns from the doc values of the index on disk, a category's lots in adjacent slots: browsing a
    /// category then reads its rows in one sweep of memory instead of a cache miss per lot (lots added later take the next
    /// free slots until the next open).
    /// </summary>
    private void LoadColumns()
    {
        var searcher = _searchers.Acquire();
        try
        {
            _lock.EnterWriteLock();
            try
            {
                var strings = new Dictionary<string, string>(StringComparer.Ordinal);
                var leaves = searcher.IndexReader.Leaves.Select(l => LeafColumns.Of(l.AtomicReader, strings)).Where(l => l is not null).Select(l => l!).ToArray();
                var order = new List<(string Category, int Leaf, int Doc)>();
                for (var leaf = 0; leaf < leaves.Length; leaf++)
                {
                    var l = leaves[leaf];
                    for (var doc = 0; doc < l.Reader.MaxDoc; doc++)
                    {
                        if (l.Live is null || l.Live.Get(doc))
                        {
                            order.Add((l.StringsOf(doc).Category, leaf, doc));
                        }
                    }
                }

                // Stable within a category: index order, as before.
                order.Sort((a, b) => string.CompareOrdinal(a.Category, b.Category) is var byCategory and not 0 ? byCategory
                    : a.Leaf != b.Leaf ? a.Leaf.CompareTo(b.Leaf) : a.Doc.CompareTo(b.Doc));
                var packed = new BytesRef();
                foreach (var (category, leaf, doc) in order)
                {
                    var l = leaves[leaf];
                    l.Numbers.Get(doc, packed);
                    var n = packed.Bytes.AsSpan(packed.Offset, packed.Length);
                    var (unit, currency, _, seller) = l.StringsOf(doc);
                    _columns.Set(l.IdOf(doc), BinaryPrimitives.ReadInt64LittleEndian(n), n[8] == 1,
                        BinaryPrimitives.ReadDoubleLittleEndian(n[9..]), BinaryPrimitives.ReadDoubleLittleEndian(n[17..]),
                        BinaryPrimitives.ReadInt64LittleEndian(n[25..]), BinaryPrimitives.ReadDoubleLittleEndian(n[33..]), n[41],
                        unit, category, seller,
                        BinaryPrimitives.ReadInt32LittleEndian(n[42..]), BinaryPrimitives.ReadInt32LittleEndian(n[46..]), BinaryPrimitives.ReadInt64LittleEndian(n[50..]),
                        currency);
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>The columns' numbers of a document in one doc value (one field indexes faster than ten).</summary>
    private static BytesRef PackNumbers(ListingDocument d)
    {
        var bytes = new byte[PackedLength];
        var n = bytes.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(n, d.Version);
        n[8] = d.IsActive ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteDoubleLittleEndian(n[9..], d.Latitude);
        BinaryPrimitives.WriteDoubleLittleEndian(n[17..], d.Longitude);
        BinaryPrimitives.WriteInt64LittleEndian(n[25..], d.PriceMinor);
        BinaryPrimitives.WriteDoubleLittleEndian(n[33..], (double)d.Available);
        n[41] = (byte)ListingDocument.ConditionRank(d.Condition);
        BinaryPrimitives.WriteInt32LittleEndian(n[42..], d.AvailableFrom.DayNumber);
        BinaryPrimitives.WriteInt32LittleEndian(n[46..], d.AvailableTo.DayNumber);
        BinaryPrimitives.WriteInt64LittleEndian(n[50..], d.ListedAt.UtcTicks);
        return new BytesRef(bytes);
    }

    private static string[] Strings(SortedDocValues values)
    {
        var strings = new string[values.ValueCount];
        var bytes = new BytesRef();
        for (var ord = 0; ord < strings.Length; ord++)
        {
            values.LookupOrd(ord, bytes);
            strings[ord] = bytes.Utf8ToString();
        }

        return strings;
    }

    /// <summary>Slot of each document of a segment (cached per segment core; -1 for ids no longer indexed).</summary>
    private int[] SlotsOf(AtomicReader reader)
    {
        return _docToSlot.GetValue(reader.CoreCacheKey, _ =>
        {
            var values = reader.GetSortedDocValues(IdValues);
            var strings = reader.GetBinaryDocValues(StringsField);
            var slots = new int[reader.MaxDoc];
            var bytes = new BytesRef();
            var chars = new char[256];
            var byOrdinal = new int[values?.ValueCount ?? 0];
            for (var ord = 0; ord < byOrdinal.Length; ord++)
            {
                values!.LookupOrd(ord, bytes);
                byOrdinal[ord] = _columns.SlotOf(bytes.Utf8ToString());
            }

            for (var doc = 0; doc < slots.Length; doc++)
            {
                strings?.Get(doc, bytes);
                if (strings is not null && bytes.Length > 0)
                {
                    ReadOnlySpan<byte> packed = bytes.Bytes.AsSpan(bytes.Offset, bytes.Length);
                    slots[doc] = _columns.SlotOf(LeafColumns.NextString(ref packed, ref chars));
                    continue;
                }

                var ord = values?.GetOrd(doc) ?? -1;
                slots[doc] = ord < 0 ? -1 : byOrdinal[ord];
            }

            return slots;
        });
    }

    /// <summary>
    /// The column doc values of one segment. A lot's strings (id, unit, currency, category, seller) are one binary doc
    /// value, <see cref="StringsField"/>: each a length and its UTF-8 bytes. Segments written before it hold them as five
    /// sorted doc values (read by ordinal), and a merge of both kinds holds each document's strings in one field or the others.
    /// </summary>
    /// <remarks>
    /// One field instead of five because each sorted doc-values field costs a segment's flush two writers with blocks of
    /// 16,384 longs (Lucene45DocValuesConsumer), whatever the segment's size: a refresh under a stream of changes flushes a
    /// segment of a few lots every 100 ms, and the five fields were about two fifths of what a flush and its indexing allocated.
    /// </remarks>
    private sealed class LeafColumns(AtomicReader reader, SortedDocValues? ids, BinaryDocValues numbers, BinaryDocValues? strings, LeafColumns.Legacy? legacy,
        Dictionary<string, string> interned)
    {
        private readonly BytesRef _bytes = new();
        private char[] _chars = new char[256];
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _interned = interned.GetAlternateLookup<ReadOnlySpan<char>>();

        public AtomicReader Reader => reader;

        public IBits? Live { get; } = reader.LiveDocs;

        private readonly string[] _ids = ids is null ? [] : Strings(ids);

        public BinaryDocValues Numbers => numbers;

        /// <summary>The column doc values of <paramref name="reader"/>, null when it has none; strings read are shared through <paramref name="interned"/>.</summary>
        public static LeafColumns? Of(AtomicReader reader, Dictionary<string, string> interned)
        {
            var ids = reader.GetSortedDocValues(IdValues);
            var strings = reader.GetBinaryDocValues(StringsField);
            if (ids is null && strings is null)
            {
                return null;
            }

            var legacy = reader.GetSortedDocValues("c_category") is { } category ? new Legacy(reader, category) : null;
            return new LeafColumns(reader, ids, reader.GetBinaryDocValues(NumbersField), strings, legacy, interned);
        }

        /// <summary>A document's lot id.</summary>
        public string IdOf(int doc)
        {
            strings?.Get(doc, _bytes);
            if (strings is null || _bytes.Length == 0)
            {
                return _ids[ids!.GetOrd(doc)];
            }

            ReadOnlySpan<byte> span = _bytes.Bytes.AsSpan(_bytes.Offset, _bytes.Length);
            return NextString(ref span, ref _chars).ToString();
        }

        /// <summary>A document's other strings.</summary>
        public (string Unit, string Currency, string Category, string Seller) StringsOf(int doc)
        {
            strings?.Get(doc, _bytes);
            if (strings is null || _bytes.Length == 0)
            {
                return legacy!.Of(doc);
            }

            ReadOnlySpan<byte> span = _bytes.Bytes.AsSpan(_bytes.Offset, _bytes.Length);
            NextString(ref span, ref _chars);
            return (Next(ref span), Next(ref span), Next(ref span), Next(ref span));
        }

        /// <summary>The strings packed for <see cref="StringsField"/>.</summary>
        public static BytesRef PackStrings(ListingDocument d)
        {
            string[] values = [d.Id, d.Unit, d.Currency, d.Category, d.SellerId];
            var bytes = new byte[values.Sum(v => 5 + System.Text.Encoding.UTF8.GetByteCount(v))];
            var at = 0;
            foreach (var value in values)
            {
                var length = System.Text.Encoding.UTF8.GetByteCount(value);
                for (var rest = (uint)length; ; rest >>= 7)
                {
                    bytes[at++] = (byte)(rest < 0x80 ? rest : (rest & 0x7F) | 0x80);
                    if (rest < 0x80)
                    {
                        break;
                    }
                }

                at += System.Text.Encoding.UTF8.GetBytes(value, bytes.AsSpan(at));
            }

            return new BytesRef(bytes, 0, at);
        }

        /// <summary>The next string of a packed value (in <paramref name="chars"/>, grown when short), and the value after it.</summary>
        public static ReadOnlySpan<char> NextString(ref ReadOnlySpan<byte> span, ref char[] chars)
        {
            var length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = span[0];
                span = span[1..];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            if (chars.Length < length)
            {
                chars = new char[length];
            }

            var text = chars.AsSpan(0, System.Text.Encoding.UTF8.GetChars(span[..length], chars));
            span = span[length..];
            return text;
        }

        /// <summary>The next string of a packed value, one instance per distinct string.</summary>
        private string Next(ref ReadOnlySpan<byte> span)
        {
            var text = NextString(ref span, ref _chars);
            if (!_interned.TryGetValue(text, out var known))
            {
                known = text.ToString();
                _interned[text] = known;
            }

            return known;
        }

        /// <summary>The sorted doc values (other than the id's) of segments written before <see cref="StringsField"/>.</summary>
        internal sealed class Legacy(AtomicReader reader, SortedDocValues category)
        {
            private readonly SortedDocValues _unit = reader.GetSortedDocValues("c_unit");
            private readonly SortedDocValues _seller = reader.GetSortedDocValues("c_seller");

            // Indexes written before lots carried a currency column hold euro prices only.
            private readonly SortedDocValues? _currency = reader.GetSortedDocValues("c_currency");
            private readonly string[] _units = Strings(reader.GetSortedDocValues("c_unit"));
            private readonly string[] _categories = Strings(category);
            private readonly string[] _sellers = Strings(reader.GetSortedDocValues("c_seller"));
            private readonly string[] _currencies = reader.GetSortedDocValues("c_currency") is { } c ? Strings(c) : [];

            public (string Unit, string Currency, string Category, string Seller) Of(int doc)
                => (_units[_unit.GetOrd(doc)], _currency is null ? Domain.Common.Money.DefaultCurrency : _currencies[_currency.GetOrd(doc)],
                    _categories[category.GetOrd(doc)], _sellers[_seller.GetOrd(doc)]);
        }
    }

    /// <summary>Feeds Lucene's matches (live documents only) into the ranking.</summary>
    private sealed class TextCollector(LuceneSearchEngine engine, Ranking ranking, IMatchScore? own = null) : ICollector, IMatchScore
    {
        private Scorer? _scorer;
        private int[] _slots = [];
        private bool _outOfOrder = true;

        // Lucene asks after SetNextReader, per segment. Out of order, a disjunction is scored by BooleanScorer, which
        // allocates a table of 2,048 buckets per segment and query: worth it over a large segment, while over the many
        // small segments of an index that takes live changes it cost more than the matching (8 % of all query time at 1M).
        public bool AcceptsDocsOutOfOrder => _outOfOrder;

        public void SetScorer(Scorer scorer) => _scorer = scorer;

        public void SetNextReader(AtomicReaderContext context)
        {
            _slots = engine.SlotsOf(context.AtomicReader);
            _outOfOrder = context.AtomicReader.MaxDoc >= OutOfOrderMinDocs;
        }

        public void Collect(int doc)
        {
            var slot = _slots[doc];
            if (slot >= 0)
            {
                ranking.Offer(slot, own ?? this);
            }
        }

        public float GetScore() => _scorer!.GetScore();
    }

    /// <summary>
    /// Slot to live document of one reader (-1 where it has none). A reader sharing its first segments (same core, same
    /// first document, at least as many deletions) with the reader of the table before copies that table and then walks
    /// only: the documents of the old reader's later segments (their entries cleared), those of its own later segments
    /// (an entry into a shared segment whose document is deleted now is cleared: a changed lot is deleted in an old segment
    /// and added in a new one; then the live ones written), and, only where deletions in a shared segment are not all
    /// accounted for so (lots removed), that whole segment. Deletions in a segment core only grow, so a document live now
    /// was live in the older table and its entry is still there.
    /// </summary>
    private sealed class SlotDocs
    {
        private readonly int[] _docs;
        private readonly object[] _cores;
        private readonly int[] _starts;
        private readonly int[] _deleted;
        private readonly int[][] _slots;
        private readonly IBits?[] _live;

        /// <summary>False if a live document's slot was past the table (a lot added while it was built): no base for another.</summary>
        private bool _complete = true;

        private SlotDocs(int[] docs, IList<AtomicReaderContext> leaves, Func<AtomicReader, int[]> slotsOf)
        {
            _docs = docs;
            _cores = new object[leaves.Count];
            _starts = new int[leaves.Count];
            _deleted = new int[leaves.Count];
            _slots = new int[leaves.Count][];
            _live = new IBits?[leaves.Count];
            for (var i = 0; i < leaves.Count; i++)
            {
                var reader = leaves[i].AtomicReader;
                _cores[i] = reader.CoreCacheKey;
                _starts[i] = leaves[i].DocBase;
                _deleted[i] = reader.NumDeletedDocs;
                _slots[i] = slotsOf(reader);
                _live[i] = reader.LiveDocs;
            }
        }

        /// <summary>The entries (the live document of each slot, -1 where none).</summary>
        public int[] Entries => _docs;

        /// <summary>Segments of this table's reader taken over from the table it was built from (0: built from every segment).</summary>
        public int Shared { get; private set; }

        public static SlotDocs Build(IList<AtomicReaderContext> leaves, int count, Func<AtomicReader, int[]> slotsOf, SlotDocs? previous)
        {
            var shared = previous is null ? 0 : previous.SharedWith(leaves, count);
            var docs = new int[count];
            var table = new SlotDocs(docs, leaves, slotsOf) { Shared = shared };
            if (shared == 0)
            {
                Array.Fill(docs, -1);
            }
            else
            {
                Array.Copy(previous!._docs, docs, previous._docs.Length);
                docs.AsSpan(previous._docs.Length).Fill(-1);
                var end = shared < leaves.Count ? table._starts[shared] : int.MaxValue;
                end = Math.Min(end, previous._starts.Length > shared ? previous._starts[shared] : int.MaxValue);

                // Entries numbered in the old reader's later segments.
                for (var i = shared; i < previous._slots.Length; i++)
                {
                    foreach (var slot in previous._slots[i])
                    {
                        if ((uint)slot < (uint)docs.Length && docs[slot] >= end)
                        {
                            docs[slot] = -1;
                        }
                    }
                }

                // Entries into shared segments of documents deleted since, for the slots of the later segments.
                var accounted = new int[shared];
                for (var i = shared; i < leaves.Count; i++)
                {
                    foreach (var slot in table._slots[i])
                    {
                        if ((uint)slot < (uint)docs.Length && docs[slot] is var doc and >= 0 && doc < end)
                        {
                            var leaf = table.LeafOf(doc);
                            if (table._live[leaf] is { } live && !live.Get(doc - table._starts[leaf]))
                            {
                                accounted[leaf]++;
                                docs[slot] = -1;
                            }
                        }
                    }
                }

                // Shared segments with deletions not accounted for (lots removed): their documents deleted now, each.
                for (var leaf = 0; leaf < shared; leaf++)
                {
                    if (table._deleted[leaf] - previous._deleted[leaf] > accounted[leaf] && table._live[leaf] is { } live)
                    {
                        var slots = table._slots[leaf];
                        var start = table._starts[leaf];
                        for (var doc = 0; doc < slots.Length; doc++)
                        {
                            if (!live.Get(doc) && (uint)slots[doc] < (uint)docs.Length && docs[slots[doc]] == start + doc)
                            {
                                docs[slots[doc]] = -1;
                            }
                        }
                    }
                }
            }

            for (var i = shared; i < leaves.Count; i++)
            {
                var slots = table._slots[i];
                var live = table._live[i];
                var start = table._starts[i];
                for (var doc = 0; doc < slots.Length; doc++)
                {
                    var slot = slots[doc];
                    if (slot >= 0 && (live is null || live.Get(doc)))
                    {
                        if (slot < docs.Length)
                        {
                            docs[slot] = start + doc;
                        }
                        else
                        {
                            table._complete = false;
                        }
                    }
                }
            }

            return table;
        }

        /// <summary>The live document of a slot, or -1.</summary>
        public int DocOf(int slot) => (uint)slot < (uint)_docs.Length ? _docs[slot] : -1;

        /// <summary>The segment holding a document (the last starting at or before it; segments are few).</summary>
        private int LeafOf(int doc)
        {
            var leaf = _starts.Length - 1;
            while (_starts[leaf] > doc)
            {
                leaf--;
            }

            return leaf;
        }

        /// <summary>
        /// How many first segments of <paramref name="leaves"/> this table's entries hold for: the same cores at the same
        /// first documents with at least as many deletions (0: build from every segment).
        /// </summary>
        private int SharedWith(IList<AtomicReaderContext> leaves, int count)
        {
            if (!_complete || _docs.Length > count)
            {
                return 0;
            }

            var shared = 0;
            while (shared < leaves.Count && shared < _cores.Length
                && ReferenceEquals(leaves[shared].AtomicReader.CoreCacheKey, _cores[shared])
                && leaves[shared].DocBase == _starts[shared]
                && leaves[shared].AtomicReader.NumDeletedDocs >= _deleted[shared])
            {
                shared++;
            }

            return shared;
        }
    }

    /// <summary>
    /// The documents of the lots in a circle's cells, as a filter on a text query. Its scores are the text query's own
    /// (a filter adds no score), so hits, order and totals are those of the text query with the distance checked after.
    /// </summary>
    private sealed class CellFilter(FixedBitSet marked, bool randomAccess) : Filter
    {
        private static readonly FilteredQuery.FilterStrategy AlwaysRandomAccess = new RandomAccessAlways();

        /// <summary>The text query restricted to the cells.</summary>
        public Query Around(Query text)
            => new FilteredQuery(text, this, randomAccess ? AlwaysRandomAccess : FilteredQuery.LEAP_FROG_FILTER_FIRST_STRATEGY);

        /// <summary>A segment's live documents in the cells.</summary>
        public IBits AcceptedIn(AtomicReaderContext context) => new LeafCells(marked, context.DocBase, context.AtomicReader.MaxDoc, context.AtomicReader.LiveDocs);

        public override DocIdSet GetDocIdSet(AtomicReaderContext context, IBits? acceptDocs)
            => new LeafCells(marked, context.DocBase, context.AtomicReader.MaxDoc, acceptDocs);

        /// <summary>One segment's view of the marked documents (numbered from the segment's first document), live ones only.</summary>
        private sealed class LeafCells(FixedBitSet marked, int docBase, int maxDoc, IBits? live) : DocIdSet, IAcceptedDocs
        {
            public int NextAccepted(int target) => NextAtOrAfter(target);

            public override IBits Bits => this;

            public int Length => maxDoc;

            public bool Get(int index) => marked.Get(docBase + index) && (live is null || live.Get(index));

            public override DocIdSetIterator GetIterator() => new Marked(this);

            /// <summary>The first marked live document at or after <paramref name="target"/>, or <see cref="DocIdSetIterator.NO_MORE_DOCS"/>.</summary>
            private int NextAtOrAfter(int target)
            {
                while (target < maxDoc && marked.NextSetBit(docBase + target) is var global and >= 0 && global < docBase + maxDoc)
                {
                    target = global - docBase;
                    if (live is null || live.Get(target))
                    {
                        return target;
                    }

                    target++;
                }

                return DocIdSetIterator.NO_MORE_DOCS;
            }

            private sealed class Marked(LeafCells cells) : DocIdSetIterator
            {
                private int _doc = -1;

                public override int DocID => _doc;

                public override int NextDoc() => Advance(_doc + 1);

                public override int Advance(int target) => _doc = target < 0 || _doc == NO_MORE_DOCS ? NO_MORE_DOCS : cells.NextAtOrAfter(target);

                public override long GetCost() => cells.Length;
            }
        }

        /// <summary>Random access whatever the first marked document (Lucene's default leap-frogs unless it is below 100).</summary>
        private sealed class RandomAccessAlways : FilteredQuery.RandomAccessFilterStrategy
        {
            protected override bool UseRandomAccess(IBits bits, int firstFilterDoc) => true;
        }
    }

    /// <summary>
    /// Buffered reads with a buffer of a whole stored-fields chunk (16 KiB before compression): a document is then one
    /// read from the page cache instead of one per KiB (the default buffer), each a system call.
    /// </summary>
    private sealed class StoredFieldsDirectory(DirectoryInfo folder) : NIOFSDirectory(folder)
    {
        /// <summary>The read buffer of stored fields, bytes.</summary>
        internal const int BufferBytes = 16 * 1024;

        public override IndexInput OpenInput(string name, IOContext context)
        {
            var input = base.OpenInput(name, context);
            if (input is BufferedIndexInput buffered)
            {
                buffered.SetBufferSize(BufferBytes);
            }

            return input;
        }
    }

    private sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = new BM25Similarity() };
    }

    private sealed class RefreshCounter(LuceneSearchEngine engine) : ReferenceManager.IRefreshListener
    {
        public void BeforeRefresh()
        {
        }

        public void AfterRefresh(bool didRefresh)
        {
            if (didRefresh)
            {
                Interlocked.Increment(ref engine._refreshes);
            }
        }
    }
}
