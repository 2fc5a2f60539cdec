using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Matching;

/// <summary>
/// The open supply and demand of one partition, in packed arrays (ids mapped to slots, freed slots reused), and the
/// matcher over them: the filter stage checks candidates in a tight loop with integer quantities (milli base units),
/// prices and coordinates (microdegrees), without allocating; only the few that pass are ranked (<see cref="MatchRules"/>)
/// and allocated. Demands are kept as columns (one array per field), so that a lot is checked against
/// <see cref="Vector{T}.Count"/> demands per instruction where the processor has vector instructions; a scalar loop over
/// the same columns gives the same answers elsewhere. Not thread-safe: one partition grain owns one book.
/// </summary>
/// <param name="vectorised">
/// Whether the filter stage may use vector instructions (used only when <see cref="Vector.IsHardwareAccelerated"/>);
/// false forces the scalar loop, which tests and benchmarks compare against.
/// </param>
public sealed class MatchBook(bool vectorised = true)
{
    /// <summary>Microdegrees per degree: coordinates are compared as integers in the filter stage.</summary>
    private const double MicroPerDegree = 1_000_000;

    /// <summary>A box delta that no difference of two longitudes reaches (360 degrees in microdegrees is 3.6e8).</summary>
    private const int UnboundedDelta = 400_000_000;

    private readonly Dictionary<string, int> _lotSlots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _demandSlots = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeLots = new();
    private readonly Stack<int> _freeDemands = new();
    private readonly Dictionary<string, int> _categoryOrdinals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _currencyOrdinals = new(StringComparer.Ordinal);
    private readonly List<int[]> _categoryAncestors = [];
    private readonly List<List<int>> _lotsByCategory = [];
    private readonly List<(int Slot, double Bound)> _bounds = [];
    private readonly PriorityQueue<int, double> _unranked = new();
    private readonly PriorityQueue<(LotSummary Lot, double Distance), RankKey> _rankedLots = new(RankKey.Comparer);
    private readonly PriorityQueue<(DemandSummary Demand, double Distance), RankKey> _rankedDemands = new(RankKey.Comparer);
    private readonly List<((DemandSummary Demand, double Distance), RankKey)> _candidateDemands = [];

    /// <summary>How many units there are (sizes per-unit lookup tables).</summary>
    private static readonly int UnitKinds = Enum.GetValues<Unit>().Max(u => (int)u) + 1;
    private LotEntry[] _lots = new LotEntry[64];
    private readonly DemandColumns _demands = new(64);
    private readonly bool _vectorised = vectorised && Vector.IsHardwareAccelerated && Vector<int>.Count is 4 or 8 or 16;
    private int[] _demandHits = new int[64];
    private LotSummary?[] _lotSummaries = new LotSummary?[64];
    private int _lotCount;
    private int _demandCount;

    /// <summary>Open lots in the book.</summary>
    public int LotCount => _lotSlots.Count;

    /// <summary>Open demands in the book.</summary>
    public int DemandCount => _demandSlots.Count;

    /// <summary>Whether the filter stage runs on vector instructions (false: the scalar loop).</summary>
    public bool IsVectorised => _vectorised;

    /// <summary>The lot's summary, or null when the book does not hold it.</summary>
    public LotSummary? Lot(string id) => _lotSlots.TryGetValue(id, out var slot) ? _lotSummaries[slot] : null;

    /// <summary>The demand's summary, or null when the book does not hold it.</summary>
    public DemandSummary? Demand(string id) => _demandSlots.TryGetValue(id, out var slot) ? _demands.Summaries[slot] : null;

