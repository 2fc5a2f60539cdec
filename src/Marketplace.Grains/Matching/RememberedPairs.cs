using System.Runtime.InteropServices;

namespace Marketplace.Grains.Matching;

/// <summary>
/// The pairs (lot, demand) a partition knows have a stored session, and of each whether its round is known open and
/// until when (see <see cref="MatchPartitionGrain"/>). Only a cache of facts: a pair forgotten costs a refused write and
/// a call to its session again, never a wrong proposal.
/// <para>
/// Kept to the live pairs: a lot or a demand leaving the book forgets its pairs (each indexed by lot and by demand,
/// through lists threaded in one array of structs, so forgetting costs its own pairs and remembering a pair allocates
/// nothing once the array and the index have grown). At most <c>capacity</c> pairs: a pair remembered at the cap first
/// drops the pairs whose round is past its expiry (a scan of the whole set, so at most once per eighth of the cap of
/// pairs remembered) and then, when that left less than a 64th of the cap free, forgets pairs at random until it is.
/// So a working set above the cap costs in proportion to its excess (small batches keep the set near the cap), and the
/// whole set is never forgotten at once (which made every pair of every change look new again: a cliff).
/// </para>
/// </summary>
internal sealed class RememberedPairs(int capacity)
{
    private const int None = -1;

    private readonly Dictionary<(string Lot, string Demand), int> _index = new();
    private readonly Dictionary<string, int> _byLot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byDemand = new(StringComparer.Ordinal);
    private readonly Random _random = new();
    private Pair[] _pairs = [];
    private int _used;
    private int _free = None;
    private int _sinceSweep;

    /// <summary>Pairs remembered.</summary>
    public int Count => _index.Count;

    /// <summary>Pairs forgotten at random, for room, since the partition activated.</summary>
    public long Evicted { get; private set; }

    /// <summary>True when the pair's session is known stored.</summary>
    public bool IsStored(string lotId, string demandId) => _index.ContainsKey((lotId, demandId));

    /// <summary>True when the pair's round is known open at <paramref name="now"/>: its session would refuse a proposal.</summary>
    public bool IsOpen(string lotId, string demandId, DateTimeOffset now)
        => _index.TryGetValue((lotId, demandId), out var i) && now.UtcTicks < _pairs[i].OpenUntil;

    /// <summary>Remembers the pair's session as stored (a round known open stays known open).</summary>
    public void Stored(string lotId, string demandId, DateTimeOffset now) => Remember(lotId, demandId, now);

    /// <summary>Remembers the pair's session as stored with a round open until <paramref name="expiresAt"/>.</summary>
    public void Opened(string lotId, string demandId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        // Remembered first: it may grow the array.
        var i = Remember(lotId, demandId, now);
        _pairs[i].OpenUntil = expiresAt.UtcTicks;
    }

    /// <summary>The pair's round ended before its expiry: its session is still stored, its round no longer open.</summary>
    public void RoundEnded(string lotId, string demandId)
    {
        if (_index.TryGetValue((lotId, demandId), out var i))
        {
            _pairs[i].OpenUntil = 0;
        }
    }

    /// <summary>Forgets every pair of a lot (it left the book).</summary>
    public void ForgetLot(string lotId) => ForgetList(_byLot, lotId, ofLot: true);

    /// <summary>Forgets every pair of a demand (it left the book).</summary>
    public void ForgetDemand(string demandId) => ForgetList(_byDemand, demandId, ofLot: false);

    /// <summary>Forgets the pairs of one lot's or one demand's list.</summary>
    private void ForgetList(Dictionary<string, int> heads, string id, bool ofLot)
    {
        if (!heads.TryGetValue(id, out var i))
        {
            return;
        }

        while (i != None)
        {
            var next = ofLot ? _pairs[i].NextOfLot : _pairs[i].NextOfDemand;
            Forget(i);
            i = next;
        }
    }

