using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Marketplace.Payments.Invoice;

/// <summary>
/// An invoice as an A4 PDF in Finnish and English: the seller and buyer, number and dates, the lines, VAT per rate,
/// totals and the balance due, and the payment details a bank transfer needs (IBAN, BIC, both forms of the reference).
/// </summary>
internal static class InvoicePdf
{
    private const double Margin = 50;
    private const double LineHeight = 13;
    private const double PageBottom = 842 - 60;

    // Columns of the lines table: description, quantity, unit price, VAT %, net, VAT (right edges for the numbers).
    private static readonly double[] RightEdges = [0, 285, 355, 400, 478, 545];

    public static byte[] Render(InvoiceDocument invoice)
    {
        InvoiceFonts.Install();
        using var document = new PdfDocument();
        document.Info.Title = invoice.Credits is null ? $"Lasku / Invoice {invoice.Number}" : $"Hyvityslasku / Credit note {invoice.Number}";
        document.Info.Author = invoice.Seller.Name;
        document.Info.Subject = $"Order {invoice.OrderId}";

        using (var writer = new PageWriter(document))
        {
            writer.Header(invoice);
            writer.Lines(invoice);
            writer.Totals(invoice);
            if (invoice.Credits is null && !invoice.Void)
            {
                writer.PaymentDetails(invoice);
            }
        }

        using var output = new MemoryStream();
        document.Save(output, closeStream: false);
        return output.ToArray();
    }

    private sealed class PageWriter : IDisposable
    {
        private static readonly XFont Title = new(InvoiceFonts.Family, 18, XFontStyleEx.Bold);
        private static readonly XFont Heading = new(InvoiceFonts.Family, 9, XFontStyleEx.Bold);
        private static readonly XFont Text = new(InvoiceFonts.Family, 9, XFontStyleEx.Regular);
        private static readonly XFont Small = new(InvoiceFonts.Family, 7.5, XFontStyleEx.Regular);
        private static readonly XFont Strong = new(InvoiceFonts.Family, 11, XFontStyleEx.Bold);

        private readonly PdfDocument _document;
        private XGraphics _graphics;
        private double _y;

        public PageWriter(PdfDocument document)
        {
            _document = document;
            _graphics = NewPage();
        }

        public void Dispose() => _graphics.Dispose();

        public void Header(InvoiceDocument invoice)
        {
            var credits = invoice.Credits;
            _graphics.DrawString(credits is null ? "LASKU / INVOICE" : "HYVITYSLASKU / CREDIT NOTE", Title, XBrushes.Black, Margin, _y, XStringFormats.TopLeft);
            _y += 32;

            var top = _y;
            Party("Myyjä / Seller", invoice.Seller, Margin);
            var sellerBottom = _y;

            _y = top;
            Stacked(credits is null ? "Laskun numero / Invoice number" : "Hyvityslaskun numero / Credit note number", invoice.Number);
            Stacked("Päiväys / Date", InvoiceFormat.Date(invoice.IssueDate));
            if (credits is null)
            {
                Stacked("Eräpäivä / Due date", InvoiceFormat.Date(invoice.DueDate));
            }
            else
            {
                Stacked("Hyvitettävä lasku / Credited invoice", $"{credits.Number} ({InvoiceFormat.Date(credits.IssueDate)})");
            }

            Stacked("Tilaus / Order", invoice.OrderId);
            Stacked("Viitenumero / Reference", ReferenceNumbers.Grouped(invoice.ReferenceNumber));
            Stacked("RF-viite / RF reference", ReferenceNumbers.Grouped(invoice.CreditorReference));
            _y = Math.Max(_y, sellerBottom) + LineHeight;

            Party("Ostaja / Buyer", invoice.Buyer, Margin);
            _y += LineHeight;
        }

