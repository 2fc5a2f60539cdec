using Marketplace.Payments.Invoice;
using UglyToad.PdfPig;

namespace Marketplace.Payments.Tests.Invoice;

/// <summary>The invoice PDF read back with a PDF text extractor (PdfPig), as an accountant's tool would read it.</summary>
public class InvoicePdfTests
{
    private readonly InvoiceRenderer _renderer = new();

    [Fact]
    public void RenderPdf_Invoice_TextCarriesTotalReferencesAndPaymentDetails()
    {
        var text = ExtractText(_renderer.RenderPdf(Invoices.Bricks()));

        Assert.Contains("184,49 EUR", text); // total, and balance due with nothing paid
        Assert.Contains("12 34561", text); // the Finnish reference as banks print it
        Assert.Contains("RF34 1234 561", text); // its RF form
        Assert.Contains("2026-000042", text);
        Assert.Contains("29.11.2026", text);
        Assert.Contains("13.12.2026", text);
        Assert.Contains("Purkupiste Oy", text);
        Assert.Contains("1234567-1", text);
        Assert.Contains("FI21 1234 5600 0007 85", text);
        Assert.Contains("NDEAFIHH", text);
        Assert.Contains("Rakennus Virtanen Oy", text);
        Assert.Contains("Reclaimed red clay bricks, Kallio", text);
        Assert.Contains("147,00 EUR", text); // net total
        Assert.Contains("37,49 EUR", text); // VAT total
        Assert.Contains("25,5", text);
    }

    [Fact]
    public void RenderPdf_InvoiceInAnotherCurrency_DoesNotCallTheAmountEuros()
    {
        var euro = ExtractText(_renderer.RenderPdf(Invoices.Bricks()));
        var krona = ExtractText(_renderer.RenderPdf(Invoices.Bricks() with { Currency = "SEK" }));

        Assert.Contains("Euro / Amount", euro);
        Assert.DoesNotContain("Euro", krona);
        Assert.Contains("Määrä / Amount", krona);
        Assert.Contains("184,49 SEK", krona);
    }

    [Fact]
    public void RenderPdf_PartlyPaid_ShowsPaidAndBalanceDue()
    {
        var text = ExtractText(_renderer.RenderPdf(Invoices.Bricks(paidMinor: 5_000)));

        Assert.Contains("184,49 EUR", text);
        Assert.Contains("50,00 EUR", text);
        Assert.Contains("134,49 EUR", text);
    }

    [Fact]
    public void RenderPdf_ManyLines_FlowsOntoMorePagesWithoutLosingAny()
    {
        var invoice = Invoices.Bricks() with
        {
            Lines = Enumerable.Range(1, 120).Select(i => new InvoiceLine($"Lot number {i:000}", 1m, "pcs", 100, 25.5m, 100, 26)).ToList(),
        };

        var bytes = _renderer.RenderPdf(invoice);

        using var pdf = PdfDocument.Open(bytes);
        Assert.True(pdf.NumberOfPages > 1);
        var text = string.Join("\n", pdf.GetPages().Select(p => p.Text));
        Assert.All(Enumerable.Range(1, 120), i => Assert.Contains($"Lot number {i:000}", text));
        Assert.Contains("RF34 1234 561", text);
    }

    [Fact]
    public void RenderPdf_FontIsEmbedded_SoNoSystemFontIsNeeded()
    {
        using var pdf = PdfDocument.Open(_renderer.RenderPdf(Invoices.Bricks()));
        var letters = pdf.GetPage(1).Letters;
        Assert.NotEmpty(letters);
        // "ABCDEF+" marks a font subset embedded in the file (ISO 32000-1, 9.6.4).
        Assert.All(letters, l => Assert.Matches("^[A-Z]{6}\\+DejaVu Sans", l.FontName));
    }

    private static string ExtractText(byte[] pdfBytes)
    {
        Assert.True(pdfBytes.AsSpan(0, 5).SequenceEqual("%PDF-"u8));
        using var pdf = PdfDocument.Open(pdfBytes);
        // Words joined by single spaces, line by line: what a reader (or a search in a PDF viewer) sees.
        return string.Join("\n", pdf.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
    }
}
