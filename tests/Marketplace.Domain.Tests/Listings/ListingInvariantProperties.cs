using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Listings;

/// <summary>For any sequence of hold, release, confirm, lapse and quantity change, available + held + sold = listed and none is negative.</summary>
public class ListingInvariantProperties
{
    /// <summary>One step a buyer, the seller or the clock can take.</summary>
    public sealed record Step(int Kind, int Actor, int Amount, int Minutes, int HoldIndex);

    private static Arbitrary<Step[]> Steps() =>
        Gen.Choose(0, 5).SelectMany(kind =>
            Gen.Choose(0, 2).SelectMany(actor =>
                Gen.Choose(-5, 400).SelectMany(amount =>
                    Gen.Choose(1, 600).SelectMany(minutes =>
                        Gen.Choose(0, 30).Select(holdIndex => new Step(kind, actor, amount, minutes, holdIndex))))))
            .ArrayOf()
            .ToArbitrary();

    [Property(MaxTest = 300)]
    public Property AnyOperationSequence_KeepsQuantitiesBalanced()
        => Prop.ForAll(Steps(), steps =>
        {
            var now = ListingBuilder.Now;
            var lot = ListingBuilder.Active(1000);
            var holdIds = new List<string>();
            string[] actors = ["seller", "buyer-a", "buyer-b"];
            foreach (var step in steps)
            {
                try
                {
                    switch (step.Kind)
                    {
                        case 0:
                            var id = $"h{holdIds.Count}";
                            holdIds.Add(id);
                            lot.PlaceHold(id, actors[step.Actor], step.Amount, now.AddMinutes(step.Minutes), now);
                            break;
                        case 1 when holdIds.Count > 0:
                            lot.ReleaseHold(holdIds[step.HoldIndex % holdIds.Count], actors[step.Actor], now);
                            break;
                        case 2 when holdIds.Count > 0:
                            lot.ConfirmHold(holdIds[step.HoldIndex % holdIds.Count], actors[step.Actor], now);
                            break;
                        case 3:
                            now = now.AddMinutes(step.Minutes);
                            lot.ExpireIfDue(now);
                            break;
                        case 4:
                            lot.Update(new ListingChanges { Quantity = step.Amount * 5 }, MaterialTaxonomy.Default, now);
                            break;
                        default:
                            lot.PlaceHold($"big{step.HoldIndex}-{holdIds.Count}", "buyer-a", lot.Available + step.Amount, now.AddMinutes(5), now);
                            break;
                    }
                }
                catch (DomainException)
                {
                    // Refusals are expected; the invariant must hold after them too.
                }

                if (!Balanced(lot))
                {
                    return false.Label($"unbalanced after {step}: listed {lot.ListedQuantity}, available {lot.Available}, held {lot.Held}, sold {lot.Sold}");
                }
            }

            return true.ToProperty();
        });

    private static bool Balanced(Listing lot)
        => lot.Available + lot.Held + lot.Sold == lot.ListedQuantity
           && lot.Available >= 0 && lot.Held >= 0 && lot.Sold >= 0
           && (lot.Status != ListingStatus.SoldOut || lot.Sold == lot.ListedQuantity);
}
