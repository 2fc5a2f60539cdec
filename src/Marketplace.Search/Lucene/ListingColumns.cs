using System.Runtime.InteropServices;

namespace Marketplace.Search.Lucene;

/// <summary>
/// What the filters, facets and sort keys read of one lot, packed into one 64-byte row: a query visits tens of thousands
/// of slots scattered over the arrays, and one row costs one or two cache lines where a column per field cost one each.
/// The position is a unit vector on the sphere, so a radius test is a dot product instead of a haversine.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LotRow
{
    public double X;
    public double Y;
    public double Z;
    public long Price;
    public double Available;
    public int FromDay;
    public int ToDay;
    public int Seller;
    public ushort Category;
    public ushort Unit;
    public ushort Currency;
    public byte ConditionRank;
    public bool Active;

    /// <summary>The unit vector of a point given in degrees.</summary>
    public static (double X, double Y, double Z) UnitVector(double latitude, double longitude)
    {
        var lat = latitude * Math.PI / 180;
        var lon = longitude * Math.PI / 180;
        var cosLat = Math.Cos(lat);
        return (cosLat * Math.Cos(lon), cosLat * Math.Sin(lon), Math.Sin(lat));
    }
}

/// <summary>
/// The filterable and sortable fields of every indexed lot, in flat arrays indexed by a slot per lot id. Filters, facet
/// counts and sorts run over these arrays in one pass (a few ms for a million lots), while Lucene answers free text.
/// Not thread-safe by itself: <see cref="LuceneSearchEngine"/> guards it with a reader-writer lock.
/// </summary>
internal sealed class ListingColumns
{
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _categoryOrdinals = new(StringComparer.Ordinal);
    private readonly List<string> _categories = [];
    private readonly List<int[]> _categoryAncestors = [];
    private readonly Dictionary<string, int> _unitOrdinals = new(StringComparer.Ordinal);
    private readonly List<string> _units = [];
    private readonly Dictionary<string, int> _sellerOrdinals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _currencyOrdinals = new(StringComparer.Ordinal);
    private readonly List<string> _currencies = [];
    private readonly List<List<int>> _slotsByCategory = [];
    private readonly Dictionary<int, List<int>> _slotsByCell = [];

    /// <summary>Slots in use or freed (the arrays' used length).</summary>
    public int Count { get; private set; }

    /// <summary>Lots currently in the columns.</summary>
    public int LiveCount => _slots.Count;

    public string?[] Ids = new string?[1024];
    public UInt128[] IdOrders = new UInt128[1024];
    public long[] Versions = new long[1024];
    public LotRow[] Rows = new LotRow[1024];
    public double[] Latitudes = new double[1024];
    public double[] Longitudes = new double[1024];
    public long[] ListedAt = new long[1024];

    /// <summary>Category id of an ordinal.</summary>
    public string CategoryName(int ordinal) => _categories[ordinal];

    /// <summary>The ordinal and all its ancestors' ordinals.</summary>
    public int[] CategoryAncestors(int ordinal) => _categoryAncestors[ordinal];

    /// <summary>How many category ordinals exist.</summary>
    public int CategoryCount => _categories.Count;

    /// <summary>Unit code of an ordinal.</summary>
    public string UnitName(int ordinal) => _units[ordinal];

    /// <summary>How many unit ordinals exist.</summary>
    public int UnitCount => _units.Count;

    /// <summary>The slot of a lot, or -1.</summary>
    public int SlotOf(string id) => _slots.TryGetValue(id, out var slot) ? slot : -1;

