namespace Marketplace.Payments.Invoice;

/// <summary>A party on an invoice.</summary>
/// <param name="Name">Registered name.</param>
/// <param name="BusinessId">Finnish business id (Y-tunnus).</param>
/// <param name="Address">Street address, if known.</param>
/// <param name="Municipality">Municipality or postal town, if known.</param>
/// <param name="Email">Where an emailed invoice goes, if any.</param>
/// <param name="EInvoiceAddress">E-invoice address (OVT code or IBAN), if the party takes e-invoices.</param>
/// <param name="EInvoiceOperator">E-invoice operator's code (e.g. <c>003721291126</c>), with the address.</param>
public sealed record InvoiceParty(string Name, string BusinessId, string? Address, string? Municipality, string? Email,
    string? EInvoiceAddress, string? EInvoiceOperator);

/// <summary>One invoice line, amounts in minor units.</summary>
/// <param name="Description">What was sold (the lot's title).</param>
/// <param name="Quantity">Quantity in <paramref name="Unit"/>.</param>
/// <param name="Unit">Unit code.</param>
/// <param name="UnitPriceMinor">Price of one unit before VAT.</param>
/// <param name="VatRatePercent">VAT rate, e.g. 25.5.</param>
/// <param name="NetMinor">Line total before VAT.</param>
/// <param name="VatMinor">VAT of the line.</param>
public sealed record InvoiceLine(string Description, decimal Quantity, string Unit, long UnitPriceMinor, decimal VatRatePercent, long NetMinor, long VatMinor);

/// <summary>VAT of one rate over the whole invoice.</summary>
public sealed record VatBreakdownRow(decimal RatePercent, long NetMinor, long VatMinor);

/// <summary>Everything an invoice shows; rendered as PDF and as a Finvoice 3.0 e-invoice.</summary>
/// <param name="Number">Invoice number, unique per platform.</param>
/// <param name="OrderId">The order invoiced.</param>
/// <param name="IssueDate">Date of issue.</param>
/// <param name="DueDate">Due date.</param>
/// <param name="ReferenceNumber">Finnish reference number (viitenumero) with its 7-3-1 check digit.</param>
/// <param name="CreditorReference">The same reference in the RF creditor reference form (ISO 11649).</param>
/// <param name="Seller">The seller, who is paid.</param>
/// <param name="SellerIban">The seller's account.</param>
/// <param name="SellerBic">The seller's bank's BIC, if known.</param>
/// <param name="Buyer">The buyer, who pays.</param>
/// <param name="Lines">Goods and delivery lines.</param>
/// <param name="VatBreakdown">VAT per rate.</param>
/// <param name="NetTotalMinor">Total before VAT.</param>
/// <param name="VatTotalMinor">VAT total.</param>
/// <param name="GrossTotalMinor">Total to pay.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="PaidMinor">Paid so far (partial payments), taken off the balance due.</param>
/// <param name="CreditedMinor">Taken off the invoice by a dispute's resolution (a credit), taken off the balance due.</param>
public sealed record InvoiceDocument(string Number, string OrderId, DateOnly IssueDate, DateOnly DueDate, string ReferenceNumber,
    string CreditorReference, InvoiceParty Seller, string SellerIban, string? SellerBic, InvoiceParty Buyer,
    IReadOnlyList<InvoiceLine> Lines, IReadOnlyList<VatBreakdownRow> VatBreakdown, long NetTotalMinor, long VatTotalMinor,
    long GrossTotalMinor, string Currency, long PaidMinor, long CreditedMinor)
{
    /// <summary>What the buyer still owes: the total less what was paid and credited, never below zero.</summary>
    public long BalanceMinor => Void ? 0 : Math.Max(0, GrossTotalMinor - PaidMinor - CreditedMinor);

    /// <summary>
    /// For a credit note (hyvityslasku): the invoice it credits. Its lines and totals are then negative, its references
    /// the credited invoice's, and it asks for no payment. Null for an invoice.
    /// </summary>
    public CreditedInvoice? Credits { get; init; }

    /// <summary>For an invoice: what was paid on it and returned to the buyer (a refund), shown beside what was paid.</summary>
    public long RefundedMinor { get; init; }

    /// <summary>For an invoice: the number of the credit note issued against it, if any.</summary>
    public string? CreditNoteNumber { get; init; }

    /// <summary>
    /// For an invoice: true when its order was cancelled or refunded and the credit note takes all of it back. It is
    /// shown for the record, marked so, and asks for no payment.
    /// </summary>
    public bool Void { get; init; }
}

/// <summary>The invoice a credit note credits.</summary>
/// <param name="Number">The invoice's number.</param>
/// <param name="IssueDate">The invoice's date.</param>
/// <param name="Reason">Why it is credited, if said.</param>
/// <param name="RefundedMinor">How much of the credit was refunded from what had been paid (0: all of it taken off what was owed).</param>
public sealed record CreditedInvoice(string Number, DateOnly IssueDate, string? Reason, long RefundedMinor);

/// <summary>Renders invoices as documents people and accounting systems read.</summary>
public interface IInvoiceRenderer
{
    /// <summary>The invoice as a PDF file.</summary>
    byte[] RenderPdf(InvoiceDocument invoice);

    /// <summary>The invoice as a Finvoice 3.0 XML e-invoice (UTF-8).</summary>
    byte[] RenderFinvoice(InvoiceDocument invoice);
}
