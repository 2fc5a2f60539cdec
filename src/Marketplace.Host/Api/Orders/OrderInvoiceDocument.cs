using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;
using Marketplace.Payments.Invoice;

namespace Marketplace.Host.Api.Orders;

/// <summary>What an accepted invoice order's invoice shows, for the renderers.</summary>
public static class OrderInvoiceDocument
{
    /// <summary>
    /// The invoice of <paramref name="order"/>: the parties and the seller's account as they were when it was issued
    /// (from the firms' records now for an invoice issued before they were kept), the order's lines and VAT per rate.
    /// </summary>
    public static InvoiceDocument For(Order order, Trader? seller, Trader? buyer)
    {
        var invoice = order.Invoice ?? throw new InvalidOperationException($"Order {order.Id} has no invoice.");
        var parties = invoice.Parties ?? InvoicedParties.Of(order, seller!, buyer!);
        var lines = order.Lines.Select(l => new InvoiceLine(l.Description, l.Quantity, l.Unit, l.UnitPriceMinor, l.VatRatePercent, l.NetMinor, l.VatMinor)).ToArray();
        var vat = order.Lines.GroupBy(l => l.VatRatePercent).OrderBy(g => g.Key)
            .Select(g => new VatBreakdownRow(g.Key, g.Sum(l => l.NetMinor), g.Sum(l => l.VatMinor))).ToArray();
        var totals = order.Totals!;
        return new InvoiceDocument(
            invoice.Number, order.Id, invoice.IssueDate, invoice.DueDate, invoice.ReferenceNumber, invoice.CreditorReference,
            Party(parties.Seller), parties.SellerIban, parties.SellerBic, Party(parties.Buyer),
            lines, vat, totals.NetMinor, totals.VatMinor, totals.GrossMinor, totals.Currency, invoice.PaidMinor,
            // What was taken off what the invoice still asked: the credit note's amount less its refunded part (a dispute's
            // credit, as the order's creditedMinor says; for a cancellation the unpaid rest), the refund shown apart.
            invoice.CreditNote is { } credited ? credited.GrossMinor - credited.RefundedMinor : order.CreditedMinor)
        {
            CreditNoteNumber = invoice.CreditNote?.Number,
            RefundedMinor = order.RefundedMinor,
            Void = order.Status is OrderStatus.Cancelled or OrderStatus.Refunded,
        };
    }

    /// <summary>
    /// The credit note of <paramref name="order"/>'s invoice: the same parties and references, one line per VAT rate
    /// taking its share of the credit off (negative amounts), and no payment asked.
    /// </summary>
    public static InvoiceDocument CreditNoteFor(Order order, Trader? seller, Trader? buyer)
    {
        var invoice = order.Invoice ?? throw new InvalidOperationException($"Order {order.Id} has no invoice.");
        var note = invoice.CreditNote ?? throw new InvalidOperationException($"Order {order.Id} has no credit note.");
        var parties = invoice.Parties ?? InvoicedParties.Of(order, seller!, buyer!);
        var description = $"Hyvitys / Credit {invoice.Number}";
        var lines = note.Vat.Select(v => new InvoiceLine(description, 1, "", -v.NetMinor, v.RatePercent, -v.NetMinor, -v.VatMinor)).ToArray();
        var vat = note.Vat.Select(v => new VatBreakdownRow(v.RatePercent, -v.NetMinor, -v.VatMinor)).ToArray();
        return new InvoiceDocument(
            note.Number, order.Id, note.IssueDate, note.IssueDate, invoice.ReferenceNumber, invoice.CreditorReference,
            Party(parties.Seller), parties.SellerIban, parties.SellerBic, Party(parties.Buyer),
            lines, vat, -note.Vat.Sum(v => v.NetMinor), -note.Vat.Sum(v => v.VatMinor), -note.GrossMinor, order.Totals!.Currency, 0, 0)
        {
            Credits = new CreditedInvoice(invoice.Number, invoice.IssueDate, note.Reason, note.RefundedMinor),
            RefundedMinor = note.RefundedMinor,
        };
    }

    private static InvoiceParty Party(InvoicedParty p) => new(p.Name, p.BusinessId, p.Address, p.Town, p.Email, p.EInvoiceAddress, p.EInvoiceOperator);
}
