using Marketplace.Payments.Invoice;

namespace Marketplace.Payments.Tests.Invoice;

/// <summary>Invoices for the renderer tests, with totals worked out by hand in the comments.</summary>
internal static class Invoices
{
    public static readonly InvoiceParty Seller = new("Purkupiste Oy", "1234567-1", "Teollisuuskatu 5", "00510 Helsinki", "laskut@purkupiste.example",
        "003712345671", "003721291126");

    public static readonly InvoiceParty Buyer = new("Rakennus Virtanen Oy", "7654321-0", "Rantatie 2", "Vantaa", "ostot@virtanen.example", null, null);

    /// <summary>
    /// 120 bricks at 0,85 € = 102,00 € and delivery 45,00 €, both at 25,5 %: net 147,00, VAT 37,49 (26,01 + 11,48),
    /// total 184,49; 50,00 already paid, so 134,49 is due.
    /// </summary>
    public static InvoiceDocument Bricks(long paidMinor = 0) => new(
        Number: "2026-000042",
        OrderId: "ord-7f3a",
        IssueDate: new DateOnly(2026, 11, 29),
        DueDate: new DateOnly(2026, 12, 13),
        ReferenceNumber: "1234561",
        CreditorReference: "RF341234561",
        Seller: Seller,
        SellerIban: "FI21 1234 5600 0007 85",
        SellerBic: "NDEAFIHH",
        Buyer: Buyer,
        Lines:
        [
            new InvoiceLine("Reclaimed red clay bricks, Kallio", 120m, "pcs", 85, 25.5m, 10_200, 2_601),
            new InvoiceLine("Delivery 12 km", 1m, "pcs", 4_500, 25.5m, 4_500, 1_148),
        ],
        VatBreakdown: [new VatBreakdownRow(25.5m, 14_700, 3_749)],
        NetTotalMinor: 14_700,
        VatTotalMinor: 3_749,
        GrossTotalMinor: 18_449,
        Currency: "EUR",
        PaidMinor: paidMinor,
        CreditedMinor: 0);
}
