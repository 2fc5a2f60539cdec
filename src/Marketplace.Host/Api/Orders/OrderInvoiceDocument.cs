using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;
using Marketplace.Payments.Invoice;

namespace Marketplace.Host.Api.Orders;

/// <summary>What an accepted invoice order's invoice shows, for the renderers.</summary>
public static class OrderInvoiceDocument
{
    /// <summary>The invoice of <paramref name="order"/>: the seller (paid into its IBAN), the buyer as invoiced at checkout, the order's lines and VAT per rate.</summary>
    public static InvoiceDocument For(Order order, Trader seller, Trader buyer)
    {
        var invoice = order.Invoice ?? throw new InvalidOperationException($"Order {order.Id} has no invoice.");
        var sellerProfile = seller.Profile!;
        var sellerBilling = sellerProfile.Billing;
        var buyerProfile = buyer.Profile!;
        var buyerBilling = buyerProfile.Billing;
        var invoicing = order.Invoicing;
        var lines = order.Lines.Select(l => new InvoiceLine(l.Description, l.Quantity, l.Unit, l.UnitPriceMinor, l.VatRatePercent, l.NetMinor, l.VatMinor)).ToArray();
        var vat = order.Lines.GroupBy(l => l.VatRatePercent).OrderBy(g => g.Key)
            .Select(g => new VatBreakdownRow(g.Key, g.Sum(l => l.NetMinor), g.Sum(l => l.VatMinor))).ToArray();
        var totals = order.Totals!;
        // Street and town from one source: the buyer's billing address, else the order's site address, else the firm's town
        // (the site's street beside the firm's town named a place that is neither).
        var (buyerStreet, buyerTown) = buyerBilling?.Address is { Length: > 0 } billed
            ? (billed, buyerBilling.PostOffice ?? buyerProfile.Municipality)
            : order.Address?.Address is { Length: > 0 } site
                ? (site, string.Join(' ', new[] { order.Address.PostalCode, order.Address.Municipality }.Where(p => !string.IsNullOrWhiteSpace(p))) is { Length: > 0 } town ? town : null)
                : (null, buyerProfile.Municipality);
        return new InvoiceDocument(
            invoice.Number, order.Id, invoice.IssueDate, invoice.DueDate, invoice.ReferenceNumber, invoice.CreditorReference,
            new InvoiceParty(sellerProfile.Name, sellerProfile.BusinessId, sellerBilling?.Address, sellerBilling?.PostOffice ?? sellerProfile.Municipality,
                sellerBilling?.InvoiceEmail ?? sellerProfile.Contact?.Email, sellerBilling?.EInvoiceAddress, sellerBilling?.EInvoiceOperator),
            sellerBilling?.Iban ?? "", sellerBilling?.Bic,
            new InvoiceParty(buyerProfile.Name, invoicing?.BusinessId ?? buyerProfile.BusinessId, buyerStreet, buyerTown,
                invoicing?.Email, invoicing?.EInvoiceAddress, invoicing?.EInvoiceOperator),
            lines, vat, totals.NetMinor, totals.VatMinor, totals.GrossMinor, totals.Currency, invoice.PaidMinor, order.CreditedMinor);
    }
}
