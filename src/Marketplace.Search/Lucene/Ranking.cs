using Marketplace.Domain.Geo;

namespace Marketplace.Search.Lucene;

/// <summary>Whether a slot matches a query's filters (active, category, condition, price, quantity, date, seller, radius).</summary>
internal sealed class SlotFilter
{
    // Chord tests within this relative band of the radius (rounding apart from the haversine) fall back to the haversine,
    // so a lot passes exactly when its haversine distance is within the radius, as before the chord test.
    public const double Band = 1e-6;

    /// <summary>The same allowance in absolute terms, for lots a few metres from the centre (their chord loses relative precision).</summary>
    public const double AbsoluteBand = 1e-15;

    private readonly bool[]? _categories;
    private readonly int _minRank;
    private readonly long _minPrice;
    private readonly long _maxPrice;
    private readonly double _minQuantity;
    private readonly int _day;
    private readonly int _seller;
    private readonly bool _hasSeller;
    private readonly bool _hasNear;
    private readonly bool _hasRadius;
    private readonly double _nearLat;
    private readonly double _nearLon;
    private readonly double _cosNearLat;
    private readonly double _cx;
    private readonly double _cy;
    private readonly double _cz;
    private readonly double _radius;
    private readonly double _radiusA;
    private readonly LotRow[] _rows;
    private readonly double[] _latitudes;
    private readonly double[] _longitudes;
    private readonly bool _filtersPrice;
    private readonly int _currency;

    public SlotFilter(ListingColumns columns, SearchQuery q)
    {
        (_rows, _latitudes, _longitudes) = (columns.Rows, columns.Latitudes, columns.Longitudes);
        _categories = q.Category is null ? null : columns.CategoriesUnder(q.Category);
        _minRank = q.MinCondition is null ? 0 : ListingDocument.ConditionRank(q.MinCondition);
        _minPrice = q.MinPriceMinor ?? long.MinValue;
        _maxPrice = q.MaxPriceMinor ?? long.MaxValue;
        (_filtersPrice, _currency) = (q.FiltersPrice, columns.CurrencyOrdinal(q.Currency));
        _minQuantity = q.MinQuantity is { } m ? (double)m : double.MinValue;
        _day = q.AvailableOn?.DayNumber ?? -1;
        _hasSeller = q.SellerId is not null;
        _seller = q.SellerId is null ? -1 : columns.SellerOrdinal(q.SellerId);
        _hasNear = q.Near is not null;
        (_nearLat, _nearLon) = q.Near is { } centre ? (centre.Latitude, centre.Longitude) : (0, 0);
        _cosNearLat = Math.Cos(_nearLat * Math.PI / 180);
        (_cx, _cy, _cz) = LotRow.UnitVector(_nearLat, _nearLon);
        _hasRadius = q.Near is not null && q.RadiusKm is not null;
        _radius = q.RadiusKm ?? double.PositiveInfinity;
        _radiusA = _hasRadius ? HaversineA(_radius) : double.PositiveInfinity;
    }

    /// <summary>Allowed category ordinals, or null for any category.</summary>
    public bool[]? Categories => _categories;

    /// <summary>True when the query has a centre (hits and the distance sort need distances).</summary>
    public bool HasNear => _hasNear;

    /// <summary>The haversine term <c>a = sin²(d / 2R)</c> of a distance: it grows with the distance, and needs no trigonometry per lot.</summary>
    public static double HaversineA(double distanceKm)
    {
        var half = Math.Sin(Math.Min(Math.PI / 2, distanceKm / (2 * GeoPoint.EarthRadiusKm)));
        return half * half;
    }