    /// <summary>Adds or replaces a lot; a lot with nothing available is removed.</summary>
    public void UpsertLot(LotSummary lot)
    {
        if (lot.Available <= 0)
        {
            RemoveLot(lot.Id);
            return;
        }

        if (!_lotSlots.TryGetValue(lot.Id, out var slot))
        {
            slot = _freeLots.Count > 0 ? _freeLots.Pop() : _lotCount++;
            Grow(ref _lots, ref _lotSummaries, slot);
            _lotSlots[lot.Id] = slot;
        }
        else
        {
            LeaveCategory(slot);
        }

        var category = CategoryOrdinal(lot.Category);
        while (_lotsByCategory.Count <= category)
        {
            _lotsByCategory.Add([]);
        }

        _lotsByCategory[category].Add(slot);
        _lots[slot] = new LotEntry
        {
            Kind = Kind(lot.Unit, lot.Currency, (byte)lot.ConditionRank),
            Category = category,
            CategoryPosition = _lotsByCategory[category].Count - 1,
            Unit = (byte)lot.Unit,
            TonnesPerUnit = (double)(lot.MassPerUnitKg ?? 0m) / 1000.0,
            UnitBase = BaseMilli(lot.Unit),
            AvailableMilliBase = (long)(lot.Available * BaseMilli(lot.Unit)),
            PriceMinor = lot.UnitPriceMinor,
            Latitude = lot.Location.Latitude,
            Longitude = lot.Location.Longitude,
            LatitudeMicro = Micro(lot.Location.Latitude),
            LongitudeMicro = Micro(lot.Location.Longitude),
            From = lot.Window.From.DayNumber,
            To = lot.Window.To.DayNumber,
        };
        _lotSummaries[slot] = lot;
    }

    /// <summary>Removes a lot (sold out, withdrawn, expired).</summary>
    public void RemoveLot(string id)
    {
        if (_lotSlots.Remove(id, out var slot))
        {
            LeaveCategory(slot);
            _lots[slot] = default;
            _lotSummaries[slot] = null;
            _freeLots.Push(slot);
        }
    }

    /// <summary>Adds or replaces a demand; a demand wanting nothing is removed.</summary>
    public void UpsertDemand(DemandSummary demand)
    {
        if (demand.Quantity <= 0)
        {
            RemoveDemand(demand.Id);
            return;
        }

        if (!_demandSlots.TryGetValue(demand.Id, out var slot))
        {
            slot = _freeDemands.Count > 0 ? _freeDemands.Pop() : _demandCount++;
            if (slot >= _demands.Capacity)
            {
                _demands.Grow(slot + 1);
                Array.Resize(ref _demandHits, _demands.Capacity);
            }

            _demandSlots[demand.Id] = slot;
        }

        var d = _demands;
        d.Kind[slot] = Kind(demand.Unit, demand.Currency, (byte)demand.MinConditionRank);
        d.Category[slot] = CategoryOrdinal(demand.Category);
        d.From[slot] = demand.Window.From.DayNumber;
        d.To[slot] = demand.Window.To.DayNumber;
        d.Latitude[slot] = Micro(demand.Location.Latitude);
        d.Longitude[slot] = Micro(demand.Location.Longitude);
        d.LatitudeDelta[slot] = MicroDelta(LatitudeDelta(demand.RadiusKm));
        d.LongitudeDelta[slot] = MicroDelta(LongitudeDelta(demand.Location.Latitude, demand.RadiusKm));
        d.UnitBase[slot] = BaseMilli(demand.Unit);
        d.MinPartMilliBase[slot] = (long)(demand.MinPart * BaseMilli(demand.Unit));
        d.MaxPriceMinor[slot] = demand.MaxUnitPriceMinor ?? long.MaxValue;
        d.Summaries[slot] = demand;
    }

    /// <summary>Removes a demand (fulfilled, cancelled, expired).</summary>
    public void RemoveDemand(string id)
    {
        if (_demandSlots.Remove(id, out var slot))
        {
            _demands.Clear(slot);
            _freeDemands.Push(slot);
        }
    }

