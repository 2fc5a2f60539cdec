using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Carbon;

/// <summary>Totals of one slice of completed reuses (a month, a category, a municipality, or all of them).</summary>
/// <param name="Month">Calendar month in the region (<c>yyyy-MM</c>, Helsinki time), or null when not sliced by month.</param>
/// <param name="Category">Taxonomy slug, or null when not sliced by category.</param>
/// <param name="Municipality">Municipality of the lots, or null when not sliced by municipality.</param>
/// <param name="Orders">Completed orders counted.</param>
/// <param name="MassKg">Mass reused, kg.</param>
/// <param name="AvoidedKgCo2e">Net CO2e avoided, kg: the sum of the orders' figures, negative ones included.</param>
/// <param name="NegativeOrders">Orders whose figure was negative (they emitted more than they avoided).</param>
public sealed record CarbonTotal(string? Month, string? Category, string? Municipality, int Orders, decimal MassKg, decimal AvoidedKgCo2e, int NegativeOrders)
{
    /// <summary>Mass reused, tonnes.</summary>
    public decimal TonnesReused => MassKg / 1000m;

    /// <summary>This slice with one more order's figure in it.</summary>
    public CarbonTotal Plus(CarbonFigure figure)
        => this with
        {
            Orders = Orders + 1,
            MassKg = MassKg + figure.MassKg,
            AvoidedKgCo2e = AvoidedKgCo2e + figure.AvoidedKgCo2e,
            NegativeOrders = NegativeOrders + (figure.IsNegative ? 1 : 0),
        };

    /// <summary>The sum of two slices, labelled as this one.</summary>
    public CarbonTotal Plus(CarbonTotal other)
        => this with
        {
            Orders = Orders + other.Orders,
            MassKg = MassKg + other.MassKg,
            AvoidedKgCo2e = AvoidedKgCo2e + other.AvoidedKgCo2e,
            NegativeOrders = NegativeOrders + other.NegativeOrders,
        };
}

/// <summary>A ledger's totals as readers see them.</summary>
/// <param name="Overall">Everything counted.</param>
/// <param name="ByMonth">Per month, oldest first.</param>
/// <param name="ByMonthAndCategory">Per month and category, oldest month first.</param>
/// <param name="ByCategory">Per category.</param>
/// <param name="ByMunicipality">Per municipality.</param>
/// <param name="DataVersions">Emission-factor file versions of the figures counted (figures keep the version they were computed with).</param>
public sealed record CarbonTotals(CarbonTotal Overall, IReadOnlyList<CarbonTotal> ByMonth, IReadOnlyList<CarbonTotal> ByMonthAndCategory,
    IReadOnlyList<CarbonTotal> ByCategory, IReadOnlyList<CarbonTotal> ByMunicipality, IReadOnlyList<string> DataVersions);

/// <summary>What became of a record.</summary>
public enum CarbonRecordOutcome
{
    /// <summary>Counted now.</summary>
    Counted,

    /// <summary>The order was counted before; nothing changed.</summary>
    AlreadyCounted,

    /// <summary>Completed before the months the ledger remembers; it cannot tell whether it counted it, so it does not.</summary>
    TooOld,
}

/// <summary>
/// Carbon totals of completed orders, each order counted once. State stays bounded: totals are kept per month and
/// category and per category and municipality (bounded by the taxonomy, the municipalities and the months elapsed),
/// and the memory of counted orders is a set of 64-bit hashes of order ids per month of completion, kept only for the
/// current month and a configured number before it. An order completing earlier than that is older than any retry of
/// its record and is refused as <see cref="CarbonRecordOutcome.TooOld"/> rather than risk counting it twice.
/// </summary>
public sealed class CarbonLedger
{
    /// <summary>Label of lots whose municipality was not given.</summary>
    public const string UnknownMunicipality = "unknown";

    [JsonInclude]
    private List<CarbonTotal> _byMonthAndCategory = [];

    [JsonInclude]
    private List<CarbonTotal> _byCategoryAndMunicipality = [];

    [JsonInclude]
    private SortedDictionary<string, HashSet<long>> _counted = new(StringComparer.Ordinal);

    [JsonInclude]
    private SortedSet<string> _dataVersions = new(StringComparer.Ordinal);

    /// <summary>Orders remembered for deduplication (for tests and monitoring of the state's size).</summary>
    public int RememberedOrders => _counted.Values.Sum(s => s.Count);

