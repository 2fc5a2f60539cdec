using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Matching;

/// <summary>
/// The open supply and demand of one partition, in packed struct arrays (ids mapped to slots, freed slots reused), and
/// the matcher over them: the filter stage checks candidates in a tight loop over the arrays with integer quantities
/// (milli base units) and prices, without allocating; only the few that pass are ranked (<see cref="MatchRules"/>) and
/// allocated. Not thread-safe: one partition grain owns one book.
/// </summary>
public sealed class MatchBook
{
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

    /// <summary>How many units there are (sizes per-unit lookup tables).</summary>
    private static readonly int UnitKinds = Enum.GetValues<Unit>().Max(u => (int)u) + 1;
    private LotEntry[] _lots = new LotEntry[64];
    private DemandEntry[] _demands = new DemandEntry[64];
    private LotSummary?[] _lotSummaries = new LotSummary?[64];
    private DemandSummary?[] _demandSummaries = new DemandSummary?[64];
    private int _lotCount;
    private int _demandCount;

    /// <summary>Open lots in the book.</summary>
    public int LotCount => _lotSlots.Count;

    /// <summary>Open demands in the book.</summary>
    public int DemandCount => _demandSlots.Count;

    /// <summary>The lot's summary, or null when the book does not hold it.</summary>
    public LotSummary? Lot(string id) => _lotSlots.TryGetValue(id, out var slot) ? _lotSummaries[slot] : null;

