using System.Globalization;
using Marketplace.Domain.Orders;
using Marketplace.Payments.Invoice;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Marketplace.Host.Api.TransferDocuments;

/// <summary>
/// A transfer document as an A4 PDF in Finnish and English, with the invoice's embedded font (<see cref="InvoiceFonts"/>):
/// every field the Waste Act asks for, and the two signatures (who and when) or a line saying one is missing.
/// </summary>
internal static class TransferDocumentPdf
{
    private const double Margin = 50;
    private const double LineHeight = 13;
    private const double ValueColumn = 215;

    private static readonly XFont Title = new(InvoiceFonts.Family, 16, XFontStyleEx.Bold);
    private static readonly XFont Heading = new(InvoiceFonts.Family, 9.5, XFontStyleEx.Bold);
    private static readonly XFont Text = new(InvoiceFonts.Family, 9, XFontStyleEx.Regular);
    private static readonly XFont Small = new(InvoiceFonts.Family, 7.5, XFontStyleEx.Regular);

    public static byte[] Render(TransferDocument d)
    {
        InvoiceFonts.Install();
        using var document = new PdfDocument();
        document.Info.Title = $"Siirtoasiakirja / Waste transfer document {d.Id}";
        document.Info.Author = d.Holder.Name;
        document.Info.Subject = $"Order {d.OrderId}";
        var page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        using (var g = XGraphics.FromPdfPage(page))
        {
            var y = Margin;
            g.DrawString("SIIRTOASIAKIRJA / WASTE TRANSFER DOCUMENT", Title, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
            y += 24;
            g.DrawString("Jätelaki 646/2011 121 § ja valtioneuvoston asetus jätteistä 978/2021 / Finnish Waste Act 646/2011 §121, Decree 978/2021", Small,
                XBrushes.DimGray, Margin, y, XStringFormats.TopLeft);
            y += LineHeight * 1.5;

            void Section(string heading)
            {
                y += 4;
                g.DrawString(heading, Heading, XBrushes.Black, Margin, y, XStringFormats.TopLeft);
                y += LineHeight + 2;
            }

            void Field(string label, string? value)
            {
                g.DrawString(label, Text, XBrushes.DimGray, Margin, y, XStringFormats.TopLeft);
                g.DrawString(string.IsNullOrWhiteSpace(value) ? "–" : value, Text, XBrushes.Black, ValueColumn, y, XStringFormats.TopLeft);
                y += LineHeight;
            }

            Field("Asiakirja / Document", d.Id);
            Field("Tilaus / Order", d.OrderId);
            Field("Tila / Status", d.IsSigned ? "allekirjoitettu / signed" : "odottaa allekirjoituksia / awaiting signatures");

            Section("Jätteen haltija / Waste holder");
            Field("Nimi / Name", d.Holder.Name);
            Field("Y-tunnus / Business ID", d.Holder.BusinessId);
            Field("Yhteyshenkilö / Contact", string.Join(", ", new[] { d.HolderContact?.Person, d.HolderContact?.Email, d.HolderContact?.Phone }.Where(s => !string.IsNullOrWhiteSpace(s))));

            Section("Jäte / Waste");
            Field("Kuvaus / Description", d.Waste.Description);
            Field("Jäteluokka / List of Waste code", d.Waste.WasteCode + (d.Waste.Hazardous ? " (vaarallinen jäte / hazardous)" : ""));
            Field("Luokka / Category", d.Waste.Category);
            Field("Määrä / Quantity", $"{InvoiceFormat.Decimal(d.Waste.Quantity)} {d.Waste.Unit}");
            Field("Paino / Mass", d.Waste.MassKg is { } kg ? $"{InvoiceFormat.Decimal(kg)} kg" : null);

            Section("Lähtöpaikka / Origin site");
            Field("Osoite / Address", string.Join(", ", new[] { d.Origin.Address, d.Origin.Municipality }.Where(s => !string.IsNullOrWhiteSpace(s))));
            Field("Sijainti / Position", string.Create(CultureInfo.InvariantCulture, $"{d.Origin.Latitude:0.#####} N, {d.Origin.Longitude:0.#####} E"));

            Section("Kuljettaja / Transporter");
            Field("Nimi / Name", d.Transporter.Name);
            Field("Y-tunnus / Business ID", d.Transporter.BusinessId);

            Section("Vastaanottaja / Receiver");
            Field("Nimi / Name", d.Receiver.Name);
            Field("Y-tunnus / Business ID", d.Receiver.BusinessId);
            Field("Määränpää / Destination", string.Join(", ", new[] { d.Destination.Address, d.Destination.PostalCode, d.Destination.Municipality }.Where(s => !string.IsNullOrWhiteSpace(s))));

            Section("Luovutus / Handover");
            Field("Luovutuspäivä / Handover date", InvoiceFormat.Date(d.HandoverDate));

            Section("Allekirjoitukset / Signatures");
            Field("Haltija / Holder", Signature(d.HolderSignature));
            Field("Vastaanottaja / Receiver", Signature(d.ReceiverSignature));
        }

        using var output = new MemoryStream();
        document.Save(output, closeStream: false);
        return output.ToArray();
    }

    private static string Signature(TransferSignature? s)
        => s is null ? "ei allekirjoitettu / not signed" : $"{s.SignedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC ({s.Subject})";
}
