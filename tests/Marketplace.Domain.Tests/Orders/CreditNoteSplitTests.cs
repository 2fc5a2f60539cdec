using Marketplace.Domain.Orders;

namespace Marketplace.Domain.Tests.Orders;

/// <summary>How a credit note splits its amount over the invoice's VAT rates.</summary>
public class CreditNoteSplitTests
{
    /// <summary>
    /// The whole invoice credited takes back exactly its net and VAT per rate, though the invoice rounds VAT per line
    /// (probe 23: net 24289 / VAT 6193 came back as 24288 / 6194); a part sums to itself exactly.
    /// </summary>
    [Fact]
    public void TheWholeInvoice_IsCreditedWithItsOwnFigures_AndAPartSumsToItself()
    {
        var random = new Random(20261202);
        for (var i = 0; i < 2_000; i++)
        {
            var lines = Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
            {
                var rate = random.Next(3) switch { 0 => 25.5m, 1 => 14m, _ => 10m };
                var net = (long)random.Next(1, 5_000_000);
                return new OrderLine("goods", "Lot", 1, "pcs", net, net, rate, (long)Math.Round(net * rate / 100m, MidpointRounding.AwayFromZero));
            }).ToArray();
            var gross = lines.Sum(l => l.NetMinor + l.VatMinor);

            var whole = OrderCreditNote.Split(gross, lines);
            var expected = lines.GroupBy(l => l.VatRatePercent).OrderBy(g => g.Key)
                .Select(g => new CreditedVat(g.Key, g.Sum(l => l.NetMinor), g.Sum(l => l.VatMinor))).ToArray();
            Assert.Equal(expected, whole);

            var part = random.NextInt64(1, gross);
            Assert.Equal(part, OrderCreditNote.Split(part, lines).Sum(v => v.NetMinor + v.VatMinor));
        }
    }
}