    /// <summary>
    /// Proposals for a lot: the matching demands of other firms, best ranked first, each offered what it wants (at least its smallest
    /// part) until the lot's available quantity runs out or <paramref name="maxProposals"/> are made. Empty for an unknown lot.
    /// </summary>
    public IReadOnlyList<Proposal> MatchLot(string lotId, int maxProposals = int.MaxValue)
    {
        if (!_lotSlots.TryGetValue(lotId, out var lotSlot))
        {
            return [];
        }

        var summary = _lotSummaries[lotSlot]!;
        // Reused, as the lots' queue is: a new one per lot grew its array through every size up to the hits.
        var candidates = _candidateDemands;
        candidates.Clear();
        var hits = FilterDemands(lotSlot);
        foreach (var d in _demandHits.AsSpan(0, hits))
        {
            var demand = _demands.Summaries[d]!;
            var distance = MatchRules.DistanceKm(summary, demand);
            if (distance <= demand.RadiusKm && !MatchRules.SameFirm(summary, demand))
            {
                candidates.Add(((demand, distance), new RankKey(MatchRules.Rank(summary, demand, distance), demand.Id)));
            }
        }

        // Heaped in one pass (linear in the candidates, where an enqueue each costs a logarithm each): a bounded lot
        // takes only the first few of them.
        var ranked = _rankedDemands;
        ranked.Clear();
        ranked.EnqueueRange(candidates);
        candidates.Clear();

        // Best ranked first, until the lot's quantity runs out or the bound is reached (only what is needed is taken
        // from the heap).
        var proposals = new List<Proposal>();
        var remaining = summary.Available;
        while (remaining > 0 && proposals.Count < maxProposals && ranked.TryDequeue(out var next, out _))
        {
            var (demand, distance) = next;
            var quantity = MatchRules.ProposableQuantity(Math.Min(Units.Convert(remaining, summary.Unit, demand.Unit), demand.Quantity), summary.Unit, demand.Unit);
            if (quantity > 0 && quantity >= demand.MinPart)
            {
                proposals.Add(new Proposal(summary.Id, demand.Id, quantity, MatchRules.LandedCostPerDemandUnit(summary, demand.Unit, distance), distance));
                remaining -= Units.Convert(quantity, demand.Unit, summary.Unit);
            }
        }

        return proposals;
    }

    /// <summary>
    /// Proposals for a demand: the matching lots of other firms, best ranked first, each proposing what it can until the demand's
    /// quantity is covered or <paramref name="maxProposals"/> are made. Empty for an unknown demand.
    /// </summary>
    public IReadOnlyList<Proposal> MatchDemand(string demandId, int maxProposals = int.MaxValue)
    {
        if (!_demandSlots.TryGetValue(demandId, out var demandSlot))
        {
            return [];
        }

        var summary = _demands.Summaries[demandSlot]!;
        var demandCategory = _demands.Category[demandSlot];

        // Filter only the lots in the demand's category or below it, and queue them by a cheap lower bound of their rank
        // (price alone); exact distances and ranks are computed lazily, for the few that can still come first.
        // Reused buffers: one call at a time owns them, and a dense partition's candidates would otherwise be a
        // large-object allocation per call.
        var bounds = _bounds;
        bounds.Clear();
        var basePerDemandUnit = MatchRules.BaseUnitsPer(summary.Unit);
        var tonnesPerDemandUnit = Units.IsMass(summary.Unit) ? (double)Units.Convert(1m, summary.Unit, Unit.T) : double.NaN;
        var distanceBound = new DistanceBound(summary.Location.Latitude, summary.Location.Longitude, LatitudeDelta(summary.RadiusKm));
        Span<double> lotUnitsPerDemandUnit = stackalloc double[UnitKinds];
        lotUnitsPerDemandUnit.Fill(double.NaN);
        for (var c = 0; c < _categoryAncestors.Count; c++)
        {
            if (c >= _lotsByCategory.Count || _lotsByCategory[c].Count == 0 || Array.IndexOf(_categoryAncestors[c], demandCategory) < 0)
            {
                continue;
            }

            foreach (var l in _lotsByCategory[c])
            {
                ref readonly var lot = ref _lots[l];
                if (Matches(in lot, demandSlot))
                {
                    // From the packed entry only: dereferencing every candidate's summary costs a cache miss each.
                    ref var factor = ref lotUnitsPerDemandUnit[lot.Unit];
                    if (double.IsNaN(factor))
                    {
                        factor = (double)MatchRules.LotUnitsPerDemandUnit((Unit)lot.Unit, summary.Unit);
                    }

                    var tonnes = double.IsNaN(tonnesPerDemandUnit) ? lot.TonnesPerUnit : tonnesPerDemandUnit;
                    var transport = distanceBound.Km(lot.Latitude, lot.Longitude) * tonnes * MatchRules.TransportMinorPerTonneKm;
                    bounds.Add((l, MatchRules.LandedLowerBound(lot.PriceMinor, factor, basePerDemandUnit, transport)));
                }
            }
        }

        var unranked = _unranked;
        unranked.Clear();
        unranked.EnqueueRange(bounds);
        var ranked = _rankedLots;
        ranked.Clear();
        var proposals = new List<Proposal>();
        var remaining = summary.Quantity;

        // Best ranked first, until what is left is less than the smallest acceptable part.
        while (remaining > 0 && remaining >= summary.MinPart && proposals.Count < maxProposals)
        {
            // The best ranked so far is final once no unranked lot's bound can reach its landed cost.
            while (unranked.TryPeek(out var slot, out var bound) && (!ranked.TryPeek(out _, out var best) || bound <= best.Rank.Landed))
            {
                unranked.Dequeue();
                var candidate = _lotSummaries[slot]!;
                var distance = MatchRules.DistanceKm(candidate, summary);
                if (distance <= summary.RadiusKm && !MatchRules.SameFirm(candidate, summary))
                {
                    ranked.Enqueue((candidate, distance), new RankKey(MatchRules.Rank(candidate, summary, distance), candidate.Id));
                }
            }

            if (!ranked.TryDequeue(out var next, out _))
            {
                break;
            }

            var (lot, lotDistance) = next;
            var quantity = MatchRules.ProposableQuantity(Math.Min(MatchRules.AvailableIn(lot, summary.Unit), remaining), lot.Unit, summary.Unit);
            if (quantity > 0 && quantity >= summary.MinPart)
            {
                proposals.Add(new Proposal(lot.Id, summary.Id, quantity, MatchRules.LandedCostPerDemandUnit(lot, summary.Unit, lotDistance), lotDistance));
                remaining -= quantity;
            }
        }

        return proposals;
    }