    /// <summary>The slot of a lot id given as characters, or -1 (no string made).</summary>
    public int SlotOf(ReadOnlySpan<char> id) => _slots.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out var slot) ? slot : -1;

    /// <summary>The currency ordinal, or -1 for a currency no lot is priced in.</summary>
    public int CurrencyOrdinal(string currency) => _currencyOrdinals.TryGetValue(currency, out var o) ? o : -1;

    /// <summary>The seller ordinal, or -1 for a seller with no lots.</summary>
    public int SellerOrdinal(string sellerId) => _sellerOrdinals.TryGetValue(sellerId, out var o) ? o : -1;

    /// <summary>Which category ordinals are <paramref name="category"/> or below it.</summary>
    public bool[] CategoriesUnder(string category)
    {
        var allowed = new bool[_categories.Count];
        for (var i = 0; i < _categories.Count; i++)
        {
            foreach (var ancestor in _categoryAncestors[i])
            {
                if (_categories[ancestor] == category)
                {
                    allowed[i] = true;
                    break;
                }
            }
        }

        return allowed;
    }

    /// <summary>Slots once filed under a category ordinal (check the row's category: a lot may have moved since).</summary>
    public List<int> SlotsIn(int ordinal) => _slotsByCategory[ordinal];

    /// <summary>
    /// Slots once placed in a cell of <see cref="GeoCells"/> (a lot that moved stays listed under its old cell too; readers
    /// check the row's position), or an empty list.
    /// </summary>
    public IReadOnlyList<int> SlotsInCell(int cell) => _slotsByCell.TryGetValue(cell, out var slots) ? slots : [];

    /// <summary>Every lot id with its version.</summary>
    public Dictionary<string, long> AllVersions() => _slots.ToDictionary(kv => kv.Key, kv => Versions[kv.Value], StringComparer.Ordinal);

    /// <summary>The stored version of a lot, or -1.</summary>
    public long VersionOf(string id) => _slots.TryGetValue(id, out var slot) ? Versions[slot] : -1;

    /// <summary>Adds or replaces a lot's fields.</summary>
    public void Set(ListingDocument d)
        => Set(d.Id, d.Version, d.IsActive, d.Latitude, d.Longitude, d.PriceMinor, (double)d.Available, ListingDocument.ConditionRank(d.Condition),
            d.Unit, d.Category, d.SellerId, d.AvailableFrom.DayNumber, d.AvailableTo.DayNumber, d.ListedAt.UtcTicks, d.Currency);

    /// <summary>Adds or replaces a lot's fields, one by one (loading from the index's doc values).</summary>
    public void Set(string id, long version, bool active, double latitude, double longitude, long price, double available, int conditionRank,
        string unit, string categoryId, string sellerId, int fromDay, int toDay, long listedAtTicks, string currency)
    {
        var d = (Id: id, Version: version, IsActive: active, Latitude: latitude, Longitude: longitude, PriceMinor: price, Available: available,
            Unit: unit, Category: categoryId, SellerId: sellerId);
        var isNew = !_slots.TryGetValue(d.Id, out var slot);
        if (isNew)
        {
            slot = Count++;
            EnsureCapacity(Count);
            _slots[d.Id] = slot;
            Ids[slot] = d.Id;
            IdOrders[slot] = IdOrder(d.Id);
        }

        var cell = GeoCells.Of(d.Latitude, d.Longitude);
        if (isNew || GeoCells.Of(Latitudes[slot], Longitudes[slot]) != cell)
        {
            if (!_slotsByCell.TryGetValue(cell, out var inCell))
            {
                _slotsByCell[cell] = inCell = [];
            }

            inCell.Add(slot);
        }

        Versions[slot] = d.Version;
        Latitudes[slot] = d.Latitude;
        Longitudes[slot] = d.Longitude;
        ref var row = ref Rows[slot];
        (row.X, row.Y, row.Z) = LotRow.UnitVector(d.Latitude, d.Longitude);
        row.Active = d.IsActive;
        row.Price = d.PriceMinor;
        row.Currency = (ushort)Ordinal(_currencyOrdinals, _currencies, currency);
        row.Available = d.Available;
        row.ConditionRank = (byte)conditionRank;
        row.Unit = (ushort)Ordinal(_unitOrdinals, _units, d.Unit);
        var category = (ushort)CategoryOrdinal(d.Category);
        if (isNew || row.Category != category)
        {
            // Lists only grow; a slot that moved to another category is skipped by readers (they check the row's category).
            _slotsByCategory[category].Add(slot);
        }

        row.Category = category;
        if (!_sellerOrdinals.TryGetValue(d.SellerId, out var seller))
        {
            seller = _sellerOrdinals.Count;
            _sellerOrdinals[d.SellerId] = seller;
        }

        row.Seller = seller;
        row.FromDay = fromDay;
        row.ToDay = toDay;
        ListedAt[slot] = listedAtTicks;
    }

    /// <summary>Sets a known lot's version, status and available quantity, its other fields unchanged.</summary>
    public void SetQuantity(string id, long version, bool active, double available)
    {
        var slot = _slots[id];
        ref var row = ref Rows[slot];
        Versions[slot] = version;
        row.Active = active;
        row.Available = available;
    }

    /// <summary>Removes a lot: its slot stays, inactive and without id, so slots never move.</summary>
    public void Remove(string id)
    {
        if (_slots.Remove(id, out var slot))
        {
            Rows[slot].Active = false;
            Ids[slot] = null;
        }
    }

    /// <summary>Removes everything.</summary>
    public void Clear()
    {
        _slots.Clear();
        foreach (var list in _slotsByCategory)
        {
            list.Clear();
        }

        _slotsByCell.Clear();

        Array.Clear(Ids);
        Array.Clear(Rows);
        Count = 0;
    }

    /// <summary>
    /// An order-preserving key of an id: its first 16 characters as bytes, so that <c>IdOrder(a) &lt; IdOrder(b)</c> implies
    /// <c>string.CompareOrdinal(a, b) &lt; 0</c>. Equal keys say nothing (compare the strings): after a character
    /// beyond one byte every byte is 0xFF, and shorter ids are padded with zeros. Sorts tie on their key often (equal
    /// scores, prices); the tie-break by id then costs an integer comparison instead of a string one.
    /// </summary>
    public static UInt128 IdOrder(string id)
    {
        UInt128 key = 0;
        var wide = false;
        for (var i = 0; i < 16; i++)
        {
            var c = i < id.Length ? id[i] : '\0';
            wide |= c > 0xFE;
            key = (key << 8) | (wide ? 0xFFu : c);
        }

        return key;
    }

    private int CategoryOrdinal(string category)
    {
        if (_categoryOrdinals.TryGetValue(category, out var ordinal))
        {
            return ordinal;
        }

        var parent = category.LastIndexOf('/') is var i and > 0 ? CategoryOrdinal(category[..i]) : -1;
        ordinal = _categories.Count;
        _categories.Add(category);
        _categoryOrdinals[category] = ordinal;
        _categoryAncestors.Add(parent < 0 ? [ordinal] : [ordinal, .. _categoryAncestors[parent]]);
        _slotsByCategory.Add([]);
        return ordinal;
    }

    private static int Ordinal(Dictionary<string, int> ordinals, List<string> names, string value)
    {
        if (!ordinals.TryGetValue(value, out var ordinal))
        {
            ordinal = names.Count;
            names.Add(value);
            ordinals[value] = ordinal;
        }

        return ordinal;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= Ids.Length)
        {
            return;
        }

        var size = Math.Max(needed, Ids.Length * 2);
        Array.Resize(ref Ids, size);
        Array.Resize(ref IdOrders, size);
        Array.Resize(ref Versions, size);
        Array.Resize(ref Rows, size);
        Array.Resize(ref Latitudes, size);
        Array.Resize(ref Longitudes, size);
        Array.Resize(ref ListedAt, size);
    }
}
