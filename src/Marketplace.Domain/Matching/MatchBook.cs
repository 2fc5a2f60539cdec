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
    private readonly List<int[]> _categoryAncestors = [];
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

        _lots[slot] = new LotEntry
        {
            Live = true,
            Category = CategoryOrdinal(lot.Category),
            UnitFamily = Family(lot.Unit),
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
            UnitBase = BaseMilli(demand.Unit),
            MinRank = (byte)demand.MinConditionRank,
            MinPartMilliBase = (long)(demand.MinPart * BaseMilli(demand.Unit)),
            MaxPriceMinor = demand.MaxUnitPriceMinor ?? long.MaxValue,
            Latitude = demand.Location.Latitude,
            Longitude = demand.Location.Longitude,
            RadiusKm = demand.RadiusKm,
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
        var candidates = new List<int>();
        for (var d = 0; d < _demandCount; d++)
        {
            if (Matches(in lot, in _demands[d]))
            {
                candidates.Add(d);
            }
        }

        var summary = _lotSummaries[lotSlot]!;
        var ranked = candidates.Select(d => _demandSummaries[d]!)
            .Select(d => (Demand: d, Distance: MatchRules.DistanceKm(summary, d)))
            .Where(x => x.Distance <= x.Demand.RadiusKm)
            .OrderBy(x => MatchRules.Rank(summary, x.Demand, x.Distance)).ThenBy(x => x.Demand.Id, StringComparer.Ordinal)
            .ToList();

        var proposals = new List<Proposal>();
        var remaining = summary.Available;
        foreach (var (demand, distance) in ranked)
        {
            var quantity = Math.Min(Units.Convert(remaining, summary.Unit, demand.Unit), demand.Quantity);
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
    /// quantity is covered. Empty for an unknown demand.
    /// </summary>
    public IReadOnlyList<Proposal> MatchDemand(string demandId)
    {
        if (!_demandSlots.TryGetValue(demandId, out var demandSlot))
        {
            return [];
        }

        ref readonly var demand = ref _demands[demandSlot];
        var candidates = new List<int>();
        for (var l = 0; l < _lotCount; l++)
        {
            if (Matches(in _lots[l], in demand))
            {
                candidates.Add(l);
            }
        }

        var summary = _demandSummaries[demandSlot]!;
        var ranked = candidates.Select(l => _lotSummaries[l]!)
            .Select(l => (Lot: l, Distance: MatchRules.DistanceKm(l, summary)))
            .Where(x => x.Distance <= summary.RadiusKm)
            .OrderBy(x => MatchRules.Rank(x.Lot, summary, x.Distance)).ThenBy(x => x.Lot.Id, StringComparer.Ordinal)
            .ToList();

        var proposals = new List<Proposal>();
        var remaining = summary.Quantity;
        foreach (var (lot, distance) in ranked)
        {
            var quantity = Math.Min(MatchRules.AvailableIn(lot, summary.Unit), remaining);
            if (quantity > 0 && quantity >= summary.MinPart)
            {
                proposals.Add(new Proposal(lot.Id, summary.Id, quantity, MatchRules.LandedCostPerDemandUnit(lot, summary.Unit, distance), distance));
                remaining -= quantity;
            }
        }

        return proposals;
    }

    /// <summary>
    /// The filter stage for one pair, on packed fields: both live, category, unit family, condition, price, windows,
    /// smallest part, and a bounding-box distance check (the exact distance is checked on the few that pass).
    /// </summary>
    internal bool Matches(in LotEntry lot, in DemandEntry demand)
    {
        if (!lot.Live || !demand.Live || lot.UnitFamily != demand.UnitFamily || lot.Rank < demand.MinRank
            || lot.From > demand.To || demand.From > lot.To || lot.AvailableMilliBase < demand.MinPartMilliBase)
        {
            return false;
        }

        // Price per demand unit within the maximum, exactly: price × base(demand) ≤ max × base(lot).
        if (demand.MaxPriceMinor != long.MaxValue && lot.PriceMinor * demand.UnitBase > demand.MaxPriceMinor * lot.UnitBase)
        {
            return false;
        }

        var latDelta = demand.RadiusKm / 111.0;
        if (Math.Abs(lot.Latitude - demand.Latitude) > latDelta)
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

    private static void Grow<TEntry, TSummary>(ref TEntry[] entries, ref TSummary?[] summaries, int slot)
    {
        if (slot >= entries.Length)
        {
            Array.Resize(ref entries, Math.Max(slot + 1, entries.Length * 2));
            Array.Resize(ref summaries, entries.Length);
        }
    }

    /// <summary>A lot's packed fields.</summary>
    internal struct LotEntry
    {
        public bool Live;
        public byte UnitFamily;
        public byte Rank;
        public int Category;
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
        public int Category;
        public int From;
        public int To;
        public long UnitBase;
        public long MinPartMilliBase;
        public long MaxPriceMinor;
        public double Latitude;
        public double Longitude;
        public double RadiusKm;
    }
}