    /// <summary>The demand's summary, or null when the book does not hold it.</summary>
    public DemandSummary? Demand(string id) => _demandSlots.TryGetValue(id, out var slot) ? _demandSummaries[slot] : null;

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
            Live = true,
            Category = category,
            CategoryPosition = _lotsByCategory[category].Count - 1,
            Unit = (byte)lot.Unit,
            TonnesPerUnit = (double)(lot.MassPerUnitKg ?? 0m) / 1000.0,
            UnitFamily = Family(lot.Unit),
            Currency = CurrencyOrdinal(lot.Currency),
            UnitBase = BaseMilli(lot.Unit),
            Rank = (byte)lot.ConditionRank,
            AvailableMilliBase = (long)(lot.Available * BaseMilli(lot.Unit)),
            PriceMinor = lot.UnitPriceMinor,
            Latitude = lot.Location.Latitude,
            Longitude = lot.Location.Longitude,
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
            Grow(ref _demands, ref _demandSummaries, slot);
            _demandSlots[demand.Id] = slot;
        }

        _demands[slot] = new DemandEntry
        {
            Live = true,
            Category = CategoryOrdinal(demand.Category),
            UnitFamily = Family(demand.Unit),
            Currency = CurrencyOrdinal(demand.Currency),
            UnitBase = BaseMilli(demand.Unit),
            MinRank = (byte)demand.MinConditionRank,
            MinPartMilliBase = (long)(demand.MinPart * BaseMilli(demand.Unit)),
            MaxPriceMinor = demand.MaxUnitPriceMinor ?? long.MaxValue,
            Latitude = demand.Location.Latitude,
            Longitude = demand.Location.Longitude,
            RadiusKm = demand.RadiusKm,
            LatDelta = LatitudeDelta(demand.RadiusKm),
            LonDelta = LongitudeDelta(demand.Location.Latitude, demand.RadiusKm),
            From = demand.Window.From.DayNumber,
            To = demand.Window.To.DayNumber,
        };
        _demandSummaries[slot] = demand;
    }

    /// <summary>Removes a demand (fulfilled, cancelled, expired).</summary>
    public void RemoveDemand(string id)
    {
        if (_demandSlots.Remove(id, out var slot))
        {
            _demands[slot] = default;
            _demandSummaries[slot] = null;
            _freeDemands.Push(slot);
        }
    }

    /// <summary>
    /// Proposals for a lot: the matching demands, best ranked first, each offered what it wants (at least its smallest
    /// part) until the lot's available quantity runs out. Empty for an unknown lot.
    /// </summary>
    public IReadOnlyList<Proposal> MatchLot(string lotId)
    {
        if (!_lotSlots.TryGetValue(lotId, out var lotSlot))
        {
            return [];
        }

        ref readonly var lot = ref _lots[lotSlot];
        var summary = _lotSummaries[lotSlot]!;
        var ranked = new PriorityQueue<(DemandSummary Demand, double Distance), RankKey>(RankKey.Comparer);
        for (var d = 0; d < _demandCount; d++)
        {
            if (Matches(in lot, in _demands[d]))
            {
                var demand = _demandSummaries[d]!;
                var distance = MatchRules.DistanceKm(summary, demand);
                if (distance <= demand.RadiusKm)
                {
                    ranked.Enqueue((demand, distance), new RankKey(MatchRules.Rank(summary, demand, distance), demand.Id));
                }
            }
        }

        // Best ranked first, until the lot's quantity runs out (only what is needed is taken from the heap).
        var proposals = new List<Proposal>();
        var remaining = summary.Available;
        while (remaining > 0 && ranked.TryDequeue(out var next, out _))
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
    /// Proposals for a demand: the matching lots, best ranked first, each proposing what it can until the demand's
    /// quantity is covered or <paramref name="maxProposals"/> are made. Empty for an unknown demand.
    /// </summary>
    public IReadOnlyList<Proposal> MatchDemand(string demandId, int maxProposals = int.MaxValue)
    {
        if (!_demandSlots.TryGetValue(demandId, out var demandSlot))
        {
            return [];
        }

        ref readonly var demand = ref _demands[demandSlot];
        var summary = _demandSummaries[demandSlot]!;

        // Filter only the lots in the demand's category or below it, and queue them by a cheap lower bound of their rank
        // (price alone); exact distances and ranks are computed lazily, for the few that can still come first.
        // Reused buffers: one call at a time owns them, and a dense partition's candidates would otherwise be a
        // large-object allocation per call.
        var bounds = _bounds;
        bounds.Clear();
        var basePerDemandUnit = MatchRules.BaseUnitsPer(summary.Unit);
        var tonnesPerDemandUnit = Units.IsMass(summary.Unit) ? (double)Units.Convert(1m, summary.Unit, Unit.T) : double.NaN;
        var distanceBound = new DistanceBound(demand.Latitude, demand.Longitude, demand.LatDelta);
        Span<double> lotUnitsPerDemandUnit = stackalloc double[UnitKinds];
        lotUnitsPerDemandUnit.Fill(double.NaN);
        for (var c = 0; c < _categoryAncestors.Count; c++)
        {
            if (c >= _lotsByCategory.Count || _lotsByCategory[c].Count == 0 || Array.IndexOf(_categoryAncestors[c], demand.Category) < 0)
            {
                continue;
            }

            foreach (var l in _lotsByCategory[c])
            {
                ref readonly var lot = ref _lots[l];
                if (Matches(in lot, in demand))
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
                if (distance <= summary.RadiusKm)
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
    /// The filter stage for one pair, on packed fields: both live, category, unit family, currency, condition, price, windows,
    /// smallest part, and a bounding-box distance check (the exact distance is checked on the few that pass).
    /// </summary>
    internal bool Matches(in LotEntry lot, in DemandEntry demand)
    {
        if (!lot.Live || !demand.Live || lot.UnitFamily != demand.UnitFamily || lot.Currency != demand.Currency || lot.Rank < demand.MinRank
            || lot.From > demand.To || demand.From > lot.To || lot.AvailableMilliBase < demand.MinPartMilliBase)
        {
            return false;
        }

        // Price per demand unit within the maximum, exactly: price × base(demand) ≤ max × base(lot), in 128 bits (a kg
        // price near 9.3e12 minor units times a tonne's 1e6 milli-kilograms would wrap a long negative).
        if (demand.MaxPriceMinor != long.MaxValue && (Int128)lot.PriceMinor * demand.UnitBase > (Int128)demand.MaxPriceMinor * lot.UnitBase)
        {
            return false;
        }

        if (Math.Abs(lot.Latitude - demand.Latitude) > demand.LatDelta || Math.Abs(lot.Longitude - demand.Longitude) > demand.LonDelta)
        {
            return false;
        }

        var ancestors = _categoryAncestors[lot.Category];
        for (var i = 0; i < ancestors.Length; i++)
        {
            if (ancestors[i] == demand.Category)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs the filter stage of every demand against one lot (benchmarks measure candidate checks per second).</summary>
    public int CountCandidates(string lotId)
    {
        if (!_lotSlots.TryGetValue(lotId, out var lotSlot))
        {
            return 0;
        }

        ref readonly var lot = ref _lots[lotSlot];
        var count = 0;
        for (var d = 0; d < _demandCount; d++)
        {
            if (Matches(in lot, in _demands[d]))
            {
                count++;
            }
        }

        return count;
    }

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

    private static void Grow<TEntry, TSummary>(ref TEntry[] entries, ref TSummary?[] summaries, int slot)
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
        public bool Live;
        public byte UnitFamily;
        public byte Rank;
        public int Currency;
        public int Category;
        public int CategoryPosition;
        public byte Unit;
        public double TonnesPerUnit;
        public int From;
        public int To;
        public long UnitBase;
        public long AvailableMilliBase;
        public long PriceMinor;
        public double Latitude;
        public double Longitude;
    }

    /// <summary>A demand's packed fields.</summary>
    internal struct DemandEntry
    {
        public bool Live;
        public byte UnitFamily;
        public byte MinRank;
        public int Currency;
        public int Category;
        public int From;
        public int To;
        public long UnitBase;
        public long MinPartMilliBase;
        public long MaxPriceMinor;
        public double Latitude;
        public double Longitude;
        public double RadiusKm;
        public double LatDelta;
        public double LonDelta;
    }
}
