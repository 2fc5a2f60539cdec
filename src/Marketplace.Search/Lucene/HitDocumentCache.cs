using Lucene.Net.Index;

namespace Marketplace.Search.Lucene;

/// <summary>
/// The parsed stored documents of hits, per segment core and document. A core's stored fields never change (a changed lot
/// is a new document in a new segment; deletions live in the reader's live documents), so an entry is exactly what
/// reading and parsing the stored document again would give, for as long as the core lives: its entries go when Lucene
/// disposes of the core (a merge folded it into another). At most <see cref="MaxBytes"/> by an estimate of each
/// document's size; past it the least recently read go first. Thread-safe (one lock, held for a dictionary step).
/// </summary>
/// <remarks>
/// Parsing a hit's JSON was a tenth of all the API mix's allocation (api10): a search's page of 20 hits mostly repeats
/// the documents of earlier pages, and under the mix's few hundred lots all of them fit.
/// </remarks>
internal sealed class HitDocumentCache(long maxBytes)
{
    /// <summary>What an entry costs beyond its text: the record, its list, strings' headers, the dictionary and list nodes.</summary>
    internal const int EntryOverheadBytes = 320;

    private readonly object _gate = new();
    private readonly Dictionary<object, Core> _cores = new(ReferenceEqualityComparer.Instance);
    private readonly LinkedList<Entry> _order = new();
    private long _bytes;

    /// <summary>The bound on the entries' estimated bytes.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>Estimated bytes held now.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Documents held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Segment cores known now (an entry was kept, the core is not disposed yet).</summary>
    public int Cores
    {
        get
        {
            lock (_gate)
            {
                return _cores.Count;
            }
        }
    }

    /// <summary>
    /// The parsed stored document <paramref name="doc"/> of <paramref name="reader"/> (a segment; the caller holds a
    /// reference to its reader, so the core lives meanwhile): the held one, else <paramref name="parse"/>'s, kept when it
    /// fits. <paramref name="parse"/> also gives the stored text's length in characters, which sizes the entry.
    /// </summary>
    public ListingDocument? Get(AtomicReader reader, int doc, Func<AtomicReader, int, (ListingDocument? Document, int Chars)> parse)
    {
        if (reader is not SegmentReader segment)
        {
            return parse(reader, doc).Document;
        }

        var key = segment.CoreCacheKey;
        lock (_gate)
        {
            if (_cores.TryGetValue(key, out var known) && known.Docs.TryGetValue(doc, out var node))
            {
                _order.Remove(node);
                _order.AddLast(node);
                return node.Value.Document;
            }
        }

        var (document, chars) = parse(reader, doc);
        var bytes = (2L * chars) + EntryOverheadBytes;
        if (document is null || bytes > MaxBytes)
        {
            return document;
        }

        lock (_gate)
        {
            if (!_cores.TryGetValue(key, out var core))
            {
                core = new Core(this, key);
                _cores.Add(key, core);
                segment.AddCoreDisposedListener(core);
            }

            if (core.Docs.TryGetValue(doc, out var raced))
            {
                // Another search parsed it first: keep one copy.
                return raced.Value.Document;
            }

            while (_bytes + bytes > MaxBytes && _order.First is { } oldest)
            {
                Drop(oldest);
            }

            var node = _order.AddLast(new Entry(core, doc, document, bytes));
            core.Docs.Add(doc, node);
            _bytes += bytes;
            return document;
        }
    }

    /// <summary>Takes an entry out (the caller holds the lock).</summary>
    private void Drop(LinkedListNode<Entry> node)
    {
        var entry = node.Value;
        _order.Remove(node);
        entry.Core.Docs.Remove(entry.Doc);
        _bytes -= entry.Bytes;
    }

    private sealed record Entry(Core Core, int Doc, ListingDocument Document, long Bytes);

    /// <summary>One segment core's entries; dropped, with the core, when Lucene disposes of it (one listener per core).</summary>
    private sealed class Core(HitDocumentCache cache, object key) : SegmentReader.ICoreDisposedListener
    {
        public object Key { get; } = key;

        public Dictionary<int, LinkedListNode<Entry>> Docs { get; } = [];

        public void OnDispose(object ownerCoreCacheKey)
        {
            lock (cache._gate)
            {
                foreach (var node in Docs.Values.ToList())
                {
                    cache.Drop(node);
                }

                cache._cores.Remove(Key);
            }
        }
    }
}
