using Marketplace.Domain.Carbon;

namespace Marketplace.Grains.Carbon;

/// <summary>One completed reuse as the carbon totals count it.</summary>
/// <param name="OrderId">The completed order (each is counted once).</param>
/// <param name="SellerId">The selling firm.</param>
/// <param name="BuyerId">The buying firm.</param>
/// <param name="Category">Taxonomy slug of the material.</param>
/// <param name="Municipality">Municipality of the lot.</param>
/// <param name="CompletedAt">When the order completed (its month is the month counted).</param>
/// <param name="Figure">The figure stored on the order.</param>
[GenerateSerializer, Immutable]
public sealed record CarbonEntry(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string SellerId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string Category,
    [property: Id(4)] string Municipality,
    [property: Id(5)] DateTimeOffset CompletedAt,
    [property: Id(6)] CarbonFigure Figure);

/// <summary>
/// Carbon totals: key <c>region</c> for the region's public totals, or a trader id for one firm's. An order that
/// completes records its entry in the region's ledger and in both firms' ledgers; a repeated order id is ignored.
/// </summary>
public interface ICarbonLedgerGrain : IGrainWithStringKey
{
    /// <summary>Counts a completed order's figure once.</summary>
    Task RecordAsync(CarbonEntry entry);

    /// <summary>
    /// The totals counted so far: overall, by month, by month and category, by category and by municipality (tonnes
    /// reused, CO2e avoided, orders), with the data versions of the figures counted. Empty totals for a ledger nothing was recorded in.
    /// </summary>
    Task<CarbonTotals> GetTotalsAsync();
}

/// <summary>Keys of carbon ledgers that are not firms.</summary>
public static class CarbonLedgers
{
    /// <summary>The region's public ledger.</summary>
    public const string Region = "region";
}
