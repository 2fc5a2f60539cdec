namespace Marketplace.Host.Search;

/// <summary>Search settings (section <c>Search</c>).</summary>
public sealed class SearchSettings
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Search";

    /// <summary>
    /// <c>Lucene</c> (embedded, default: one host only, refused in cluster mode), <c>Elasticsearch</c> (clusters) or
    /// <c>None</c> (no index: searches answer 503 <c>search-off</c>).
    /// </summary>
    public string Provider { get; set; } = "Lucene";

    /// <summary>Lucene index folder; relative paths are under the data folder. Default <c>index</c>.</summary>
    public string LucenePath { get; set; } = "index";

    /// <summary>How often indexed changes are made durable (a Lucene commit, an Elasticsearch refresh); default 5 s. Visibility does not wait for it.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Lucene: the least time between two searcher refreshes; default 100 ms. A batch indexed after a quiet spell is
    /// searchable at once; batches that follow within the interval become searchable together when it ends (under a
    /// stream of small writes each refresh wrote a segment, 15 % of the host's CPU). Zero refreshes after every batch.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Lucene: after this long without a change, the index is merged into one segment in the background (logged when it
    /// starts and ends); default 5 minutes. Each text query looks its terms up in every segment, so a settled index
    /// answers faster in one (at 1M lots about a tenth less CPU per text query). Zero never merges this way.
    /// </summary>
    public TimeSpan IdleMergeAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Lucene: a bulk load of at least this many lots (and a tenth of the index) since the last merge ends by merging the
    /// index into one segment in the background, logged with progress: after <c>reindex</c> (which waits for it), after
    /// the start-up catch-up, and after an import once its writes paused for 10 s; default 10,000. As bulk loaded (one
    /// segment per flushed buffer) a 1M-lot index answered at p95 12.6–13.4 ms, merged 9.2–9.7 ms; the merge costs about
    /// 20 s of one core there. Zero leaves bulk loads to the idle merge (<see cref="IdleMergeAfter"/>).
    /// </summary>
    public int BulkMergeMinLots { get; set; } = 10_000;

    /// <summary>
    /// Lucene: memory, in MiB, for the decoded postings of frequent terms (in 2,048 lots of a segment or more) and the
    /// norms of large segments, kept per segment so that they survive refreshes; default 80. Text queries read them
    /// instead of the index's compressed postings: at 1M lots the harness's queries fill about 72 MiB and text near a
    /// place costs about a fifth less CPU. Zero turns it off; a small index uses nothing.
    /// </summary>
    public int PostingsCacheMegabytes { get; set; } = 80;

    /// <summary>
    /// Lucene: memory, in MiB, for the parsed stored documents of hits, kept per segment so that a lot shown again is not
    /// read and parsed again; default 32 (a lot takes about 1–3 KiB parsed). Past it the least recently shown go first.
    /// Zero turns it off; valid 0 to 65,536.
    /// </summary>
    public int HitCacheMegabytes { get; set; } = 32;

    /// <summary>
    /// Most changes indexed in one batch; default 10,000 (a bulk import's batch). Each batch written is a new Lucene segment
    /// once refreshed (see <see cref="RefreshInterval"/>): small batches under a bulk import cost merges, not latency,
    /// since a batch takes only what is waiting.
    /// </summary>
    public int BatchSize { get; set; } = 10_000;

    /// <summary>
    /// Most changed lots waiting to be indexed; default 20,000 (two batches of a bulk import, so that a lot's own change
    /// during an import finds room). When the engine is slow or down and this many wait, further changes only mark
    /// their lot for a later re-read from its grain (memory grows with distinct lots, not changes).
    /// </summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Searches per caller and minute on <c>GET /api/v1/listings/search</c> (per token subject, or per client address without a token); default 600.</summary>
    public int RateLimitPerMinute { get; set; } = 600;

    /// <summary>
    /// Downloads of the whole open-data feed (<c>GET /api/v1/open-data/lots</c>) per caller and minute; default 2. Each
    /// walks the whole index, which at 300,000 lots takes a minute or more.
    /// </summary>
    public int OpenDataPerMinute { get; set; } = 2;

    /// <summary>Open-data downloads running at once on a host; default 2. Another gets 503 <c>open-data-busy</c> with <c>Retry-After</c>.</summary>
    public int OpenDataConcurrent { get; set; } = 2;
}
