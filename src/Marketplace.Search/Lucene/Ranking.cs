using Marketplace.Domain.Geo;

namespace Marketplace.Search.Lucene;

/// <summary>Whether a slot matches a query's filters (active, category, condition, price, quantity, date, seller, radius).</summary>
internal sealed class SlotFilter
{
    private const double KmPerDegree = 111.195;

    private readonly bool[]? _categories;
    private readonly int _minRank;
    private readonly long _minPrice;
    private readonly long _maxPrice;
    private readonly double _minQuantity;
    private readonly int _day;
    private readonly int _seller;
    private readonly bool _hasSeller;
    private readonly bool _hasNear;
    private readonly double _nearLat;
    private readonly double _nearLon;
    private readonly double _cosNearLat;
    private readonly double _radius;
    private readonly double _minLat;
    private readonly double _maxLat;
    private readonly double _minLon;
    private readonly double _maxLon;

    // The columns' arrays, held directly: one load per check in the hot loop instead of two.
    private readonly bool[] _active;
    private readonly ushort[] _categoryOf;
    private readonly byte[] _ranks;
    private readonly long[] _prices;
    private readonly ushort[] _currencies;
    private readonly bool _filtersPrice;
    private readonly int _currency;
    private readonly double[] _available;
    private readonly int[] _fromDays;
    private readonly int[] _toDays;
    private readonly int[] _sellers;
    private readonly double[] _latitudes;
    private readonly double[] _longitudes;

    public SlotFilter(ListingColumns columns, SearchQuery q)
    {
        (_active, _categoryOf, _ranks, _prices, _available) = (columns.Active, columns.Categories, columns.ConditionRanks, columns.Prices, columns.Available);
        (_fromDays, _toDays, _sellers, _latitudes, _longitudes) = (columns.FromDays, columns.ToDays, columns.Sellers, columns.Latitudes, columns.Longitudes);
        _categories = q.Category is null ? null : columns.CategoriesUnder(q.Category);
        _minRank = q.MinCondition is null ? 0 : ListingDocument.ConditionRank(q.MinCondition);
        _minPrice = q.MinPriceMinor ?? long.MinValue;
        _maxPrice = q.MaxPriceMinor ?? long.MaxValue;
        (_currencies, _filtersPrice, _currency) = (columns.Currencies, q.FiltersPrice, columns.CurrencyOrdinal(q.Currency));
        _minQuantity = q.MinQuantity is { } m ? (double)m : double.MinValue;
        _day = q.AvailableOn?.DayNumber ?? -1;
        _hasSeller = q.SellerId is not null;
        _seller = q.SellerId is null ? -1 : columns.SellerOrdinal(q.SellerId);
        _hasNear = q.Near is not null;
        (_nearLat, _nearLon) = q.Near is { } centre ? (centre.Latitude, centre.Longitude) : (0, 0);
        _cosNearLat = Math.Cos(_nearLat * Math.PI / 180);
        _radius = q.RadiusKm ?? double.PositiveInfinity;
        if (q.Near is { } n && q.RadiusKm is { } r)
        {
            var latDelta = r / KmPerDegree;
            var lonDelta = r / (KmPerDegree * Math.Max(0.01, Math.Cos(n.Latitude * Math.PI / 180)));
            (_minLat, _maxLat, _minLon, _maxLon) = (n.Latitude - latDelta, n.Latitude + latDelta, n.Longitude - lonDelta, n.Longitude + lonDelta);
        }
        else
        {
            (_minLat, _maxLat, _minLon, _maxLon) = (double.MinValue, double.MaxValue, double.MinValue, double.MaxValue);
        }
    }

