using Marketplace.Domain.Common;

namespace Marketplace.Domain.Orders;

/// <summary>
/// The one place an order's money is computed, in integer minor units: lines (goods, delivery), VAT per line rounded
/// half away from zero, the platform fee (a percentage of the net total with a minimum, never above the net total) and
/// what the seller receives. Buyer pays = seller receives + platform fee, the seller's share including the VAT it remits.
/// </summary>
public static class OrderPricing
{
    /// <summary>Largest order total the marketplace takes, minor units (ten billion euros): far inside a long after VAT.</summary>
    public const long MaxNetMinor = 1_000_000_000_000;

    /// <summary>The lines and totals of an order for <paramref name="quantity"/> of a lot.</summary>
    public static (IReadOnlyList<OrderLine> Lines, OrderTotals Totals) Price(OrderLot lot, decimal quantity, Fulfilment fulfilment, decimal distanceKm, OrderTerms terms)
    {
        var goodsNet = GoodsNet(lot.UnitPrice.MinorUnits, quantity);
        var lines = new List<OrderLine>
        {
            new("goods", lot.Title, quantity, lot.Unit, lot.UnitPrice.MinorUnits, goodsNet, terms.VatRatePercent, Vat(goodsNet, terms.VatRatePercent)),
        };
        if (fulfilment == Fulfilment.Delivery)
        {
            var km = DeliveryKilometres(distanceKm);
            var net = km * terms.DeliveryRateMinorPerKm;
            lines.Add(new OrderLine("delivery", $"Delivery {km} km", km, "km", terms.DeliveryRateMinorPerKm, net, terms.VatRatePercent, Vat(net, terms.VatRatePercent)));
        }

        return (lines, Totals(lot.UnitPrice.Currency, lines, terms));
    }

    /// <summary>Totals of priced lines.</summary>
    public static OrderTotals Totals(string currency, IReadOnlyList<OrderLine> lines, OrderTerms terms)
    {
        var goods = lines.Where(l => l.Kind == "goods").Sum(l => l.NetMinor);
        var delivery = lines.Where(l => l.Kind == "delivery").Sum(l => l.NetMinor);
        var net = goods + delivery;
        var vat = lines.Sum(l => l.VatMinor);
        var gross = net + vat;
        var fee = Fee(net, terms.PlatformFeePercent, terms.PlatformFeeMinimumMinor);
        return new OrderTotals(currency, goods, delivery, net, vat, gross, fee, gross - fee);
    }

    /// <summary>
    /// The goods' net price: unit price × quantity rounded half away from zero, but at least one minor unit for a priced
    /// lot, so that a small part of a cheap lot (1 cent a tonne, 0.4 t) is never given away by the rounding.
    /// </summary>
    public static long GoodsNet(long unitPriceMinor, decimal quantity)
    {
        var net = (long)Math.Round(unitPriceMinor * quantity, MidpointRounding.AwayFromZero);
        return net == 0 && unitPriceMinor > 0 && quantity > 0 ? 1 : net;
    }

    /// <summary>VAT of a net amount at a rate in percent, rounded half away from zero.</summary>
    public static long Vat(long netMinor, decimal ratePercent) => (long)Math.Round(netMinor * ratePercent / 100m, MidpointRounding.AwayFromZero);

    /// <summary>The platform fee: the percentage of the net total, at least the minimum, never more than the net total.</summary>
    public static long Fee(long netMinor, decimal percent, long minimumMinor)
        => Math.Min(netMinor, Math.Max(minimumMinor, (long)Math.Round(netMinor * percent / 100m, MidpointRounding.AwayFromZero)));

    /// <summary>Delivery is charged per started kilometre, at least one.</summary>
    public static long DeliveryKilometres(decimal distanceKm) => Math.Max(1, (long)Math.Ceiling(distanceKm));

    /// <summary>True when an order of <paramref name="quantity"/> at <paramref name="unitPrice"/> stays within <see cref="MaxNetMinor"/>.</summary>
    public static bool IsWithinLimit(Money unitPrice, decimal quantity) => unitPrice.MinorUnits * quantity <= MaxNetMinor;
}
