namespace Marketplace.Payments.Invoice;

/// <summary>Renders invoices as an A4 PDF (PDFsharp, embedded font) and as a Finvoice 3.0 e-invoice.</summary>
public sealed class InvoiceRenderer : IInvoiceRenderer
{
    /// <inheritdoc />
    public byte[] RenderPdf(InvoiceDocument invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        return InvoicePdf.Render(invoice);
    }

    /// <inheritdoc />
    public byte[] RenderFinvoice(InvoiceDocument invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        return FinvoiceWriter.Render(invoice);
    }
}