    /// <summary>
    /// True when the slot matches; with a centre, <paramref name="a"/> is the lot's haversine term from it, computed from the
    /// chord between unit vectors (<c>a = |u − c|² / 4</c>), equal to the trigonometric one up to rounding.
    /// </summary>
    public bool Passes(int slot, out double a)
    {
        a = 0;
        ref readonly var row = ref _rows[slot];
        if (!row.Active
            || (_categories is not null && !_categories[row.Category])
            || row.ConditionRank < _minRank
            || row.Price < _minPrice || row.Price > _maxPrice
            || (_filtersPrice && row.Currency != _currency)
            || row.Available < _minQuantity
            || (_day >= 0 && (row.FromDay > _day || row.ToDay < _day))
            || (_hasSeller && row.Seller != _seller))
        {
            return false;
        }

        if (_hasNear)
        {
            var dx = row.X - _cx;
            var dy = row.Y - _cy;
            var dz = row.Z - _cz;
            a = ((dx * dx) + (dy * dy) + (dz * dz)) / 4;
            if (_hasRadius && a > (_radiusA * (1 - Band)) - AbsoluteBand)
            {
                return a <= (_radiusA * (1 + Band)) + AbsoluteBand && DistanceKm(slot) <= _radius;
            }
        }

        return true;
    }

    /// <summary>Great-circle distance in km from the centre (the same haversine as <see cref="GeoPoint.DistanceKm"/>, with the centre's cosine precomputed).</summary>
    public double DistanceKm(int slot)
    {
        const double toRadians = Math.PI / 180;
        var lat2 = _latitudes[slot];
        var dLat = (lat2 - _nearLat) * toRadians;
        var dLon = (_longitudes[slot] - _nearLon) * toRadians;
        var sinLat = Math.Sin(dLat / 2);
        var sinLon = Math.Sin(dLon / 2);
        var a = (sinLat * sinLat) + (_cosNearLat * Math.Cos(lat2 * toRadians) * sinLon * sinLon);
        return 2 * GeoPoint.EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}

/// <summary>The matches of one query: total, facet counts and the best page after the cursor, in one pass.</summary>
internal sealed class Ranking
{
    private readonly ListingColumns _c;
    private readonly SlotFilter _filter;
    private readonly SearchSort _sort;
    private readonly bool _byScore;
    private readonly int _capacity;
    private readonly PriorityQueue<(int Slot, float Score), SortKey> _worstFirst;
    private readonly SortKey? _after;
    private readonly long[] _categoryCounts;
    private readonly long[] _conditionCounts = new long[4];
    private readonly long[] _unitCounts;
    private long _total;
    private bool _full;
    private double _worstKey;
    private double _worstA = double.PositiveInfinity;
    private readonly LotRow[] _rows;
    private readonly long[] _listedAt;

    public Ranking(ListingColumns columns, SearchQuery query, SearchCursor? cursor, int capacity, SlotFilter filter)
    {
        _c = columns;
        _filter = filter;
        _sort = query.Sort;
        _byScore = query.Sort == SearchSort.Relevance && !string.IsNullOrWhiteSpace(query.Text);
        _capacity = capacity;
        _worstFirst = new PriorityQueue<(int, float), SortKey>(capacity + 1, Comparer<SortKey>.Create((a, b) => b.CompareTo(a)));
        _after = cursor is { } c ? new SortKey(c.Key, ListingColumns.IdOrder(c.Id), c.Id) : null;
        _categoryCounts = new long[columns.CategoryCount];
        (_rows, _listedAt) = (columns.Rows, columns.ListedAt);
        _unitCounts = new long[columns.UnitCount];
    }

    /// <summary>Matches so far.</summary>
    public long Total => _total;

    /// <summary>Considers one slot (with its text score, 0 without text).</summary>
    public void Offer(int slot, float score) => Offer(slot, null, score);

