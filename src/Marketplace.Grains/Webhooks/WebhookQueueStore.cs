using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Marketplace.Grains.Webhooks;

/// <summary>Where a subscription's queue is stored: the numbers of its pages, oldest first, and the next number to use.</summary>
public sealed class WebhookQueueIndex
{
    /// <summary>State name of the index (the grain's second state).</summary>
    public const string StateName = "webhook-queue";

    /// <summary>The pages holding queued deliveries, in the order they were started.</summary>
    public List<int> Pages { get; set; } = [];

    /// <summary>The number the next page gets: numbers are never used twice, so a page left behind by a failed write is never read.</summary>
    public int NextPage { get; set; }
}

/// <summary>One page of a subscription's queue: at most <see cref="WebhookQueueStore.PageSize"/> deliveries, in sending order.</summary>
public sealed class WebhookQueuePage
{
    /// <summary>The deliveries.</summary>
    public List<WebhookDelivery> Deliveries { get; set; } = [];
}

/// <summary>One bucket of a subscription's marks (subjects hashed into <see cref="WebhookQueueStore.MarkBuckets"/>).</summary>
public sealed class WebhookMarkBucket
{
    /// <summary>The highest version queued per subject, with when.</summary>
    public Dictionary<string, WebhookSubscription.SubjectMark> Marks { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Stores a subscription's queue and marks apart from its record, so that an event queued writes what it touched: the
/// page it joined (<see cref="PageSize"/> deliveries a page, new ones at the end), the bucket of its subject's mark and,
/// when a page was started or emptied, the index (pages, index, then marks: see <see cref="StoreAsync"/>). Deliveries keep the page they were first stored in until they finish;
/// a page whose deliveries have all finished leaves the index and is cleared. Before, every event rewrote the whole
/// record: with a receiver down, 10,000 envelopes per write, about a second each, so a burst of changes made the
/// firm's webhook calls time out.
/// </summary>
internal sealed class WebhookQueueStore(IGrainStorage storage, GrainType grainType, string id, ILogger logger)
{
    /// <summary>State name of a page (key <c>{id}/queue/{n}</c>).</summary>
    public const string PageStateName = "webhook-queue-page";

    /// <summary>State name of a bucket of marks (key <c>{id}/marks/{n}</c>).</summary>
    public const string MarkStateName = "webhook-marks";

    /// <summary>Deliveries per page.</summary>
    public const int PageSize = 100;

    /// <summary>Buckets the marks are hashed into.</summary>
    public const int MarkBuckets = 16;

    /// <summary>
    /// Each stored delivery, by event id: its page, and its attempts and next attempt as written (to tell which pages an
    /// attempt changed).
    /// </summary>
    private readonly Dictionary<string, (int Page, int Attempts, DateTimeOffset Next)> _stored = new(StringComparer.Ordinal);

    /// <summary>Deliveries stored per page, and each page's ETag.</summary>
    private readonly Dictionary<int, (int Count, string? ETag)> _pages = [];

    private readonly WebhookMarkBucket[] _buckets = Enumerable.Range(0, MarkBuckets).Select(_ => new WebhookMarkBucket()).ToArray();

    private readonly string?[] _bucketETags = new string?[MarkBuckets];

    /// <summary>Reads the pages the index names and every bucket, and puts them back into <paramref name="subscription"/>.</summary>
    public async Task LoadAsync(WebhookQueueIndex index, WebhookSubscription subscription)
    {
        _stored.Clear();
        _pages.Clear();
        var pages = index.Pages.Select(_ => new GrainState<WebhookQueuePage>(new WebhookQueuePage())).ToArray();
        var buckets = _buckets.Select(_ => new GrainState<WebhookMarkBucket>(new WebhookMarkBucket())).ToArray();
        await Task.WhenAll(
            Task.WhenAll(pages.Select((page, i) => storage.ReadStateAsync(PageStateName, PageId(index.Pages[i]), page))),
            Task.WhenAll(buckets.Select((bucket, i) => storage.ReadStateAsync(MarkStateName, BucketId(i), bucket))));
        var queued = new List<WebhookDelivery>();
        for (var i = 0; i < pages.Length; i++)
        {
            var number = index.Pages[i];
            var count = 0;
            foreach (var delivery in pages[i].State?.Deliveries ?? [])
            {
                // A delivery is in one page; should a failed move have left it in two, the first holds it.
                if (_stored.TryAdd(delivery.EventId, (number, delivery.Attempts, delivery.NextAttemptAt)))
                {
                    queued.Add(delivery);
                    count++;
                }
            }

            _pages[number] = (count, pages[i].ETag);
        }

        for (var i = 0; i < MarkBuckets; i++)
        {
            _buckets[i] = buckets[i].State ?? new WebhookMarkBucket();
            _bucketETags[i] = buckets[i].ETag;
        }

        subscription.Restore(queued, _buckets.SelectMany(b => b.Marks));
    }

    /// <summary>
    /// Stores what changed in <paramref name="subscription"/>'s queue and marks since the last load or store: the pages
    /// and buckets touched, then the index when pages were started or emptied, then clears emptied pages. Throws when a
    /// write fails; the caller loads again (memory must not keep what storage does not).
    /// </summary>
    public async Task StoreAsync(IPersistentState<WebhookQueueIndex> index, WebhookSubscription subscription)
    {
        var queue = subscription.Queue;
        var dirty = new HashSet<int>();
        var present = new HashSet<string>(queue.Count, StringComparer.Ordinal);
        foreach (var delivery in queue)
        {
            present.Add(delivery.EventId);
        }

        // Finished deliveries leave their pages.
        foreach (var (eventId, (page, _, _)) in _stored)
        {
            if (!present.Contains(eventId))
            {
                _stored.Remove(eventId);
                _pages[page] = (_pages[page].Count - 1, _pages[page].ETag);
                dirty.Add(page);
            }
        }

        // New ones join the last page (or a new one); changed ones mark theirs.
        var pages = index.State.Pages;
        var started = new List<int>();
        foreach (var delivery in queue)
        {
            if (_stored.TryGetValue(delivery.EventId, out var stored))
            {
                if ((stored.Attempts, stored.Next) != (delivery.Attempts, delivery.NextAttemptAt))
                {
                    _stored[delivery.EventId] = (stored.Page, delivery.Attempts, delivery.NextAttemptAt);
                    dirty.Add(stored.Page);
                }
            }
            else
            {
                int page;
                if (pages.Count == 0 || _pages[pages[^1]].Count >= PageSize)
                {
                    page = index.State.NextPage++;
                    pages.Add(page);
                    started.Add(page);
                    _pages[page] = (0, null);
                }
                else
                {
                    page = pages[^1];
                }

                _stored[delivery.EventId] = (page, delivery.Attempts, delivery.NextAttemptAt);
                _pages[page] = (_pages[page].Count + 1, _pages[page].ETag);
                dirty.Add(page);
            }
        }

        var emptied = dirty.Where(p => _pages[p].Count == 0).ToArray();
        var written = dirty.Where(p => _pages[p].Count > 0).ToDictionary(p => p, _ => new List<WebhookDelivery>());
        if (written.Count > 0)
        {
            foreach (var delivery in queue)
            {
                if (written.TryGetValue(_stored[delivery.EventId].Page, out var list))
                {
                    list.Add(delivery);
                }
            }
        }

        var changedBuckets = new HashSet<int>();
        foreach (var subject in subscription.TakeChangedSubjects())
        {
            var bucket = BucketOf(subject);
            changedBuckets.Add(bucket);
            if (subscription.Marks.TryGetValue(subject, out var mark))
            {
                _buckets[bucket].Marks[subject] = mark;
            }
            else
            {
                _buckets[bucket].Marks.Remove(subject);
            }
        }

        // The deliveries first (their pages, then the index naming a new one), the marks after: a mark stored for an event
        // whose delivery was not would drop that event when it is handed over again. The other way round, a failure
        // leaves a delivery without its mark, and an event handed over again is dropped by its id or sent twice
        // (receivers deduplicate by event id).
        await Task.WhenAll(written.Select(async w =>
        {
            var record = new GrainState<WebhookQueuePage>(new WebhookQueuePage { Deliveries = w.Value }) { ETag = _pages[w.Key].ETag };
            await PageWrites.WriteAsync(storage, PageStateName, PageId(w.Key), record, overwriteAny: true);
            _pages[w.Key] = (_pages[w.Key].Count, record.ETag);
        }));

        if (started.Count > 0 || emptied.Length > 0)
        {
            pages.RemoveAll(emptied.Contains);
            await index.WriteStateAsync();
        }

        await Task.WhenAll(changedBuckets.Select(async b =>
        {
            var record = new GrainState<WebhookMarkBucket>(_buckets[b]) { ETag = _bucketETags[b] };
            await PageWrites.WriteAsync(storage, MarkStateName, BucketId(b), record, overwriteAny: true);
            _bucketETags[b] = record.ETag;
        }));

        foreach (var page in emptied)
        {
            var etag = _pages[page].ETag;
            _pages.Remove(page);
            await ClearPageAsync(page, etag);
        }
    }

    /// <summary>Clears every page, bucket and the index (the subscription is deleted).</summary>
    public async Task ClearAsync(IPersistentState<WebhookQueueIndex> index)
    {
        var pages = index.State.Pages.ToArray();
        await index.ClearStateAsync();
        foreach (var page in pages)
        {
            await ClearPageAsync(page, _pages.GetValueOrDefault(page).ETag);
        }

        for (var i = 0; i < MarkBuckets; i++)
        {
            if (_bucketETags[i] is { } etag)
            {
                await storage.ClearStateAsync(MarkStateName, BucketId(i), new GrainState<WebhookMarkBucket>(new WebhookMarkBucket()) { ETag = etag });
            }
        }

        _stored.Clear();
        _pages.Clear();
        Array.Clear(_bucketETags);
        foreach (var bucket in _buckets)
        {
            bucket.Marks.Clear();
        }
    }

    /// <summary>Clears a page out of the index (so never read again: this only frees the space); a failure is logged, not thrown.</summary>
    private async Task ClearPageAsync(int page, string? etag)
    {
        if (etag is null)
        {
            return;
        }

        try
        {
            await storage.ClearStateAsync(PageStateName, PageId(page), new GrainState<WebhookQueuePage>(new WebhookQueuePage()) { ETag = etag });
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Webhook subscription {SubscriptionId}: clearing its emptied queue page {Page} failed; it is no longer read", id, page);
        }
    }

    /// <summary>A subject's bucket: FNV-1a over its characters, the same in every process (string hashes are not).</summary>
    internal static int BucketOf(string subject)
    {
        var hash = 2166136261u;
        foreach (var c in subject)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % MarkBuckets);
    }

    private GrainId PageId(int number) => GrainId.Create(grainType, $"{id}/queue/{number}");

    private GrainId BucketId(int number) => GrainId.Create(grainType, $"{id}/marks/{number}");
}