    /// <summary>Months whose counted orders are remembered, oldest first.</summary>
    public IReadOnlyList<string> RememberedMonths => [.. _counted.Keys];

    /// <summary>The calendar month of an instant in the region, <c>yyyy-MM</c>.</summary>
    public static string MonthOf(DateTimeOffset instant)
        => TimeZoneInfo.ConvertTime(instant, MarketClock.Zone).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>
    /// Counts a completed order's figure unless it was counted before, or completed before the
    /// <paramref name="dedupeMonths"/> months preceding <paramref name="now"/>'s month.
    /// </summary>
    public CarbonRecordOutcome Record(string orderId, string category, string? municipality, DateTimeOffset completedAt, CarbonFigure figure,
        DateTimeOffset now, int dedupeMonths)
    {
        new Validation()
            .Text(orderId, "orderId", 200)
            .Text(category, "category", 200)
            .Require(figure is not null && figure.MassKg >= 0m, "figure", "The carbon figure is missing or has a negative mass.")
            .Require(dedupeMonths >= 1, "dedupeMonths", "At least one month of counted orders must be remembered.")
            .ThrowIfInvalid("The carbon entry cannot be counted.");

        var oldest = MonthOf(TimeZoneInfo.ConvertTime(now, MarketClock.Zone).AddMonths(-dedupeMonths));
        var month = MonthOf(completedAt);
        foreach (var expired in _counted.Keys.Where(m => string.CompareOrdinal(m, oldest) < 0).ToList())
        {
            _counted.Remove(expired);
        }

        if (string.CompareOrdinal(month, oldest) < 0)
        {
            return CarbonRecordOutcome.TooOld;
        }

        var hash = Hash(orderId);
        if (_counted.Values.Any(s => s.Contains(hash)))
        {
            return CarbonRecordOutcome.AlreadyCounted;
        }

        if (!_counted.TryGetValue(month, out var ids))
        {
            ids = [];
            _counted[month] = ids;
        }

        ids.Add(hash);
        var place = string.IsNullOrWhiteSpace(municipality) ? UnknownMunicipality : municipality.Trim();
        Add(_byMonthAndCategory, new CarbonTotal(month, category, null, 0, 0m, 0m, 0), figure!);
        Add(_byCategoryAndMunicipality, new CarbonTotal(null, category, place, 0, 0m, 0m, 0), figure!);
        _dataVersions.Add(figure!.DataVersion);
        return CarbonRecordOutcome.Counted;
    }

    /// <summary>The totals, sliced every way readers ask for.</summary>
    public CarbonTotals Totals()
    {
        var none = new CarbonTotal(null, null, null, 0, 0m, 0m, 0);
        var overall = _byMonthAndCategory.Aggregate(none, (sum, c) => sum.Plus(c));
        return new CarbonTotals(
            overall,
            Sum(_byMonthAndCategory, c => none with { Month = c.Month }),
            [.. _byMonthAndCategory.OrderBy(c => c.Month, StringComparer.Ordinal).ThenBy(c => c.Category, StringComparer.Ordinal)],
            Sum(_byCategoryAndMunicipality, c => none with { Category = c.Category }),
            Sum(_byCategoryAndMunicipality, c => none with { Municipality = c.Municipality }),
            [.. _dataVersions]);
    }

    private static void Add(List<CarbonTotal> cells, CarbonTotal label, CarbonFigure figure)
    {
        var i = cells.FindIndex(c => c.Month == label.Month && c.Category == label.Category && c.Municipality == label.Municipality);
        if (i < 0)
        {
            cells.Add(label.Plus(figure));
        }
        else
        {
            cells[i] = cells[i].Plus(figure);
        }
    }

    private static List<CarbonTotal> Sum(IEnumerable<CarbonTotal> cells, Func<CarbonTotal, CarbonTotal> label)
        => [.. cells.GroupBy(label).Select(g => g.Aggregate(g.Key, (sum, c) => sum.Plus(c)))
            .OrderBy(c => c.Month ?? c.Category ?? c.Municipality, StringComparer.Ordinal)];

    /// <summary>First 8 bytes of the SHA-256 of the order id: stable across processes and versions, unlike string hash codes.</summary>
    private static long Hash(string orderId) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(orderId)), 0);
}
