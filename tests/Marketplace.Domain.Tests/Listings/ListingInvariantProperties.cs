using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;

namespace Marketplace.Domain.Tests.Listings;

/// <summary>
/// For any sequence of hold, release, confirm, lapse, quantity change and return of a cancelled order's sold quantity, the lot's listed, held, sold and available
/// quantities and its status equal those of a model the test keeps itself (its own account of every hold and of what
/// was sold), and none is negative. Since the model is written separately, an oversold or miscounted lot fails it.
/// </summary>
public class ListingInvariantProperties
{
    /// <summary>One step a buyer, the seller or the clock can take.</summary>
    public sealed record Step(int Kind, int Actor, int Amount, int Minutes, int HoldIndex);

    private static readonly string[] Actors = ["seller", "buyer-a", "buyer-b"];

    private static Arbitrary<Step[]> Steps() =>
        Gen.Choose(0, 6).SelectMany(kind =>
            Gen.Choose(0, 2).SelectMany(actor =>
                Gen.Choose(-5, 400).SelectMany(amount =>
                    Gen.Choose(1, 600).SelectMany(minutes =>
                        Gen.Choose(0, 30).Select(holdIndex => new Step(kind, actor, amount, minutes, holdIndex))))))
            .ArrayOf()
            .ToArbitrary();

    [Property(MaxTest = 300)]
    public Property AnyOperationSequence_MatchesTheModelsAccount()
        => Prop.ForAll(Steps(), steps =>
        {
            var now = ListingBuilder.Now;
            var lot = ListingBuilder.Active(1000);
            var model = new Model(1000, lot.Details!.Availability.To);
            var holdIds = new List<string>();
            foreach (var step in steps)
            {
                var actor = Actors[step.Actor];
                try
                {
                    switch (step.Kind)
                    {
                        case 0:
                        case 5:
                            var id = $"h{holdIds.Count}";
                            holdIds.Add(id);
                            // Kind 5 takes exactly what is left half the time, so lots sell out (and reopen on returns) often.
                            var quantity = step.Kind == 0 ? step.Amount : model.Available + (step.Amount % 2 == 0 ? 0 : step.Amount);
                            var until = now.AddMinutes(step.Minutes);
                            model.Hold(id, actor, quantity, until, now);
                            lot.PlaceHold(id, actor, quantity, until, now);
                            break;
                        case 1 when holdIds.Count > 0:
                            var released = holdIds[step.HoldIndex % holdIds.Count];
                            model.Release(released, actor);
                            lot.ReleaseHold(released, actor, now);
                            break;
                        case 2 when holdIds.Count > 0:
                            var confirmed = holdIds[step.HoldIndex % holdIds.Count];
                            model.Confirm(confirmed, actor);
                            lot.ConfirmHold(confirmed, actor, now);
                            break;
                        case 3:
                            now = now.AddMinutes(step.Minutes);
                            model.Lapse(now);
                            lot.ExpireIfDue(now);
                            break;
                        case 4:
                            model.ChangeQuantity(step.Amount * 5, now);
                            lot.Update(new ListingChanges { Quantity = step.Amount * 5 }, MaterialTaxonomy.Default, now);
                            break;
                        case 6 when holdIds.Count > 0:
                            // A cancelled order returns its confirmed hold's quantity (or, to probe the checks, any amount), once per order.
                            var ordered = holdIds[step.HoldIndex % holdIds.Count];
                            var returned = model.ConfirmedQuantity(ordered) ?? step.Amount;
                            model.Return($"order-{ordered}", returned);
                            lot.ReturnSold($"order-{ordered}", returned, now);
                            break;
                    }
                }
                catch (DomainException)
                {
                    // Refusals are expected; the lot must then agree with the model, which refused too.
                }

                var expected = (model.Listed, model.Held, model.Sold, model.Available, model.Status);
                var actual = (lot.ListedQuantity, lot.Held, lot.Sold, lot.Available, lot.Status);
                if (expected != actual || lot.Available < 0 || lot.Held < 0 || lot.Sold < 0)
                {
                    return false.Label($"after {step}: model (listed, held, sold, available, status) {expected}, lot {actual}");
                }
            }

            return true.ToProperty();
        });