    /// <summary>
    /// The filter stage for one pair, on packed fields: both live, unit family, currency and condition (one kind
    /// number), windows, bounding box, category, then the smallest part and the price. The box is compared in
    /// microdegrees and widened by rounding, so it keeps every pair the exact distance (checked on the few that pass)
    /// would keep.
    /// </summary>
    internal bool Matches(in LotEntry lot, int d)
    {
        var c = _demands;
        var kind = c.Kind[d];
        if (kind > lot.Kind || kind < (lot.Kind & ~RankMask) || c.From[d] > lot.To || lot.From > c.To[d]
            || Math.Abs(c.Latitude[d] - lot.LatitudeMicro) > c.LatitudeDelta[d] || Math.Abs(c.Longitude[d] - lot.LongitudeMicro) > c.LongitudeDelta[d])
        {
            return false;
        }

        var ancestors = _categoryAncestors[lot.Category];
        var category = c.Category[d];
        for (var i = 0; i < ancestors.Length; i++)
        {
            if (ancestors[i] == category)
            {
                return PartAndPriceFit(in lot, d);
            }
        }

        return false;
    }

    /// <summary>
    /// The lot has the demand's smallest part, and its price per demand unit is within the maximum, exactly:
    /// price × base(demand) ≤ max × base(lot), in 128 bits (a kg price near 9.3e12 minor units times a tonne's 1e6
    /// milli-kilograms would wrap a long negative). Only pairs that passed the other checks get here.
    /// </summary>
    private bool PartAndPriceFit(in LotEntry lot, int d)
    {
        var c = _demands;
        if (lot.AvailableMilliBase < c.MinPartMilliBase[d])
        {
            return false;
        }

        var max = c.MaxPriceMinor[d];
        return max == long.MaxValue || (Int128)lot.PriceMinor * c.UnitBase[d] <= (Int128)max * lot.UnitBase;
    }

    /// <summary>Runs the filter stage of every demand against one lot (benchmarks measure candidate checks per second).</summary>
    public int CountCandidates(string lotId) => _lotSlots.TryGetValue(lotId, out var lotSlot) ? FilterDemands(lotSlot) : 0;