        public void Lines(InvoiceDocument invoice)
        {
            string[] headings = ["Tuote / Item", "Määrä / Qty", "à-hinta / Unit", "ALV %", "Veroton / Net", "ALV / VAT"];
            Row(headings, Heading);
            Rule();
            foreach (var line in invoice.Lines)
            {
                Row([line.Description, $"{InvoiceFormat.Decimal(line.Quantity)} {line.Unit}", InvoiceFormat.Amount(line.UnitPriceMinor),
                    InvoiceFormat.Decimal(line.VatRatePercent), InvoiceFormat.Amount(line.NetMinor), InvoiceFormat.Amount(line.VatMinor)], Text);
            }

            Rule();
            _y += LineHeight / 2;
        }

        public void Totals(InvoiceDocument invoice)
        {
            Row(["ALV-erittely / VAT breakdown", "", "", "ALV %", "Veroton / Net", "ALV / VAT"], Heading);
            foreach (var vat in invoice.VatBreakdown)
            {
                Row(["", "", "", InvoiceFormat.Decimal(vat.RatePercent), InvoiceFormat.Amount(vat.NetMinor), InvoiceFormat.Amount(vat.VatMinor)], Text);
            }

            _y += LineHeight / 2;
            Total("Veroton yhteensä / Total excl. VAT", invoice.NetTotalMinor, invoice.Currency, Text);
            Total("ALV yhteensä / VAT total", invoice.VatTotalMinor, invoice.Currency, Text);
            Total(invoice.Credits is null ? "Yhteensä / Total" : "Hyvitys yhteensä / Total credited", invoice.GrossTotalMinor, invoice.Currency, Heading);
            if (invoice.Credits is { } credits)
            {
                _y += 4;
                if (credits.Reason is { Length: > 0 } reason)
                {
                    Note($"Syy / Reason: {reason}");
                }

                if (credits.RefundedMinor > 0)
                {
                    Total("Palautettu ostajalle / Refunded to the buyer", credits.RefundedMinor, invoice.Currency, Text);
                }

                Note(credits.RefundedMinor >= -invoice.GrossTotalMinor
                    ? "Ei maksettavaa: palautettu ostajalle. / Nothing to pay: refunded to the buyer."
                    : $"Ei maksettavaa: vähennetään laskusta {credits.Number}. / Nothing to pay: taken off invoice {credits.Number}.");
                return;
            }

            if (invoice.PaidMinor != 0)
            {
                Total("Maksettu / Paid", invoice.PaidMinor, invoice.Currency, Text);
            }

            if (invoice.RefundedMinor != 0)
            {
                Total("Palautettu / Refunded", invoice.RefundedMinor, invoice.Currency, Text);
            }

            if (invoice.CreditedMinor != 0)
            {
                Total("Hyvitetty / Credited", invoice.CreditedMinor, invoice.Currency, Text);
            }

            _y += 4;
            Total("Maksettava / Balance due", invoice.BalanceMinor, invoice.Currency, Strong);
            _y += LineHeight;
            if (invoice.CreditNoteNumber is { } note)
            {
                Note(invoice.Void
                    ? $"Mitätöity: hyvitetty kokonaan hyvityslaskulla {note}. / Void: credited in full by credit note {note}."
                    : $"Hyvitys hyvityslaskulla {note}. / Credit by credit note {note}.");
            }
        }

        public void PaymentDetails(InvoiceDocument invoice)
        {
            EnsureRoom(7 * LineHeight);
            Rule();
            _graphics.DrawString("Maksutiedot / Payment details", Heading, XBrushes.Black, Margin, _y, XStringFormats.TopLeft);
            _y += LineHeight + 2;
            Field("Saaja / Payee", invoice.Seller.Name, Margin);
            Field("Tilinumero / IBAN", invoice.SellerIban, Margin);
            if (invoice.SellerBic is { Length: > 0 } bic)
            {
                Field("BIC", bic, Margin);
            }

            Field("Viitenumero / Reference", ReferenceNumbers.Grouped(invoice.ReferenceNumber), Margin);
            Field("RF-viite / RF reference", ReferenceNumbers.Grouped(invoice.CreditorReference), Margin);
            Field("Eräpäivä / Due date", InvoiceFormat.Date(invoice.DueDate), Margin);
            // "Euro" is the bank giro's own label for a SEPA transfer; an invoice in another currency is not one.
            Field(invoice.Currency == "EUR" ? "Euro / Amount" : "Määrä / Amount", $"{InvoiceFormat.Amount(invoice.BalanceMinor)} {invoice.Currency}", Margin);
        }