    /// <summary>The rules of a lot as the test understands them, kept apart from <see cref="Listing"/>.</summary>
    private sealed class Model(decimal listed, DateOnly windowEnd)
    {
        private readonly Dictionary<string, (string Buyer, decimal Quantity, DateTimeOffset Until, bool Open)> _holds = [];

        private readonly HashSet<string> _confirmed = [];

        private readonly HashSet<string> _returned = [];

        public decimal Listed { get; private set; } = listed;

        public decimal Sold { get; private set; }

        public ListingStatus Status { get; private set; } = ListingStatus.Active;

        public decimal Held => _holds.Values.Where(h => h.Open).Sum(h => h.Quantity);

        public decimal Available => Listed - Held - Sold;

        /// <summary>A hold is taken when the lot is active, the buyer is not the seller and the quantity is free.</summary>
        public void Hold(string id, string buyer, decimal quantity, DateTimeOffset until, DateTimeOffset now)
        {
            if (quantity <= 0 || until <= now || until > now.AddDays(30))
            {
                return;
            }

            Lapse(now);
            if (Status == ListingStatus.Active && buyer != "seller" && quantity <= Available && _holds.Values.Count(h => h.Open) < Listing.MaxActiveHolds)
            {
                _holds[id] = (buyer, quantity, until, true);
            }
        }

        public void Release(string id, string actor)
        {
            if (_holds.TryGetValue(id, out var h) && h.Open && (actor == "seller" || actor == h.Buyer))
            {
                _holds[id] = h with { Open = false };
            }
        }

        public void Confirm(string id, string actor)
        {
            if (_holds.TryGetValue(id, out var h) && h.Open && actor == "seller")
            {
                _holds[id] = h with { Open = false };
                _confirmed.Add(id);
                Sold += h.Quantity;
                SettleSoldOut();
            }
        }

        public decimal? ConfirmedQuantity(string id) => _confirmed.Contains(id) ? _holds[id].Quantity : null;

        /// <summary>Sold quantity comes back once per order, never more than is sold; a sold-out lot with something available is active again.</summary>
        public void Return(string orderId, decimal quantity)
        {
            if (_returned.Contains(orderId) || quantity <= 0 || quantity > Sold)
            {
                return;
            }

            _returned.Add(orderId);
            Sold -= quantity;
            if (Status == ListingStatus.SoldOut && Available > 0)
            {
                Status = ListingStatus.Active;
            }
        }

        public void Lapse(DateTimeOffset now)
        {
            foreach (var (id, h) in _holds.Where(kv => kv.Value.Open && kv.Value.Until <= now).ToList())
            {
                _holds[id] = h with { Open = false };
            }

            if (Status == ListingStatus.Active && MarketClock.Today(now) > windowEnd)
            {
                foreach (var (id, h) in _holds.Where(kv => kv.Value.Open).ToList())
                {
                    _holds[id] = h with { Open = false };
                }

                Status = ListingStatus.Expired;
            }
        }

        public void ChangeQuantity(decimal quantity, DateTimeOffset now)
        {
            if (Status is ListingStatus.Withdrawn or ListingStatus.Expired || quantity <= 0 || quantity < Held + Sold
                || (Status == ListingStatus.Active && MarketClock.Today(now) > windowEnd))
            {
                return;
            }

            Listed = quantity;
            if (Status == ListingStatus.SoldOut && Available > 0)
            {
                Status = ListingStatus.Active;
            }

            SettleSoldOut();
        }

        private void SettleSoldOut()
        {
            if (Status == ListingStatus.Active && Sold >= Listed && Held == 0)
            {
                Status = ListingStatus.SoldOut;
            }
        }
    }
}
