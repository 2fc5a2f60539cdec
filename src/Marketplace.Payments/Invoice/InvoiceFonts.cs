using System.Reflection;
using PdfSharp.Fonts;

namespace Marketplace.Payments.Invoice;

/// <summary>
/// The invoice PDF's font: DejaVu Sans, embedded in this assembly (licence in <c>Invoice/Fonts/LICENSE</c>). PDFsharp
/// on Linux finds no system fonts by itself, and a fresh CI machine may have none, so every family resolves here.
/// </summary>
public sealed class InvoiceFonts : IFontResolver
{
    /// <summary>The family name the renderer asks for.</summary>
    public const string Family = "Invoice Sans";

    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private static readonly Lock Gate = new();
    private static readonly InvoiceFonts Instance = new();

    private InvoiceFonts()
    {
    }

    /// <summary>
    /// Makes this the process's font resolver. PDFsharp keeps one per process and accepts a second setting only with the
    /// same instance, hence one shared instance.
    /// </summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (!ReferenceEquals(GlobalFontSettings.FontResolver, Instance))
            {
                GlobalFontSettings.FontResolver = Instance;
            }
        }
    }

    /// <inheritdoc />
    public FontResolverInfo ResolveTypeface(string familyName, bool isBold, bool isItalic)
        => new(isBold ? Bold : Regular, mustSimulateBold: false, mustSimulateItalic: isItalic);

    /// <inheritdoc />
    public byte[] GetFont(string faceName)
    {
        var name = $"Marketplace.Payments.Invoice.Fonts.{(faceName == Bold ? Bold : Regular)}.ttf";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"The embedded font '{name}' is missing from the payments assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
