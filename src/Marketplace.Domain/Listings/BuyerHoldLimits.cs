using Marketplace.Domain.Common;

namespace Marketplace.Domain.Listings;

/// <summary>
/// How much of one lot one buyer may hold at once, so no buyer can tie up a lot with holds it does not buy.
/// </summary>
/// <param name="MaxOpenHolds">Most active holds one buyer keeps on one lot.</param>
/// <param name="MaxShare">Largest share of the listed quantity one buyer holds at once, from 0 (exclusive) to 1.</param>
public sealed record BuyerHoldLimits(int MaxOpenHolds, decimal MaxShare)
{
    /// <summary>No limit beyond the lot's own (<see cref="Listing.MaxActiveHolds"/> holds, the available quantity).</summary>
    public static readonly BuyerHoldLimits None = new(Listing.MaxActiveHolds, 1m);

    /// <summary>Refuses a new hold of <paramref name="quantity"/> when the buyer's active holds already reach a limit.</summary>
    public void Check(IReadOnlyCollection<Hold> buyersActiveHolds, decimal quantity, decimal listed, string unit)
    {
        var held = buyersActiveHolds.Sum(h => h.Quantity);
        var most = decimal.Round(listed * MaxShare, 3, MidpointRounding.ToZero);
        if (buyersActiveHolds.Count >= MaxOpenHolds || held + quantity > most)
        {
            throw DomainException.Conflict("buyer-hold-limit",
                $"One buyer may keep at most {MaxOpenHolds} open holds and hold at most {most} {unit} of this lot; you hold {held} {unit} in {buyersActiveHolds.Count}.",
                new Dictionary<string, object?>
                {
                    ["maxOpenHolds"] = MaxOpenHolds,
                    ["maxQuantity"] = most,
                    ["openHolds"] = buyersActiveHolds.Count,
                    ["held"] = held,
                    ["unit"] = unit,
                });
        }
    }
}