    /// <summary>Considers one slot matched by text; its score is computed only when it passes the filters.</summary>
    public void Offer(int slot, IMatchScore? scorer, float score = 0f)
    {
        if (!_filter.Passes(slot, out var a))
        {
            return;
        }

        ref readonly var row = ref _rows[slot];
        _total++;
        _categoryCounts[row.Category]++;
        _conditionCounts[row.ConditionRank]++;
        _unitCounts[row.Unit]++;

        double key;
        switch (_sort)
        {
            case SearchSort.Distance:
                // The haversine term orders lots as their distances do: the exact distance is computed only for a lot
                // that may enter the page (with a margin for rounding, so the page is exactly the one distances give).
                if (_full && a > (_worstA * (1 + SlotFilter.Band)) + SlotFilter.AbsoluteBand)
                {
                    return;
                }

                key = _filter.DistanceKm(slot);
                break;
            case SearchSort.Price:
                key = row.Price;
                break;
            case SearchSort.Relevance when _byScore:
                score = scorer?.GetScore() ?? score;
                key = -score;
                break;
            default:
                key = -(_listedAt[slot] / TimeSpan.TicksPerMillisecond);
                break;
        }

        // Most matches cannot enter a full page: one double comparison decides, before the id is even read.
        if (_full && key > _worstKey)
        {
            return;
        }

        var sortKey = new SortKey(key, _c.IdOrders[slot], _c.Ids[slot]!);
        if (_after is { } after && sortKey.CompareTo(after) <= 0)
        {
            return;
        }

        if (_worstFirst.Count < _capacity)
        {
            _worstFirst.Enqueue((slot, score), sortKey);
        }
        else if (_worstFirst.TryPeek(out _, out var worst) && sortKey.CompareTo(worst) < 0)
        {
            _worstFirst.DequeueEnqueue((slot, score), sortKey);
        }
        else
        {
            return;
        }

        if (_worstFirst.Count == _capacity && _worstFirst.TryPeek(out _, out var newWorst))
        {
            _full = true;
            _worstKey = newWorst.Key;
            if (_sort == SearchSort.Distance)
            {
                _worstA = SlotFilter.HaversineA(_worstKey);
            }
        }
    }

    /// <summary>The best matches, best first.</summary>
    public List<(double Key, int Slot, float Score)> Best()
    {
        var items = new List<(double Key, int Slot, float Score)>(_worstFirst.Count);
        while (_worstFirst.TryDequeue(out var element, out var priority))
        {
            items.Add((priority.Key, element.Slot, element.Score));
        }

        items.Reverse();
        return items;
    }

    /// <summary>Total and facets.</summary>
    public ScanResult Result()
    {
        var categories = new long[_categoryCounts.Length];
        for (var ordinal = 0; ordinal < _categoryCounts.Length; ordinal++)
        {
            if (_categoryCounts[ordinal] > 0)
            {
                foreach (var ancestor in _c.CategoryAncestors(ordinal))
                {
                    categories[ancestor] += _categoryCounts[ordinal];
                }
            }
        }

        var facets = new Dictionary<string, IReadOnlyList<FacetValue>>
        {
            ["category"] = Facet(categories, _c.CategoryName),
            ["condition"] = Enumerable.Range(1, 3).Reverse().Where(r => _conditionCounts[r] > 0)
                .Select(r => new FacetValue(r switch { 3 => "A", 2 => "B", _ => "C" }, _conditionCounts[r])).ToArray(),
            ["unit"] = Facet(_unitCounts, _c.UnitName),
        };
        return new ScanResult(_total, facets);
    }

    private static FacetValue[] Facet(long[] counts, Func<int, string> name)
        => Enumerable.Range(0, counts.Length).Where(i => counts[i] > 0)
            .Select(i => new FacetValue(name(i), counts[i]))
            .OrderByDescending(f => f.Count).ThenBy(f => f.Value, StringComparer.Ordinal).ToArray();

    /// <summary>A hit's place in the order: the sort key, then the id (by its order-preserving prefix first).</summary>
    private readonly record struct SortKey(double Key, UInt128 IdOrder, string Id)
    {
        public int CompareTo(SortKey other)
        {
            var byKey = Key.CompareTo(other.Key);
            if (byKey != 0)
            {
                return byKey;
            }

            var byOrder = IdOrder.CompareTo(other.IdOrder);
            return byOrder != 0 ? byOrder : string.CompareOrdinal(Id, other.Id);
        }
    }
}

/// <summary>How many matched and their facet counts.</summary>
internal sealed record ScanResult(long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets);
