using System.Text;
using System.Xml.Linq;
using Marketplace.Payments.Invoice;

namespace Marketplace.Payments.Tests.Invoice;

/// <summary>The Finvoice 3.0 e-invoice parsed back: the values a bank or e-invoice operator reads, where it reads them.</summary>
public class FinvoiceTests
{
    private readonly InvoiceRenderer _renderer = new();

    [Fact]
    public void RenderFinvoice_Invoice_IsFinvoice30WithTheInvoicesIdentity()
    {
        var (root, bytes) = Render(Invoices.Bricks());

        Assert.Equal("Finvoice", root.Name.LocalName);
        Assert.Equal("3.0", (string?)root.Attribute("Version"));
        Assert.False(bytes.AsSpan(0, 3).SequenceEqual(new byte[] { 0xEF, 0xBB, 0xBF }), "no byte-order mark");
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", Encoding.UTF8.GetString(bytes), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["MessageTransmissionDetails", "SellerPartyDetails", "SellerOrganisationUnitNumber", "SellerInformationDetails", "BuyerPartyDetails",
            "BuyerOrganisationUnitNumber", "BuyerCommunicationDetails", "InvoiceDetails", "PaymentStatusDetails", "InvoiceRow", "InvoiceRow", "EpiDetails"],
            root.Elements().Select(e => e.Name.LocalName));

        var details = root.Element("InvoiceDetails")!;
        Assert.Equal("INV01", Value(details, "InvoiceTypeCode"));
        Assert.Equal("2026-000042", Value(details, "InvoiceNumber"));
        Assert.Equal("ord-7f3a", Value(details, "OrderIdentifier"));
        AssertDate("20261129", details.Element("InvoiceDate"));
        AssertDate("20261213", details.Element("PaymentTermsDetails")!.Element("InvoiceDueDate"));
    }

    [Fact]
    public void RenderFinvoice_Invoice_CarriesTotalsAndVatWithDecimalCommas()
    {
        var (root, _) = Render(Invoices.Bricks());

        var details = root.Element("InvoiceDetails")!;
        AssertAmount("147,00", details.Element("InvoiceTotalVatExcludedAmount"));
        AssertAmount("37,49", details.Element("InvoiceTotalVatAmount"));
        AssertAmount("184,49", details.Element("InvoiceTotalVatIncludedAmount"));
        var vat = Assert.Single(details.Elements("VatSpecificationDetails"));
        AssertAmount("147,00", vat.Element("VatBaseAmount"));
        Assert.Equal("25,5", Value(vat, "VatRatePercent"));
        AssertAmount("37,49", vat.Element("VatRateAmount"));

        var rows = root.Elements("InvoiceRow").ToList();
        Assert.Equal("Reclaimed red clay bricks, Kallio", Value(rows[0], "ArticleName"));
        Assert.Equal("120", Value(rows[0], "DeliveredQuantity"));
        Assert.Equal("pcs", (string?)rows[0].Element("DeliveredQuantity")!.Attribute("QuantityUnitCode"));
        AssertAmount("0,85", rows[0].Element("UnitPriceAmount"));
        AssertAmount("102,00", rows[0].Element("RowVatExcludedAmount"));
        AssertAmount("26,01", rows[0].Element("RowVatAmount"));
        AssertAmount("128,01", rows[0].Element("RowAmount"));
        AssertAmount("45,00", rows[1].Element("RowVatExcludedAmount"));

        // Finvoice amounts use a decimal comma: no amount anywhere carries a full stop.
        Assert.All(root.Descendants().Where(e => e.Attribute("AmountCurrencyIdentifier") is not null),
            e => Assert.Matches("^-?[0-9]+,[0-9]{2}$", e.Value));
    }

    [Fact]
    public void RenderFinvoice_Invoice_PaymentInstructionCarriesIbanReferenceAmountAndDueDate()
    {
        var (root, _) = Render(Invoices.Bricks());

        var account = root.Element("SellerInformationDetails")!.Element("SellerAccountDetails")!;
        Assert.Equal("FI2112345600000785", Value(account, "SellerAccountID"));
        Assert.Equal("IBAN", (string?)account.Element("SellerAccountID")!.Attribute("IdentificationSchemeName"));
        Assert.Equal("NDEAFIHH", Value(account, "SellerBic"));

        var epi = root.Element("EpiDetails")!;
        var beneficiary = epi.Element("EpiPartyDetails")!.Element("EpiBeneficiaryPartyDetails")!;
        Assert.Equal("FI2112345600000785", Value(beneficiary, "EpiAccountID"));
        Assert.Equal("1234567-1", Value(beneficiary, "EpiBei"));
        Assert.Equal("NDEAFIHH", Value(epi.Element("EpiPartyDetails")!.Element("EpiBfiPartyDetails")!, "EpiBfiIdentifier"));
        var instruction = epi.Element("EpiPaymentInstructionDetails")!;
        var reference = instruction.Element("EpiRemittanceInfoIdentifier")!;
        Assert.Equal("1234561", reference.Value);
        Assert.Equal("SPY", (string?)reference.Attribute("IdentificationSchemeName"));
        AssertAmount("184,49", instruction.Element("EpiInstructedAmount"));
        AssertDate("20261213", instruction.Element("EpiDateOptionDate"));
        Assert.Equal("SLEV", Value(instruction, "EpiCharge"));
        Assert.Equal("NOTPAID", Value(root.Element("PaymentStatusDetails")!, "PaymentStatusCode"));
    }

    [Fact]
    public void RenderFinvoice_InvoiceInAnotherCurrency_IsNotASepaTransfer_EachSidePaysItsOwnCharges()
    {
        var (root, _) = Render(Invoices.Bricks() with { Currency = "SEK" });

        var instruction = root.Element("EpiDetails")!.Element("EpiPaymentInstructionDetails")!;
        Assert.Equal("SHAR", Value(instruction, "EpiCharge"));
        Assert.Equal("SHAR", (string?)instruction.Element("EpiCharge")!.Attribute("ChargeOption"));
        Assert.Equal("SEK", (string?)instruction.Element("EpiInstructedAmount")!.Attribute("AmountCurrencyIdentifier"));
    }

    [Fact]
    public void RenderFinvoice_TextWithCharactersXmlCannotCarry_LeavesThemOut()
    {
        // A lot's title or a firm's name stored before such characters were refused.
        var invoice = Invoices.Bricks() with
        {
            Seller = Invoices.Seller with { Name = "Purku\u0001piste Oy" },
            Lines = [new InvoiceLine("Tii\u0000lit 😀\uFFFF", 1m, "pcs", 85, 25.5m, 85, 22), .. Invoices.Bricks().Lines.Skip(1)],
        };

        var (root, _) = Render(invoice);

        Assert.Equal("Tiilit 😀", Value(root.Elements("InvoiceRow").First(), "ArticleName"));
        Assert.Contains("Purkupiste Oy", root.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A dispute's credit comes off what the invoice instructs the buyer to pay, as a payment does.</summary>
    [Theory]
    [InlineData(0, 5_000, "134,49", "PARTLYPAID")]
    [InlineData(4_000, 5_000, "94,49", "PARTLYPAID")]
    [InlineData(0, 18_449, "0,00", "PAID")]
    public void RenderFinvoice_Credited_InstructsTheBalanceLessTheCredit(long paid, long credited, string instructed, string status)
    {
        var (root, _) = Render(Invoices.Bricks(paidMinor: paid) with { CreditedMinor = credited });

        AssertAmount(instructed, root.Element("EpiDetails")!.Element("EpiPaymentInstructionDetails")!.Element("EpiInstructedAmount"));
        AssertAmount("184,49", root.Element("InvoiceDetails")!.Element("InvoiceTotalVatIncludedAmount"));
        Assert.Equal(status, Value(root.Element("PaymentStatusDetails")!, "PaymentStatusCode"));
    }

    [Fact]
    public void RenderFinvoice_PartlyPaid_InstructsTheBalanceDue()
    {
        var (root, _) = Render(Invoices.Bricks(paidMinor: 5_000));

        AssertAmount("134,49", root.Element("EpiDetails")!.Element("EpiPaymentInstructionDetails")!.Element("EpiInstructedAmount"));
        AssertAmount("184,49", root.Element("InvoiceDetails")!.Element("InvoiceTotalVatIncludedAmount"));
        Assert.Equal("PARTLYPAID", Value(root.Element("PaymentStatusDetails")!, "PaymentStatusCode"));
    }

    [Fact]
    public void RenderFinvoice_NoFinnishReference_UsesTheRfReferenceUnderIso()
    {
        var (root, _) = Render(Invoices.Bricks() with { ReferenceNumber = "" });

        var reference = root.Element("EpiDetails")!.Element("EpiPaymentInstructionDetails")!.Element("EpiRemittanceInfoIdentifier")!;
        Assert.Equal("RF341234561", reference.Value);
        Assert.Equal("ISO", (string?)reference.Attribute("IdentificationSchemeName"));
    }

    [Fact]
    public void RenderFinvoice_Parties_CarryBusinessIdsAddressesAndEInvoiceAddresses()
    {
        var (root, _) = Render(Invoices.Bricks());

        var seller = root.Element("SellerPartyDetails")!;
        Assert.Equal("1234567-1", Value(seller, "SellerPartyIdentifier"));
        Assert.Equal("Purkupiste Oy", Value(seller, "SellerOrganisationName"));
        Assert.Equal("FI12345671", Value(seller, "SellerOrganisationTaxCode"));
        var address = seller.Element("SellerPostalAddressDetails")!;
        Assert.Equal("Teollisuuskatu 5", Value(address, "SellerStreetName"));
        Assert.Equal("Helsinki", Value(address, "SellerTownName"));
        Assert.Equal("00510", Value(address, "SellerPostCodeIdentifier"));

        var transmission = root.Element("MessageTransmissionDetails")!;
        Assert.Equal("003712345671", Value(transmission.Element("MessageSenderDetails")!, "FromIdentifier"));
        Assert.Equal("003721291126", Value(transmission.Element("MessageSenderDetails")!, "FromIntermediator"));
        // A buyer without an e-invoice address is addressed by its OVT code: 0037 and its business id's digits.
        Assert.Equal("00377654321" + "0", Value(transmission.Element("MessageReceiverDetails")!, "ToIdentifier"));
        Assert.Equal("Rakennus Virtanen Oy", Value(root.Element("BuyerPartyDetails")!, "BuyerOrganisationName"));
    }

    private (XElement Root, byte[] Bytes) Render(InvoiceDocument invoice)
    {
        var bytes = _renderer.RenderFinvoice(invoice);
        using var stream = new MemoryStream(bytes);
        return (XDocument.Load(stream).Root!, bytes);
    }

    private static string? Value(XElement parent, string name) => parent.Element(name)?.Value;

    private static void AssertAmount(string expected, XElement? element)
    {
        Assert.NotNull(element);
        Assert.Equal(expected, element.Value);
        Assert.Equal("EUR", (string?)element.Attribute("AmountCurrencyIdentifier"));
    }

    private static void AssertDate(string expected, XElement? element)
    {
        Assert.NotNull(element);
        Assert.Equal(expected, element.Value);
        Assert.Equal("CCYYMMDD", (string?)element.Attribute("Format"));
    }
}