    /// <summary>Great-circle distance in km (the same haversine as <see cref="GeoPoint.DistanceKm"/>, with the centre's cosine precomputed).</summary>
    private double Haversine(double lat1, double lon1, double lat2, double lon2)
    {
        const double toRadians = Math.PI / 180;
        var dLat = (lat2 - lat1) * toRadians;
        var dLon = (lon2 - lon1) * toRadians;
        var a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (_cosNearLat * Math.Cos(lat2 * toRadians) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * GeoPoint.EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>Allowed category ordinals, or null for any category.</summary>
    public bool[]? Categories => _categories;

    /// <summary>True when the slot matches; <paramref name="distanceKm"/> is set when the query has a centre.</summary>
    public bool Passes(int slot, out double distanceKm)
    {
        distanceKm = 0;
        if (!_active[slot]
            || (_categories is not null && !_categories[_categoryOf[slot]])
            || _ranks[slot] < _minRank
            || _prices[slot] < _minPrice || _prices[slot] > _maxPrice
            || (_filtersPrice && _currencies[slot] != _currency)
            || _available[slot] < _minQuantity
            || (_day >= 0 && (_fromDays[slot] > _day || _toDays[slot] < _day))
            || (_hasSeller && _sellers[slot] != _seller))
        {
            return false;
        }

        if (_hasNear)
        {
            var lat = _latitudes[slot];
            var lon = _longitudes[slot];
            if (lat < _minLat || lat > _maxLat || lon < _minLon || lon > _maxLon)
            {
                return false;
            }

            distanceKm = Haversine(_nearLat, _nearLon, lat, lon);
            return distanceKm <= _radius;
        }

        return true;
    }
}

/// <summary>The matches of one query: total, facet counts and the best page after the cursor, in one pass.</summary>
internal sealed class Ranking
{
    private readonly ListingColumns _c;
    private readonly SlotFilter _filter;
    private readonly SearchSort _sort;
    private readonly bool _byScore;
    private readonly SearchCursor? _cursor;
    private readonly int _capacity;
    private readonly PriorityQueue<(int Slot, float Score), (double Key, string Id)> _worstFirst;
    private readonly long[] _categoryCounts;
    private readonly long[] _conditionCounts = new long[4];
    private readonly long[] _unitCounts;
    private long _total;
    private bool _full;
    private double _worstKey;
    private readonly ushort[] _categoryOf;
    private readonly byte[] _ranks;
    private readonly ushort[] _units;

    public Ranking(ListingColumns columns, SearchQuery query, SearchCursor? cursor, int capacity, SlotFilter filter)
    {
        _c = columns;
        _filter = filter;
        _sort = query.Sort;
        _byScore = query.Sort == SearchSort.Relevance && !string.IsNullOrWhiteSpace(query.Text);
        _cursor = cursor;
        _capacity = capacity;
        _worstFirst = new PriorityQueue<(int, float), (double, string)>(capacity + 1, Comparer<(double Key, string Id)>.Create((a, b) => Compare(b, a)));
        _categoryCounts = new long[columns.CategoryCount];
        (_categoryOf, _ranks, _units) = (columns.Categories, columns.ConditionRanks, columns.Units);
        _unitCounts = new long[columns.UnitCount];
    }

    /// <summary>Matches so far.</summary>
    public long Total => _total;

    /// <summary>Considers one slot (with its text score, 0 without text).</summary>
    public void Offer(int slot, float score) => Offer(slot, null, score);

    /// <summary>Considers one slot matched by text; its score is computed only when it passes the filters.</summary>
    public void Offer(int slot, global::Lucene.Net.Search.Scorer? scorer, float score = 0f)
    {
        if (!_filter.Passes(slot, out var distance))
        {
            return;
        }

        if (scorer is not null && _byScore)
        {
            score = scorer.GetScore();
        }

        _total++;
        _categoryCounts[_categoryOf[slot]]++;
        _conditionCounts[_ranks[slot]]++;
        _unitCounts[_units[slot]]++;

        var key = _sort switch
        {
            SearchSort.Distance => distance,
            SearchSort.Price => _c.Prices[slot],
            SearchSort.Relevance when _byScore => -score,
            _ => -(_c.ListedAt[slot] / TimeSpan.TicksPerMillisecond),
        };
        // Most matches cannot enter a full page: one double comparison decides, before the id is even read.
        if (_full && key > _worstKey)
        {
            return;
        }

        var id = _c.Ids[slot]!;
        if (_cursor is { } after && Compare((key, id), (after.Key, after.Id)) <= 0)
        {
            return;
        }

        if (_worstFirst.Count < _capacity)
        {
            _worstFirst.Enqueue((slot, score), (key, id));
        }
        else if (_worstFirst.TryPeek(out _, out var worst) && Compare((key, id), worst) < 0)
        {
            _worstFirst.DequeueEnqueue((slot, score), (key, id));
        }
        else
        {
            return;
        }

        if (_worstFirst.Count == _capacity && _worstFirst.TryPeek(out _, out var newWorst))
        {
            _full = true;
            _worstKey = newWorst.Key;
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

    private static int Compare((double Key, string Id) a, (double Key, string Id) b)
    {
        var byKey = a.Key.CompareTo(b.Key);
        return byKey != 0 ? byKey : string.CompareOrdinal(a.Id, b.Id);
    }
}

/// <summary>How many matched and their facet counts.</summary>
internal sealed record ScanResult(long Total, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets);