    /// <summary>The pair's slot, taken (and linked at the head of its lot's and its demand's lists) when it is new.</summary>
    private int Remember(string lotId, string demandId, DateTimeOffset now)
    {
        if (_index.TryGetValue((lotId, demandId), out var known))
        {
            return known;
        }

        if (_index.Count >= capacity)
        {
            MakeRoom(now);
        }

        int i;
        if (_free != None)
        {
            i = _free;
            _free = _pairs[i].NextOfLot;
        }
        else
        {
            if (_used == _pairs.Length)
            {
                Array.Resize(ref _pairs, Math.Min(capacity, Math.Max(16, _pairs.Length * 2)));
            }

            i = _used++;
        }

        ref var pair = ref _pairs[i];
        pair = new Pair { PreviousOfLot = None, PreviousOfDemand = None };
        pair.Lot = LinkAtHead(_byLot, lotId, i, ofLot: true);
        pair.Demand = LinkAtHead(_byDemand, demandId, i, ofLot: false);
        _index.Add((pair.Lot!, pair.Demand!), i);
        _sinceSweep++;
        return i;
    }

    /// <summary>
    /// Links a new pair at the head of its lot's or its demand's list; the id to keep is the list's own (the members
    /// of a list share their head's id string: one copy per lot or demand, not per pair).
    /// </summary>
    private string LinkAtHead(Dictionary<string, int> heads, string id, int i, bool ofLot)
    {
        ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(heads, id, out var known);
        var next = known ? head : None;
        if (ofLot)
        {
            _pairs[i].NextOfLot = next;
        }
        else
        {
            _pairs[i].NextOfDemand = next;
        }

        if (known && ofLot)
        {
            id = _pairs[head].Lot!;
            _pairs[head].PreviousOfLot = i;
        }
        else if (known)
        {
            id = _pairs[head].Demand!;
            _pairs[head].PreviousOfDemand = i;
        }

        head = i;
        return id;
    }

    /// <summary>
    /// Frees at least a 64th of the cap: first the pairs whose round is past its expiry (settled by the calendar), when
    /// an eighth of the cap of pairs came since the last such scan; then pairs at random. The slots in use are dense
    /// here (at the cap, every slot ever used is either in use or was freed by a forget and taken again first), so a
    /// random slot is a pair most of the time.
    /// </summary>
    private void MakeRoom(DateTimeOffset now)
    {
        if (_sinceSweep >= Math.Max(1, capacity / 8))
        {
            _sinceSweep = 0;
            var ticks = now.UtcTicks;
            for (var i = 0; i < _used; i++)
            {
                if (_pairs[i].Lot is not null && _pairs[i].OpenUntil != 0 && _pairs[i].OpenUntil <= ticks)
                {
                    Forget(i);
                }
            }
        }

        var target = capacity - Math.Max(1, capacity / 64);
        while (_index.Count > target)
        {
            var i = _random.Next(_used);
            if (_pairs[i].Lot is not null)
            {
                Forget(i);
                Evicted++;
            }
        }
    }

    /// <summary>Unlinks a pair from its lot's and its demand's lists and the index; its slot goes to the free list.</summary>
    private void Forget(int i)
    {
        ref var pair = ref _pairs[i];
        Unlink(_byLot, pair.Lot!, pair.PreviousOfLot, pair.NextOfLot, ofLot: true);
        Unlink(_byDemand, pair.Demand!, pair.PreviousOfDemand, pair.NextOfDemand, ofLot: false);
        _index.Remove((pair.Lot!, pair.Demand!));
        pair = new Pair { NextOfLot = _free };
        _free = i;
    }

    private void Unlink(Dictionary<string, int> heads, string id, int previous, int next, bool ofLot)
    {
        if (previous == None)
        {
            if (next == None)
            {
                heads.Remove(id);
            }
            else
            {
                heads[id] = next;
            }
        }
        else if (ofLot)
        {
            _pairs[previous].NextOfLot = next;
        }
        else
        {
            _pairs[previous].NextOfDemand = next;
        }

        if (next != None)
        {
            if (ofLot)
            {
                _pairs[next].PreviousOfLot = previous;
            }
            else
            {
                _pairs[next].PreviousOfDemand = previous;
            }
        }
    }

    /// <summary>
    /// One remembered pair (a free slot has no lot, and <see cref="NextOfLot"/> links the free list): its ids, until
    /// when its round is known open (UTC ticks; 0 when not known open), and its neighbours in its lot's and demand's lists.
    /// </summary>
    private struct Pair
    {
        public string? Lot;
        public string? Demand;
        public long OpenUntil;
        public int PreviousOfLot;
        public int NextOfLot;
        public int PreviousOfDemand;
        public int NextOfDemand;
    }
}