        private void Party(string heading, InvoiceParty party, double x)
        {
            _graphics.DrawString(heading, Heading, XBrushes.Black, x, _y, XStringFormats.TopLeft);
            _y += LineHeight;
            string?[] lines = [party.Name, $"Y-tunnus / Business ID {party.BusinessId}", party.Address, party.Municipality, party.Email,
                party.EInvoiceAddress is { Length: > 0 } address ? $"Verkkolaskuosoite / E-invoice {address}{(party.EInvoiceOperator is { Length: > 0 } op ? $" ({op})" : "")}" : null];
            foreach (var line in lines.Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                _graphics.DrawString(line!, Text, XBrushes.Black, x, _y, XStringFormats.TopLeft);
                _y += LineHeight;
            }
        }

        private void Note(string text)
        {
            EnsureRoom(LineHeight);
            _graphics.DrawString(Fit(text, Text, RightEdges[^1] - Margin), Text, XBrushes.Black, Margin, _y, XStringFormats.TopLeft);
            _y += LineHeight;
        }

        private void Field(string label, string value, double x)
        {
            _graphics.DrawString(label, Text, XBrushes.DimGray, x, _y, XStringFormats.TopLeft);
            _graphics.DrawString(value, Heading, XBrushes.Black, x + 140, _y, XStringFormats.TopLeft);
            _y += LineHeight;
        }

        // The details column beside the seller: each label above its value, so long labels never run into values.
        private void Stacked(string label, string value)
        {
            const double x = 340;
            _graphics.DrawString(label, Small, XBrushes.DimGray, x, _y, XStringFormats.TopLeft);
            _graphics.DrawString(value, Heading, XBrushes.Black, x, _y + 9, XStringFormats.TopLeft);
            _y += LineHeight + 9;
        }

        private void Row(string[] cells, XFont font)
        {
            EnsureRoom(LineHeight);
            _graphics.DrawString(Fit(cells[0], font, RightEdges[1] - 60 - Margin), font, XBrushes.Black, Margin, _y, XStringFormats.TopLeft);
            for (var i = 1; i < cells.Length; i++)
            {
                _graphics.DrawString(cells[i], font, XBrushes.Black, RightEdges[i], _y, XStringFormats.TopRight);
            }

            _y += LineHeight;
        }

        private void Total(string label, long minor, string currency, XFont font)
        {
            EnsureRoom(LineHeight + 4);
            _graphics.DrawString(label, font, XBrushes.Black, 300, _y, XStringFormats.TopLeft);
            _graphics.DrawString($"{InvoiceFormat.Amount(minor)} {currency}", font, XBrushes.Black, RightEdges[^1], _y, XStringFormats.TopRight);
            _y += font.Size + 4;
        }

        private void Rule()
        {
            _graphics.DrawLine(XPens.Gray, Margin, _y + 1, RightEdges[^1], _y + 1);
            _y += 4;
        }

        // Long descriptions are cut with an ellipsis rather than running into the numbers.
        private string Fit(string text, XFont font, double width)
        {
            if (_graphics.MeasureString(text, font).Width <= width)
            {
                return text;
            }

            var cut = text;
            while (cut.Length > 1 && _graphics.MeasureString(cut + "…", font).Width > width)
            {
                cut = cut[..^1];
            }

            return cut + "…";
        }

        private void EnsureRoom(double height)
        {
            if (_y + height > PageBottom)
            {
                _graphics.Dispose();
                _graphics = NewPage();
            }
        }

        private XGraphics NewPage()
        {
            var page = _document.AddPage();
            page.Size = PdfSharp.PageSize.A4;
            _y = Margin;
            return XGraphics.FromPdfPage(page);
        }
    }
}
