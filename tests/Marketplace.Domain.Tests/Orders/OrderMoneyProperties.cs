using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Tests.Listings;
using static Marketplace.Domain.Tests.Orders.OrderBuilder;

namespace Marketplace.Domain.Tests.Orders;

/// <summary>
/// Money adds up for any prices, quantities, distances and terms: per order and summed over many orders, the buyer pays
/// what the seller receives plus the platform fee (the seller's share carrying the VAT), each line's VAT is the test's
/// own rounding of net × rate, refunds never exceed what was paid and invoice payments never exceed the total, whatever
/// sequence of payments, disputes and refunds is tried.
/// </summary>
public class OrderMoneyProperties
{
    /// <summary>One order: price, quantity in thousandths, delivery distance, terms, and money steps to try on it.</summary>
    public sealed record Case(long PriceMinor, int QuantityMilli, bool Delivery, bool Card, int LatOffsetMilli, int VatTenths, int FeeTenths, long FeeMinimum,
        long[] Payments, long[] Refunds);

    private static Arbitrary<Case[]> Cases() =>
        (from price in Gen.Choose(0, 2_000_000).Select(p => (long)p)
         from qty in Gen.Choose(1, 5_000_000)
         from delivery in Gen.Elements(true, false)
         from card in Gen.Elements(true, false)
         from lat in Gen.Choose(0, 900)
         from vat in Gen.Choose(0, 300)
         from fee in Gen.Choose(0, 250)
         from min in Gen.Choose(0, 5000).Select(m => (long)m)
         from payments in Gen.Choose(-1000, 2_000_000).Select(p => (long)p).ArrayOf()
         from refunds in Gen.Choose(-1000, 3_000_000).Select(r => (long)r).ArrayOf()
         select new Case(price, qty, delivery, card, lat, vat, fee, min, payments, refunds))
        .ArrayOf()
        .ToArbitrary();

    [Property(MaxTest = 200)]
    public Property BuyerPaysSellerPlusFee_RefundsAndPaymentsStayWithinWhatWasPaid()
        => Prop.ForAll(Cases(), cases =>
        {
            long buyers = 0, sellers = 0, fees = 0, vat = 0;
            foreach (var c in cases)
            {
                var quantity = c.QuantityMilli / 1000m;
                var terms = OrderTerms.Default with { VatRatePercent = c.VatTenths / 10m, PlatformFeePercent = c.FeeTenths / 10m, PlatformFeeMinimumMinor = c.FeeMinimum };
                var lot = Listing.Create("lot-1", "seller", ListingBuilder.Bricks(10_000) with { Delivery = true, UnitPrice = Money.Eur(c.PriceMinor) },
                    MaterialTaxonomy.Default, ListingBuilder.Now);
                lot.Publish(ListingBuilder.Now);
                lot.PlaceHold("hold-1", "buyer", Math.Min(quantity, 10_000), ListingBuilder.Now.AddDays(1), ListingBuilder.Now);
                var address = Espoo with { Latitude = 60.17 + (c.LatOffsetMilli / 1000.0) };
                var order = Order.Place("order-1", Buyer, new Checkout("lot-1", "hold-1", c.Delivery ? "delivery" : "pickup", address, c.Card ? "card" : "invoice",
                    new InvoicingDetails(null, null, null, "ap@rakennus.example")), lot, BuyerFirm(), "1", terms, ListingBuilder.Now);
                var t = order.Totals!;

                // The test's own account of the lines: net per line, VAT rounded half away from zero.
                long Vat(long net) => (long)Math.Round(net * terms.VatRatePercent / 100m, MidpointRounding.AwayFromZero);
                var goods = (long)Math.Round(c.PriceMinor * order.Quantity, MidpointRounding.AwayFromZero);
                goods = goods == 0 && c.PriceMinor > 0 ? 1 : goods; // a priced lot is never given away by rounding
                var delivery = c.Delivery ? Math.Max(1, (long)Math.Ceiling(order.DistanceKm)) * terms.DeliveryRateMinorPerKm : 0;
                var expectedFee = Math.Min(goods + delivery, Math.Max(c.FeeMinimum, (long)Math.Round((goods + delivery) * terms.PlatformFeePercent / 100m, MidpointRounding.AwayFromZero)));
                var expected = (goods, delivery, Vat: Vat(goods) + Vat(delivery), Gross: goods + delivery + Vat(goods) + Vat(delivery), Fee: expectedFee);
                var actual = (t.GoodsMinor, t.DeliveryMinor, Vat: t.VatMinor, Gross: t.GrossMinor, Fee: t.PlatformFeeMinor);
                if (expected != actual || t.GrossMinor != t.SellerReceivesMinor + t.PlatformFeeMinor || t.PlatformFeeMinor < 0
                    || t.GrossMinor != order.Lines.Sum(l => l.NetMinor + l.VatMinor))
                {
                    return false.Label($"{c}: expected {expected}, got {actual}, seller {t.SellerReceivesMinor}");
                }

                buyers += t.GrossMinor;
                sellers += t.SellerReceivesMinor;
                fees += t.PlatformFeeMinor;
                vat += t.VatMinor;

                var now = ListingBuilder.Now.AddMinutes(1);
                order.Authorized(new PaymentChange(c.Card ? "pi" : null, c.Card ? "requires_capture" : "pending"), now);
                order.Accept(Seller, c.Card ? new PaymentChange("pi", "succeeded") : null, c.Card ? null : new InvoiceIssue("1", "10003", "RF4810003"), now);
                foreach (var p in c.Payments)
                {
                    Try(() => order.RecordInvoicePayment(Seller, p, null, null, now));
                    if (order.PaidMinor > t.GrossMinor)
                    {
                        return false.Label($"{c}: paid {order.PaidMinor} above the total {t.GrossMinor}");
                    }
                }

                order.HandOver(Buyer, null, now);
                foreach (var r in c.Refunds)
                {
                    if (order.Status == OrderStatus.HandedOver)
                    {
                        order.Dispute(Buyer, "not as described", now);
                    }

                    if (order.Status == OrderStatus.Disputed)
                    {
                        Try(() => order.Resolve(Admin, new Resolution("refund", r, null), new RefundChange(null, r, "succeeded"), null, now));
                    }

                    if (order.RefundedMinor > order.PaidMinor || order.RefundedMinor < 0)
                    {
                        return false.Label($"{c}: refunded {order.RefundedMinor} of {order.PaidMinor} paid");
                    }

                    if (order.CreditedMinor < 0 || (c.Card && order.CreditedMinor != 0) || order.PaidMinor + order.CreditedMinor > t.GrossMinor)
                    {
                        return false.Label($"{c}: credited {order.CreditedMinor} with {order.PaidMinor} paid of {t.GrossMinor}");
                    }
                }
            }

            return (buyers == sellers + fees && vat <= buyers).Label($"summed: buyers {buyers}, sellers {sellers}, fees {fees}");
        });

    private static void Try(Action step)
    {
        try
        {
            step();
        }
        catch (DomainException)
        {
            // Refusals are part of the property: the amounts must hold either way.
        }
    }
}
