namespace Marketplace.Host.Web;

/// <summary>One row of carbon totals (<c>GET /carbon/...</c>).</summary>
public sealed record CarbonTotalDoc(string? Month, string? Category, int Orders, decimal TonnesReused, decimal AvoidedKgCo2e);

/// <summary>Carbon totals of a firm or the region: overall, by month and by category.</summary>
public sealed record CarbonTotalsDoc(CarbonTotalDoc Overall, IReadOnlyList<CarbonTotalDoc> ByMonth, IReadOnlyList<CarbonTotalDoc> ByCategory);
