using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>
/// What is taken off an issued invoice is documented by a credit note of its own number (a dispute's credit, or all of
/// it when the order is cancelled after acceptance); a void invoice's payment says how it ended; an invoice names the
/// parties' postal codes; a hold that could never be ordered is refused.
/// </summary>
[Collection(ApiCollection.Name)]
public class CreditNoteApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task DisputeCredit_IssuesACreditNote_InEveryFormat_NamingTheInvoice()
    {
        var (sellerClient, buyerClient, lot) = await FirmsAsync();
        using var admin = Server.BearerClient(await Api.People.PlatformAdminTokenAsync(Server));
        var id = (await PlaceAsync(buyerClient, lot, 100)).Id();
        var accepted = await StepAsync(sellerClient, id, "accept");
        var invoiceNumber = accepted["invoice"]!["number"]!.GetValue<string>();
        await StepAsync(buyerClient, id, "handover");
        await StepAsync(buyerClient, id, "dispute", new { reason = "Half of it was rotten" });
        await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?document=credit-note&format=json"), HttpStatusCode.Conflict, "no-credit-note");
        await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?document=receipt"), HttpStatusCode.UnprocessableEntity, "invalid-document", "document");

        var gross = accepted["totals"]!["grossMinor"]!.GetValue<long>();
        var credit = (gross / 3) + 1;
        var resolved = await StepAsync(admin, id, "resolve", new { outcome = "refund", refundMinor = credit, note = "A third off" });
        var noted = resolved["invoice"]!["creditNote"]!;
        Assert.NotEqual(invoiceNumber, noted["number"]!.GetValue<string>());
        Assert.Equal((credit, "A third off"), (noted["grossMinor"]!.GetValue<long>(), noted["reason"]!.GetValue<string>()));

        var note = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?document=credit-note&format=json"), HttpStatusCode.OK);
        Assert.Equal(noted["number"]!.GetValue<string>(), note["number"]!.GetValue<string>());
        Assert.Equal(invoiceNumber, note["credits"]!["number"]!.GetValue<string>());
        Assert.Equal(-credit, note["grossTotalMinor"]!.GetValue<long>());
        var lines = note["lines"]!.AsArray();
        Assert.Equal(-credit, lines.Sum(l => l!["netMinor"]!.GetValue<long>() + l["vatMinor"]!.GetValue<long>()));
        Assert.Equal(note["netTotalMinor"]!.GetValue<long>() + note["vatTotalMinor"]!.GetValue<long>(), -credit);
        Assert.Equal(0L, note["balanceMinor"]!.GetValue<long>());

        var finvoice = await (await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?document=credit-note&format=finvoice")).Content.ReadAsStringAsync();
        Assert.Contains("<InvoiceTypeCode>INV02</InvoiceTypeCode>", finvoice, StringComparison.Ordinal);
        Assert.Contains($"<OriginalInvoiceNumber>{invoiceNumber}</OriginalInvoiceNumber>", finvoice, StringComparison.Ordinal);
        var pdf = await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?document=credit-note");
        Assert.Equal(("application/pdf", $"credit-note-{note["number"]!.GetValue<string>()}.pdf"),
            (pdf.Content.Headers.ContentType!.MediaType, pdf.Content.Headers.ContentDisposition!.FileName));
        // The invoice itself is as before, with the credit off its balance.
        var invoice = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((invoiceNumber, gross - credit), (invoice["number"]!.GetValue<string>(), invoice["balanceMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task CancelAfterAcceptance_CreditsTheWholeInvoice_AndThePaymentSaysHowItEnded()
    {
        var (sellerClient, buyerClient, lot) = await FirmsAsync();
        var unpaid = (await PlaceAsync(buyerClient, lot, 100)).Id();
        var accepted = await StepAsync(sellerClient, unpaid, "accept");
        var cancelled = await StepAsync(sellerClient, unpaid, "cancel", new { reason = "The pallets were damaged in storage" });
        Assert.Equal(("credited", false), (cancelled["payment"]!["status"]!.GetValue<string>(), cancelled["invoice"]!["paid"]!.GetValue<bool>()));
        Assert.Equal(accepted["totals"]!["grossMinor"]!.GetValue<long>(), cancelled["invoice"]!["creditNote"]!["grossMinor"]!.GetValue<long>());
        var note = await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{unpaid}/invoice?document=credit-note&format=json"), HttpStatusCode.OK);
        Assert.Equal(-accepted["totals"]!["grossMinor"]!.GetValue<long>(), note["grossTotalMinor"]!.GetValue<long>());
        // The accounting export names both documents.
        var seller = accepted["sellerId"]!.GetValue<string>();
        var csv = await (await sellerClient.GetAsync($"/api/v1/traders/{seller}/exports/orders?format=csv")).Content.ReadAsStringAsync();
        var header = csv.Split('\n')[0].Trim().Split(',');
        var row = csv.Split('\n').Single(l => l.StartsWith(unpaid + ",", StringComparison.Ordinal)).Trim().Split(',');
        Assert.Equal((accepted["invoice"]!["number"]!.GetValue<string>(), note["number"]!.GetValue<string>()),
            (row[Array.IndexOf(header, "invoiceNumber")], row[Array.IndexOf(header, "creditNoteNumber")]));

        var partly = (await PlaceAsync(buyerClient, lot, 100)).Id();
        await StepAsync(sellerClient, partly, "accept");
        await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{partly}/invoice/payments", new { amountMinor = 500 }), HttpStatusCode.OK);
        var refunded = await StepAsync(buyerClient, partly, "cancel", new { reason = "Plans changed" });
        Assert.Equal(("refunded", false), (refunded["payment"]!["status"]!.GetValue<string>(), refunded["invoice"]!["paid"]!.GetValue<bool>()));
        // Its credit note says what of it was refunded, as the payment does.
        Assert.Equal(500L, refunded["invoice"]!["creditNote"]!["refundedMinor"]!.GetValue<long>());
    }

    [Fact]
    public async Task DisputeRefund_OfAPaidInvoice_IsDocumentedByACreditNote_WholeOrInPart()
    {
        var (sellerClient, buyerClient, lot) = await FirmsAsync();
        using var admin = Server.BearerClient(await Api.People.PlatformAdminTokenAsync(Server));
        async Task<(string Id, long Gross, string Invoice)> PaidAndDisputedAsync()
        {
            var id = (await PlaceAsync(buyerClient, lot, 50)).Id();
            var accepted = await StepAsync(sellerClient, id, "accept");
            var gross = accepted["totals"]!["grossMinor"]!.GetValue<long>();
            await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/invoice/payments", new { amountMinor = gross }), HttpStatusCode.OK);
            await StepAsync(buyerClient, id, "handover");
            await StepAsync(buyerClient, id, "dispute", new { reason = "Not what was listed" });
            return (id, gross, accepted["invoice"]!["number"]!.GetValue<string>());
        }

        // All of a paid invoice refunded: the credit note takes all of it back, and the void invoice stays readable.
        var (whole, gross, invoiceNumber) = await PaidAndDisputedAsync();
        var refunded = await StepAsync(admin, whole, "resolve", new { outcome = "refund", refundMinor = gross, note = "Wrong grade delivered" });
        Assert.Equal(("refunded", "refunded"), (refunded["status"]!.GetValue<string>(), refunded["payment"]!["status"]!.GetValue<string>()));
        var noted = refunded["invoice"]!["creditNote"]!;
        Assert.Equal((gross, gross), (noted["grossMinor"]!.GetValue<long>(), noted["refundedMinor"]!.GetValue<long>()));
        var note = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{whole}/invoice?document=credit-note&format=json"), HttpStatusCode.OK);
        Assert.Equal((-gross, invoiceNumber, gross), (note["grossTotalMinor"]!.GetValue<long>(), note["credits"]!["number"]!.GetValue<string>(), note["credits"]!["refundedMinor"]!.GetValue<long>()));
        Assert.Equal(HttpStatusCode.OK, (await sellerClient.GetAsync($"/api/v1/orders/{whole}/invoice?document=credit-note&format=finvoice")).StatusCode);
        var invoice = await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{whole}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((true, gross, gross, 0L), (invoice["void"]!.GetValue<bool>(), invoice["paidMinor"]!.GetValue<long>(), invoice["refundedMinor"]!.GetValue<long>(), invoice["balanceMinor"]!.GetValue<long>()));
        // The refund is the seller's to return, and the audit trail names it in euros, not cents.
        Assert.Equal("recorded", refunded["refunds"]![0]!["status"]!.GetValue<string>());
        var audit = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{whole}/audit"), HttpStatusCode.OK);
        var euros = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{gross / 100m:0.00} EUR");
        Assert.Contains(audit["entries"]!.AsArray(), e => e!["change"]!.GetValue<string>().Contains($"; {euros} refunded", StringComparison.Ordinal));
        // Another firm learns nothing of the order, not even which documents it has.
        using var other = Server.Client(await RegisterFirmAsync(Server, "buyer"));
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/orders/{whole}/invoice?document=receipt")).StatusCode);

        // Part of a paid invoice refunded: the order completes, and the credit note documents the part.
        var (part, partGross, _) = await PaidAndDisputedAsync();
        var completed = await StepAsync(admin, part, "resolve", new { outcome = "refund", refundMinor = partGross / 4 });
        Assert.Equal(("completed", partGross / 4, partGross / 4), (completed["status"]!.GetValue<string>(),
            completed["invoice"]!["creditNote"]!["grossMinor"]!.GetValue<long>(), completed["invoice"]!["creditNote"]!["refundedMinor"]!.GetValue<long>()));
        var partInvoice = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{part}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((false, completed["invoice"]!["creditNote"]!["number"]!.GetValue<string>(), 0L),
            (partInvoice["void"]!.GetValue<bool>(), partInvoice["creditNoteNumber"]!.GetValue<string>(), partInvoice["balanceMinor"]!.GetValue<long>()));
        // Refunded, not credited: the invoice says so as the order does (probe 24 saw "credited 50" beside "refunded 50").
        Assert.Equal((partGross / 4, 0L, completed["invoice"]!["creditedMinor"]!.GetValue<long>()),
            (partInvoice["refundedMinor"]!.GetValue<long>(), partInvoice["creditedMinor"]!.GetValue<long>(), 0L));
        var partNote = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{part}/invoice?document=credit-note&format=json"), HttpStatusCode.OK);
        Assert.Equal((partGross / 4, partGross / 4), (partNote["refundedMinor"]!.GetValue<long>(), partNote["credits"]!["refundedMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Invoice_NamesThePartiesPostalCodes()
    {
        var firm = Firm("seller");
        firm["billing"] = new JsonObject { ["iban"] = "FI21 1234 5600 0007 85", ["address"] = "Purkutie 1", ["postalCode"] = "00100", ["postOffice"] = "Helsinki" };
        var seller = await Server.RegisterFirmAsync(firm);
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lot, 10)).Id();
        await StepAsync(sellerClient, id, "accept");

        var invoice = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal("00100 Helsinki", invoice["seller"]!["municipality"]!.GetValue<string>());
        var finvoice = await (await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=finvoice")).Content.ReadAsStringAsync();
        Assert.Contains("<SellerPostCodeIdentifier>00100</SellerPostCodeIdentifier>", finvoice, StringComparison.Ordinal);
        Assert.Contains("<SellerTownName>Helsinki</SellerTownName>", finvoice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hold_WorthMoreThanTheLargestOrder_Is422_AndHoldsNothing()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var body = Lot(100);
        body["unitPrice"] = new JsonObject { ["minorUnits"] = 100_000_000_000L, ["currency"] = "EUR" };
        using var sellerClient = Server.Client(seller);
        var lot = (await ReadAsync(await sellerClient.PostAsJsonAsync("/api/v1/listings", body), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
        using var buyerClient = Server.Client(buyer);

        var refused = await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 11 }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "quantity");
        Assert.Contains("at most 10 pcs", refused.ToJsonString(), StringComparison.Ordinal);
        var after = await ReadAsync(await buyerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal(0m, after["quantities"]!["held"]!.GetValue<decimal>());
        await HoldAsync(buyerClient, lot, 10);
    }

    private async Task<(HttpClient Seller, HttpClient Buyer, string Lot)> FirmsAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        return (Server.Client(seller), Server.Client(buyer), lot);
    }
}