    /// <summary>Writes the slots of the demands that pass the filter stage against a lot into the hit buffer; returns how many.</summary>
    private int FilterDemands(int lotSlot)
    {
        ref readonly var lot = ref _lots[lotSlot];
        var ancestors = _categoryAncestors[lot.Category];
        if (_vectorised && ancestors.Length <= 4)
        {
            return FilterDemandsVectorised(in lot, ancestors);
        }

        var hits = _demandHits;
        var count = 0;
        for (var d = 0; d < _demandCount; d++)
        {
            if (Matches(in lot, d))
            {
                hits[count++] = d;
            }
        }

        return count;
    }

    /// <summary>
    /// The filter stage over the demand columns, <see cref="Vector{T}.Count"/> demands at a time: kind, windows, box and
    /// category as lane masks; the few lanes left get the part and price checks one by one. The columns' capacity is a
    /// multiple of the vector width and unused slots have kind 0, which no lot accepts, so there is no remainder loop.
    /// </summary>
    private int FilterDemandsVectorised(in LotEntry lot, int[] ancestors)
    {
        var c = _demands;
        var hits = _demandHits;
        var count = 0;
        var kindHigh = new Vector<int>(lot.Kind);
        var kindLow = new Vector<int>(lot.Kind & ~RankMask);
        var lotFrom = new Vector<int>(lot.From);
        var lotTo = new Vector<int>(lot.To);
        var latitude = new Vector<int>(lot.LatitudeMicro);
        var longitude = new Vector<int>(lot.LongitudeMicro);

        // Up to four ancestors; repeating the first for shallower categories changes nothing.
        var a0 = new Vector<int>(ancestors[0]);
        var a1 = new Vector<int>(ancestors[Math.Min(1, ancestors.Length - 1)]);
        var a2 = new Vector<int>(ancestors[Math.Min(2, ancestors.Length - 1)]);
        var a3 = new Vector<int>(ancestors[Math.Min(3, ancestors.Length - 1)]);

        ref var kinds = ref MemoryMarshal.GetArrayDataReference(c.Kind);
        ref var froms = ref MemoryMarshal.GetArrayDataReference(c.From);
        ref var tos = ref MemoryMarshal.GetArrayDataReference(c.To);
        ref var latitudes = ref MemoryMarshal.GetArrayDataReference(c.Latitude);
        ref var longitudes = ref MemoryMarshal.GetArrayDataReference(c.Longitude);
        ref var latitudeDeltas = ref MemoryMarshal.GetArrayDataReference(c.LatitudeDelta);
        ref var longitudeDeltas = ref MemoryMarshal.GetArrayDataReference(c.LongitudeDelta);
        ref var categories = ref MemoryMarshal.GetArrayDataReference(c.Category);
        var width = Vector<int>.Count;
        var end = (nuint)Math.Min(c.Capacity, (_demandCount + width - 1) / width * width);
        for (nuint i = 0; i < end; i += (nuint)width)
        {
            var kind = Vector.LoadUnsafe(ref kinds, i);
            var pass = Vector.GreaterThanOrEqual(kind, kindLow) & Vector.LessThanOrEqual(kind, kindHigh)
                       & Vector.LessThanOrEqual(Vector.LoadUnsafe(ref froms, i), lotTo) & Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref tos, i), lotFrom)
                       & Vector.LessThanOrEqual(Vector.Abs(Vector.LoadUnsafe(ref latitudes, i) - latitude), Vector.LoadUnsafe(ref latitudeDeltas, i))
                       & Vector.LessThanOrEqual(Vector.Abs(Vector.LoadUnsafe(ref longitudes, i) - longitude), Vector.LoadUnsafe(ref longitudeDeltas, i));
            var category = Vector.LoadUnsafe(ref categories, i);
            pass &= Vector.Equals(category, a0) | Vector.Equals(category, a1) | Vector.Equals(category, a2) | Vector.Equals(category, a3);
            if (pass == Vector<int>.Zero)
            {
                continue;
            }

