using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Marketplace.Payments.Invoice;

/// <summary>
/// An invoice as a Finvoice 3.0 e-invoice (Finance Finland's message for Finnish banks and e-invoice operators):
/// elements in the schema's order, amounts with a decimal comma and a currency, dates in <c>CCYYMMDD</c>, and the
/// payment instruction (EPI) carrying the IBAN and the reference.
/// </summary>
internal static class FinvoiceWriter
{
    /// <summary>Finvoice's scheme name for a Finnish reference (viitenumero).</summary>
    public const string FinnishReferenceScheme = "SPY";

    /// <summary>Finvoice's scheme name for an RF creditor reference (ISO 11649).</summary>
    public const string CreditorReferenceScheme = "ISO";

    public static byte[] Render(InvoiceDocument invoice)
    {
        var balance = invoice.BalanceMinor;
        var sellerAddress = EInvoiceAddress(invoice.Seller);
        var buyerAddress = EInvoiceAddress(invoice.Buyer);
        var root = new XElement("Finvoice",
            new XAttribute("Version", "3.0"),
            new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName),
            new XAttribute(Xsi + "noNamespaceSchemaLocation", "Finvoice3.0.xsd"),
            new XElement("MessageTransmissionDetails",
                new XElement("MessageSenderDetails",
                    new XElement("FromIdentifier", sellerAddress),
                    Optional("FromIntermediator", invoice.Seller.EInvoiceOperator)),
                new XElement("MessageReceiverDetails",
                    new XElement("ToIdentifier", buyerAddress),
                    Optional("ToIntermediator", invoice.Buyer.EInvoiceOperator)),
                new XElement("MessageDetails",
                    new XElement("MessageIdentifier", invoice.Number),
                    new XElement("MessageTimeStamp", invoice.IssueDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) + "T00:00:00+00:00"))),
            PartyDetails("Seller", invoice.Seller),
            new XElement("SellerOrganisationUnitNumber", sellerAddress),
            new XElement("SellerInformationDetails",
                Optional("SellerHomeTownName", invoice.Seller.Municipality),
                Optional("SellerCommonEmailaddressIdentifier", invoice.Seller.Email),
                new XElement("SellerAccountDetails",
                    new XElement("SellerAccountID", new XAttribute("IdentificationSchemeName", "IBAN"), Compact(invoice.SellerIban)),
                    invoice.SellerBic is { Length: > 0 } bic ? new XElement("SellerBic", new XAttribute("IdentificationSchemeName", "BIC"), bic) : null)),
            PartyDetails("Buyer", invoice.Buyer),
            new XElement("BuyerOrganisationUnitNumber", buyerAddress),
            invoice.Buyer.Email is { Length: > 0 } email ? new XElement("BuyerCommunicationDetails", new XElement("BuyerEmailaddressIdentifier", email)) : null,
            new XElement("InvoiceDetails",
                // A credit note is Finvoice's INV02 (hyvityslasku), with negative amounts and the number of the invoice it credits.
                new XElement("InvoiceTypeCode", invoice.Credits is null ? "INV01" : "INV02"),
                new XElement("InvoiceTypeText", invoice.Credits is null ? "LASKU" : "HYVITYSLASKU"),
                new XElement("OriginCode", "Original"),
                new XElement("InvoiceNumber", invoice.Number),
                Date("InvoiceDate", invoice.IssueDate),
                invoice.Credits is { } credited ? new XElement("OriginalInvoiceNumber", credited.Number) : null,
                invoice.Credits is { } creditedOn ? Date("OriginalInvoiceDate", creditedOn.IssueDate) : null,
                new XElement("OrderIdentifier", invoice.OrderId),
                Amount("InvoiceTotalVatExcludedAmount", invoice.NetTotalMinor, invoice.Currency),
                Amount("InvoiceTotalVatAmount", invoice.VatTotalMinor, invoice.Currency),
                Amount("InvoiceTotalVatIncludedAmount", invoice.GrossTotalMinor, invoice.Currency),
                invoice.VatBreakdown.Select(vat => new XElement("VatSpecificationDetails",
                    Amount("VatBaseAmount", vat.NetMinor, invoice.Currency),
                    new XElement("VatRatePercent", InvoiceFormat.Decimal(vat.RatePercent)),
                    Amount("VatRateAmount", vat.VatMinor, invoice.Currency))),
                new XElement("PaymentTermsDetails",
                    new XElement("PaymentTermsFreeText", $"{invoice.DueDate.DayNumber - invoice.IssueDate.DayNumber} pv netto"),
                    Date("InvoiceDueDate", invoice.DueDate))),
            new XElement("PaymentStatusDetails",
                new XElement("PaymentStatusCode", balance <= 0 ? "PAID" : invoice.PaidMinor + invoice.CreditedMinor <= 0 ? "NOTPAID" : "PARTLYPAID")),
            invoice.Lines.Select(line => new XElement("InvoiceRow",
                new XElement("ArticleName", line.Description),
                new XElement("DeliveredQuantity", new XAttribute("QuantityUnitCode", line.Unit), InvoiceFormat.Decimal(line.Quantity)),
                Amount("UnitPriceAmount", line.UnitPriceMinor, invoice.Currency),
                new XElement("RowVatRatePercent", InvoiceFormat.Decimal(line.VatRatePercent)),
                Amount("RowVatAmount", line.VatMinor, invoice.Currency),
                Amount("RowVatExcludedAmount", line.NetMinor, invoice.Currency),
                Amount("RowAmount", line.NetMinor + line.VatMinor, invoice.Currency))),
            new XElement("EpiDetails",
                new XElement("EpiIdentificationDetails",
                    Date("EpiDate", invoice.IssueDate),
                    new XElement("EpiReference", "0")),
                new XElement("EpiPartyDetails",
                    new XElement("EpiBfiPartyDetails",
                        invoice.SellerBic is { Length: > 0 } epiBic ? new XElement("EpiBfiIdentifier", new XAttribute("IdentificationSchemeName", "BIC"), epiBic) : null),
                    new XElement("EpiBeneficiaryPartyDetails",
                        new XElement("EpiNameAddressDetails", invoice.Seller.Name),
                        new XElement("EpiBei", invoice.Seller.BusinessId),
                        new XElement("EpiAccountID", new XAttribute("IdentificationSchemeName", "IBAN"), Compact(invoice.SellerIban)))),
                new XElement("EpiPaymentInstructionDetails",
                    new XElement("EpiPaymentInstructionId", invoice.Number),
                    RemittanceReference(invoice),
                    Amount("EpiInstructedAmount", Math.Max(balance, 0), invoice.Currency),
                    Charge(invoice.Currency),
                    Date("EpiDateOptionDate", invoice.DueDate))));

        // Text stored before control characters were refused (a lot's title, a firm's name) must not break the document:
        // what XML 1.0 cannot carry is left out, where writing it would throw.
        foreach (var text in root.DescendantNodes().OfType<XText>())
        {
            text.Value = XmlText(text.Value);
        }

        foreach (var attribute in root.DescendantsAndSelf().Attributes())
        {
            attribute.Value = XmlText(attribute.Value);
        }

        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), Indent = true };
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, settings))
        {
            new XDocument(new XDeclaration("1.0", "UTF-8", null), root).Save(writer);
        }

        return output.ToArray();
    }

    /// <summary>The text without the characters XML 1.0 cannot carry (the same text when it has none).</summary>
    internal static string XmlText(string value)
    {
        var first = FirstInvalid(value, 0);
        if (first < 0)
        {
            return value;
        }

        var kept = new StringBuilder(value.Length);
        var from = 0;
        for (var at = first; at >= 0; at = FirstInvalid(value, from))
        {
            kept.Append(value, from, at - from);
            from = at + 1;
        }

        return kept.Append(value, from, value.Length - from).ToString();
    }

    private static int FirstInvalid(string value, int start)
    {
        for (var i = start; i < value.Length; i++)
        {
            if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], value[i]))
            {
                i++;
            }
            else if (!XmlConvert.IsXmlChar(value[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    // Who pays the banks' charges: SLEV (as the SEPA scheme says) for a euro transfer; a transfer in another currency is
    // not a SEPA one, so each side pays its own bank (SHAR).
    private static XElement Charge(string currency)
    {
        var option = currency == "EUR" ? "SLEV" : "SHAR";
        return new XElement("EpiCharge", new XAttribute("ChargeOption", option), option);
    }

    // The Finnish reference (SPY) is what Finnish banks match on; the RF form (ISO) serves when there is no Finnish one.
    private static XElement RemittanceReference(InvoiceDocument invoice)
        => ReferenceNumbers.IsValidFinnish(invoice.ReferenceNumber)
            ? new XElement("EpiRemittanceInfoIdentifier", new XAttribute("IdentificationSchemeName", FinnishReferenceScheme), Compact(invoice.ReferenceNumber))
            : new XElement("EpiRemittanceInfoIdentifier", new XAttribute("IdentificationSchemeName", CreditorReferenceScheme), Compact(invoice.CreditorReference));

    private static XElement PartyDetails(string role, InvoiceParty party)
    {
        var postCode = PostCode(party.Municipality);
        return new XElement($"{role}PartyDetails",
            new XElement($"{role}PartyIdentifier", party.BusinessId),
            new XElement($"{role}OrganisationName", party.Name),
            new XElement($"{role}OrganisationTaxCode", VatNumber(party.BusinessId)),
            party.Address is { Length: > 0 } && party.Municipality is { Length: > 0 }
                ? new XElement($"{role}PostalAddressDetails",
                    new XElement($"{role}StreetName", party.Address),
                    new XElement($"{role}TownName", postCode is null ? party.Municipality : party.Municipality[postCode.Length..].Trim()),
                    postCode is null ? null : new XElement($"{role}PostCodeIdentifier", postCode),
                    new XElement("CountryCode", "FI"))
                : null);
    }

    /// <summary>
    /// A party's e-invoice address, or when it has none, the OVT identifier every Finnish firm has: <c>0037</c> and its
    /// business id without the hyphen.
    /// </summary>
    private static string EInvoiceAddress(InvoiceParty party)
        => party.EInvoiceAddress is { Length: > 0 } address ? address : "0037" + party.BusinessId.Replace("-", "", StringComparison.Ordinal);

    // A Finnish VAT number is FI and the business id's digits.
    private static string VatNumber(string businessId) => "FI" + businessId.Replace("-", "", StringComparison.Ordinal);

    // "00100 Helsinki" carries a Finnish postcode in front; a bare town name has none.
    private static string? PostCode(string? municipality)
        => municipality is { Length: > 6 } m && m[..5].All(char.IsAsciiDigit) && m[5] == ' ' ? m[..5] : null;

    private static string Compact(string value) => value.Replace(" ", "", StringComparison.Ordinal);

    private static XElement Amount(string name, long minor, string currency)
        => new(name, new XAttribute("AmountCurrencyIdentifier", currency), InvoiceFormat.FinvoiceAmount(minor));

    private static XElement Date(string name, DateOnly date) => new(name, new XAttribute("Format", "CCYYMMDD"), InvoiceFormat.FinvoiceDate(date));

    private static XElement? Optional(string name, string? value) => string.IsNullOrWhiteSpace(value) ? null : new XElement(name, value);
}
