using System.Collections.Concurrent;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace Marketplace.Search.Lucene;

/// <summary>
/// A term's postings in one segment core, decoded: its documents ascending (deleted ones included: deletions stay in the
/// reader's live documents) and each one's frequency.
/// </summary>
internal sealed class DecodedPostings(int[] docs, byte[] freqs)
{
    /// <summary>The documents, ascending, then <see cref="DocIdSetIterator.NO_MORE_DOCS"/> as a sentinel.</summary>
    public int[] Docs { get; } = docs;

    /// <summary>Each document's frequency of the term.</summary>
    public byte[] Freqs { get; } = freqs;

    /// <summary>How many documents (the sentinel apart).</summary>
    public int Count => Freqs.Length;

    /// <summary>What the arrays take, bytes (headers apart).</summary>
    public long Bytes => (4L * Docs.Length) + Freqs.Length;
}

/// <summary>
/// The decoded postings of frequent terms, and the norms of large segments as bytes, per segment core. A core never changes (new documents go to new segments,
/// deletions to the reader's live documents), so its entries stay valid across refreshes, and go when Lucene disposes of
/// the core (a merge folded it into another). Only terms in at least <see cref="MinDocFreq"/> documents of a segment, all
/// of them with a frequency under 256, are kept, up to <see cref="MaxBytes"/> in all (first come first kept: a full cache
/// adds nothing until a core it holds goes). Thread-safe; two queries may decode the same term at once, one copy is kept.
/// </summary>
internal sealed class PostingsCache(long maxBytes, int minDocFreq)
{
    private readonly ConcurrentDictionary<object, Core> _cores = new(ReferenceEqualityComparer.Instance);
    private long _bytes;

    /// <summary>The bound on the decoded postings' bytes.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>The least document frequency in a segment of a term worth decoding.</summary>
    public int MinDocFreq { get; } = minDocFreq;

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Segment cores with an entry now.</summary>
    public int Cores => _cores.Count;

    /// <summary>Terms held now of one segment core (by its <c>CoreCacheKey</c>).</summary>
    public int TermsIn(object core) => _cores.TryGetValue(core, out var entry) ? entry.Terms.Count(t => t.Value is not null) : 0;

    /// <summary>Terms held now.</summary>
    public int Terms => _cores.Values.Sum(c => c.Terms.Count(t => t.Value is not null));

    /// <summary>
    /// The decoded postings of the term <paramref name="termsEnum"/> stands on in <paramref name="reader"/> (a segment),
    /// decoding them if they are frequent enough and fit; null otherwise (the caller reads the postings as usual).
    /// <paramref name="key"/> names the term (field and text) in the cache.
    /// </summary>
    public DecodedPostings? Get(AtomicReader reader, string key, TermsEnum termsEnum)
    {
        if (termsEnum.DocFreq < MinDocFreq || reader is not SegmentReader segment)
        {
            return null;
        }

        var core = CoreOf(segment);
        if (core.Terms.TryGetValue(key, out var known))
        {
            return known;
        }

        if (Bytes >= MaxBytes)
        {
            return null;
        }

        var decoded = Decode(termsEnum);
        if (decoded is null)
        {
            // Not decodable (a frequency of 256 or more): remembered, so that it is not tried again.
            core.Terms.TryAdd(key, null);
            return null;
        }

        if (Interlocked.Add(ref _bytes, decoded.Bytes) > MaxBytes || !core.Terms.TryAdd(key, decoded))
        {
            // Over the bound, or another query kept its copy first: this one serves this query only.
            Interlocked.Add(ref _bytes, -decoded.Bytes);
        }
        else if (core.Disposed && core.Terms.TryRemove(new KeyValuePair<string, DecodedPostings?>(key, decoded)))
        {
            // The core went while this was decoded.
            Interlocked.Add(ref _bytes, -decoded.Bytes);
        }

        return decoded;
    }

    /// <summary>
    /// A field's norms in <paramref name="reader"/> (a segment of at least <see cref="MinDocFreq"/> documents) as one byte per
    /// document (the byte BM25 reads), decoded once per segment core; null when the segment is smaller, the field has no
    /// norms or they do not fit (the caller reads Lucene's).
    /// </summary>
    public byte[]? Norms(AtomicReader reader, string field)
    {
        if (reader.MaxDoc < MinDocFreq || reader is not SegmentReader segment)
        {
            return null;
        }

        var core = CoreOf(segment);
        if (core.Norms.TryGetValue(field, out var known))
        {
            return known;
        }

        if (reader.GetNormValues(field) is not { } values)
        {
            core.Norms.TryAdd(field, null);
            return null;
        }

        if (Interlocked.Add(ref _bytes, reader.MaxDoc) > MaxBytes)
        {
            Interlocked.Add(ref _bytes, -reader.MaxDoc);
            return null;
        }

        var norms = new byte[reader.MaxDoc];
        for (var doc = 0; doc < norms.Length; doc++)
        {
            norms[doc] = (byte)values.Get(doc);
        }

        if (!core.Norms.TryAdd(field, norms) || (core.Disposed && core.Norms.TryRemove(new KeyValuePair<string, byte[]?>(field, norms))))
        {
            Interlocked.Add(ref _bytes, -norms.Length);
        }

        return norms;
    }

    private Core CoreOf(SegmentReader segment)
        => _cores.GetOrAdd(segment.CoreCacheKey, key =>
        {
            var created = new Core(this, key);
            segment.AddCoreDisposedListener(created);
            return created;
        });

    private static DecodedPostings? Decode(TermsEnum termsEnum)
    {
        // The term's documents including deleted ones (docFreq counts them too).
        var docsEnum = termsEnum.Docs(null, null, DocsFlags.FREQS);
        var count = termsEnum.DocFreq;
        var docs = new int[count + 1];
        var freqs = new byte[count];
        var n = 0;
        for (var doc = docsEnum.NextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docsEnum.NextDoc())
        {
            var freq = docsEnum.Freq;
            if (freq > byte.MaxValue || n == count)
            {
                return null;
            }

            docs[n] = doc;
            freqs[n] = (byte)freq;
            n++;
        }

        if (n != count)
        {
            return null;
        }

        docs[n] = DocIdSetIterator.NO_MORE_DOCS;
        return new DecodedPostings(docs, freqs);
    }

    /// <summary>One segment core's decoded terms; dropped when Lucene disposes of the core.</summary>
    private sealed class Core(PostingsCache cache, object key) : SegmentReader.ICoreDisposedListener
    {
        public ConcurrentDictionary<string, DecodedPostings?> Terms { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, byte[]?> Norms { get; } = new(StringComparer.Ordinal);

        public volatile bool Disposed;

        public void OnDispose(object ownerCoreCacheKey)
        {
            Disposed = true;
            cache._cores.TryRemove(key, out _);
            foreach (var entry in Terms)
            {
                if (entry.Value is { } decoded && Terms.TryRemove(entry))
                {
                    Interlocked.Add(ref cache._bytes, -decoded.Bytes);
                }
            }

            foreach (var entry in Norms)
            {
                if (entry.Value is { } norms && Norms.TryRemove(entry))
                {
                    Interlocked.Add(ref cache._bytes, -norms.Length);
                }
            }
        }
    }
}