            for (var lanes = LaneBits(pass); lanes != 0; lanes &= lanes - 1)
            {
                var d = (int)i + BitOperations.TrailingZeroCount(lanes);
                if (PartAndPriceFit(in lot, d))
                {
                    hits[count++] = d;
                }
            }
        }

        return count;
    }

    /// <summary>One bit per lane whose mask is set (the lanes' sign bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint LaneBits(Vector<int> mask) => Vector<int>.Count switch
    {
        4 => mask.AsVector128().ExtractMostSignificantBits(),
        8 => mask.AsVector256().ExtractMostSignificantBits(),
        _ => (uint)mask.AsVector512().ExtractMostSignificantBits(),
    };

    /// <summary>Takes a lot's slot out of its category's list (the last entry moves into its place).</summary>
    private void LeaveCategory(int slot)
    {
        var list = _lotsByCategory[_lots[slot].Category];
        var position = _lots[slot].CategoryPosition;
        var last = list[^1];
        list[position] = last;
        _lots[last].CategoryPosition = position;
        list.RemoveAt(list.Count - 1);
    }

    /// <summary>Degrees of latitude that surely contain a radius (a degree is at least 111 km along a meridian).</summary>
    private static double LatitudeDelta(double radiusKm) => radiusKm / 111.0;

    /// <summary>
    /// Degrees of longitude that surely contain a radius around a point: measured at the highest latitude the circle
    /// reaches, with 1 % to spare for the sine's curvature; no limit near the poles.
    /// </summary>
    private static double LongitudeDelta(double latitude, double radiusKm)
    {
        var highest = Math.Abs(latitude) + LatitudeDelta(radiusKm);
        return highest >= 89 ? double.PositiveInfinity : 1.01 * radiusKm / (111.0 * Math.Cos(highest * Math.PI / 180));
    }

    private static byte Family(Unit unit) => Units.IsMass(unit) ? (byte)0 : (byte)(1 + (int)unit);

    /// <summary>The condition rank's bits in a kind number.</summary>
    private const int RankMask = 0xFF;

    /// <summary>
    /// Unit family, currency and condition rank in one positive number, so that one range check does all three: a
    /// demand of kind k accepts a lot of kind l when l ≥ k (rank at least the minimum) and l without its rank ≤ k (same
    /// family and currency). Never 0, the kind of an empty slot.
    /// </summary>
    private int Kind(Unit unit, string currency, byte rank) => ((((CurrencyOrdinal(currency) << 8) | Family(unit)) + 1) << 8) | rank;

    private static int Micro(double degrees) => (int)Math.Round(degrees * MicroPerDegree);

    /// <summary>A box half-width in microdegrees, rounded up and widened by the two coordinates' rounding.</summary>
    private static int MicroDelta(double degrees) => degrees * MicroPerDegree >= UnboundedDelta ? UnboundedDelta : (int)Math.Ceiling(degrees * MicroPerDegree) + 2;

    /// <summary>Milli base units per unit: mass in milli-kilograms, others in thousandths of the unit.</summary>
    private static long BaseMilli(Unit unit) => unit switch
    {
        Unit.Kg => 1_000,
        Unit.T => 1_000_000,
        _ => 1_000,
    };

    private int CategoryOrdinal(string category)
    {
        if (_categoryOrdinals.TryGetValue(category, out var ordinal))
        {
            return ordinal;
        }

        var parent = category.LastIndexOf('/') is var i and > 0 ? CategoryOrdinal(category[..i]) : -1;
        ordinal = _categoryAncestors.Count;
        _categoryOrdinals[category] = ordinal;
        _categoryAncestors.Add(parent < 0 ? [ordinal] : [ordinal, .. _categoryAncestors[parent]]);
        return ordinal;
    }

    private int CurrencyOrdinal(string currency)
    {
        if (!_currencyOrdinals.TryGetValue(currency, out var ordinal))
        {
            ordinal = _currencyOrdinals.Count;
            _currencyOrdinals[currency] = ordinal;
        }

        return ordinal;
    }

    private static void Grow(ref LotEntry[] entries, ref LotSummary?[] summaries, int slot)
    {
        if (slot >= entries.Length)
        {
            Array.Resize(ref entries, Math.Max(slot + 1, entries.Length * 2));
            Array.Resize(ref summaries, entries.Length);
        }
    }

    /// <summary>
    /// A cheap lower bound of the great-circle distance from a demand to points within its bounding box: the
    /// equirectangular distance at the box's highest latitude (where a degree of longitude is shortest), less 2 % for
    /// the projection's error at up to 500 km. No trigonometry per point.
    /// </summary>
    private readonly struct DistanceBound(double latitude, double longitude, double latDelta)
    {
        private const double KmPerRadian = GeoPoint.EarthRadiusKm * 0.98;
        private const double Radians = Math.PI / 180;
        private readonly double _cos = Math.Cos(Math.Min(89, Math.Abs(latitude) + latDelta) * Radians);

        public double Km(double lat, double lon)
        {
            var dLat = (lat - latitude) * Radians;
            var dLon = (lon - longitude) * Radians * _cos;
            return KmPerRadian * Math.Sqrt((dLat * dLat) + (dLon * dLon));
        }
    }

    /// <summary>A pair's ranking key: <see cref="MatchRules.Rank"/>, then the other side's id (ordinal), so the order is total.</summary>
    private readonly record struct RankKey((double Landed, double Distance, double Fit, int Slack) Rank, string Id)
    {
        public static readonly IComparer<RankKey> Comparer = Comparer<RankKey>.Create((a, b) =>
        {
            var byRank = a.Rank.CompareTo(b.Rank);
            return byRank != 0 ? byRank : string.CompareOrdinal(a.Id, b.Id);
        });
    }

    /// <summary>A lot's packed fields.</summary>
    internal struct LotEntry
    {
        public int Kind;
        public int Category;
        public int CategoryPosition;
        public byte Unit;
        public double TonnesPerUnit;
        public int From;
        public int To;
        public int LatitudeMicro;
        public int LongitudeMicro;
        public long UnitBase;
        public long AvailableMilliBase;
        public long PriceMinor;
        public double Latitude;
        public double Longitude;
    }

    /// <summary>
    /// The demands' packed fields, one array per field (slot-indexed): the filter stage reads only the columns it
    /// compares, contiguously. Capacity is a multiple of 64, hence of any vector width; an empty slot is all zeros.
    /// </summary>
    private sealed class DemandColumns(int capacity)
    {
        public int Capacity { get; private set; } = capacity;
        public int[] Kind = new int[capacity];
        public int[] Category = new int[capacity];
        public int[] From = new int[capacity];
        public int[] To = new int[capacity];
        public int[] Latitude = new int[capacity];
        public int[] Longitude = new int[capacity];
        public int[] LatitudeDelta = new int[capacity];
        public int[] LongitudeDelta = new int[capacity];
        public long[] UnitBase = new long[capacity];
        public long[] MinPartMilliBase = new long[capacity];
        public long[] MaxPriceMinor = new long[capacity];
        public DemandSummary?[] Summaries = new DemandSummary?[capacity];

        public void Grow(int needed)
        {
            var size = Capacity;
            while (size < needed)
            {
                size *= 2;
            }

            Array.Resize(ref Kind, size);
            Array.Resize(ref Category, size);
            Array.Resize(ref From, size);
            Array.Resize(ref To, size);
            Array.Resize(ref Latitude, size);
            Array.Resize(ref Longitude, size);
            Array.Resize(ref LatitudeDelta, size);
            Array.Resize(ref LongitudeDelta, size);
            Array.Resize(ref UnitBase, size);
            Array.Resize(ref MinPartMilliBase, size);
            Array.Resize(ref MaxPriceMinor, size);
            Array.Resize(ref Summaries, size);
            Capacity = size;
        }

        public void Clear(int slot)
        {
            Kind[slot] = 0;
            Category[slot] = From[slot] = To[slot] = Latitude[slot] = Longitude[slot] = LatitudeDelta[slot] = LongitudeDelta[slot] = 0;
            UnitBase[slot] = MinPartMilliBase[slot] = MaxPriceMinor[slot] = 0;
            Summaries[slot] = null;
        }
    }
}
