using Lucene.Net.Index;

namespace Marketplace.Search.Lucene;

/// <summary>
/// Lucene's tiered merge policy, plus a cap on the small segments that a stream of changes leaves next to a merged index.
/// Each searchable batch is a segment of a few KiB; the tiered policy allows about ten per tier and floors them all at
/// 2 MB, so beside one 450 MiB segment (1M lots) it let about 20 accumulate before merging any, and every text query pays
/// a term lookup and a postings open per segment. Here, once more than <see cref="MaxSmallSegments"/> segments each
/// smaller than <see cref="SmallShare"/> of the index are not being merged, they are merged together (the merge
/// rewrites only them).
/// </summary>
internal sealed class LiveIndexMergePolicy : TieredMergePolicy
{
    /// <summary>Most small segments kept unmerged.</summary>
    public int MaxSmallSegments { get; set; } = 4;

    /// <summary>A segment is small below this share of the index's bytes.</summary>
    public double SmallShare { get; set; } = 0.01;

    public override MergeSpecification? FindMerges(MergeTrigger mergeTrigger, SegmentInfos infos)
    {
        var spec = base.FindMerges(mergeTrigger, infos);
        if (spec is not null && spec.Merges.Count > 0)
        {
            return spec;
        }

        var writer = m_writer.Get();
        var merging = writer.MergingSegments;
        var sizes = infos.Segments.Select(s => (Info: s, Bytes: Size(s))).ToList();
        var total = sizes.Sum(s => s.Bytes);
        var small = sizes.Where(s => !merging.Contains(s.Info) && s.Bytes < SmallShare * total).Select(s => s.Info).ToList();
        if (small.Count <= MaxSmallSegments)
        {
            return spec;
        }

        spec = new MergeSpecification();
        spec.Add(new OneMerge(small));
        return spec;
    }
}
