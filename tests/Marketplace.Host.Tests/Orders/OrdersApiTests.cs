using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Identity;
using Marketplace.Identity;
using Marketplace.Payments.Invoice;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Orders;

[Collection(ApiCollection.Name)]
public class OrdersApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task InvoiceOrder_PublishHoldCheckoutAcceptHandOverComplete_EndsCompletedWithInvoiceAuditAndCarbon()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);

        var placed = await PlaceAsync(buyerClient, lot, 400);
        var id = placed.Id();
        Assert.Equal("placed", placed.Status());
        // 400 bricks at 0.45: 180.00 net, VAT 25.5 % = 45.90, total 225.90; fee 5 % = 9.00 charged to the seller.
        Assert.Equal((18000L, 4590L, 22590L, 900L, 21690L), (
            placed["totals"]!["netMinor"]!.GetValue<long>(), placed["totals"]!["vatMinor"]!.GetValue<long>(), placed["totals"]!["grossMinor"]!.GetValue<long>(),
            placed["totals"]!["platformFeeMinor"]!.GetValue<long>(), placed["totals"]!["sellerReceivesMinor"]!.GetValue<long>()));
        Assert.Matches("^[0-9]{6}$", placed["pickupCode"]!.GetValue<string>());
        Assert.Null((await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK))["pickupCode"]);

        var accepted = await StepAsync(sellerClient, id, "accept");
        Assert.Equal("accepted", accepted.Status());
        var reference = accepted["invoice"]!["referenceNumber"]!.GetValue<string>();
        Assert.True(ReferenceNumbers.IsValidFinnish(reference), reference);
        Assert.True(ReferenceNumbers.IsValidCreditor(accepted["invoice"]!["creditorReference"]!.GetValue<string>()));
        Assert.Equal(DateOnly.Parse(accepted["invoice"]!["issueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddDays(14),
            DateOnly.Parse(accepted["invoice"]!["dueDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        var lotAfter = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal(400m, lotAfter["quantities"]!["sold"]!.GetValue<decimal>());

        await StepAsync(buyerClient, id, "handover");
        var completed = await StepAsync(buyerClient, id, "complete");

        Assert.Equal("completed", completed.Status());
        // By hand from emission-factors.json: 400 bricks × 2.5 kg = 1 t; clay brick 0.21 kgCO2e/kg, grade A substitutes
        // one for one, no deadweight, full attribution: 210 kg avoided; less 1 t × the order's km × 0.095 kgCO2e/tkm.
        var km = completed["distanceKm"]!.GetValue<decimal>();
        Assert.InRange(km, 6m, 7.5m);
        Assert.Equal(Math.Round(210m - (km * 0.095m), 3), completed["carbon"]!["avoidedKgCo2e"]!.GetValue<decimal>());
        Assert.Equal(["glec-rigid-truck-26-32t", "ice3-clay-brick", "substitution-a"],
            completed["carbon"]!["factorIds"]!.AsArray().Select(f => f!.GetValue<string>()).Order(StringComparer.Ordinal).Where(f => !f.StartsWith("reporting", StringComparison.Ordinal)));

        var audit = await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/audit"), HttpStatusCode.OK);
        Assert.Equal(["placed", "accepted", "handed-over", "completed"], audit["entries"]!.AsArray().Select(e => e!["to"]!.GetValue<string>()));
        Assert.Equal((buyer, "marketplace-web"), (audit["entries"]![0]!["actingFirm"]!.GetValue<string>(), audit["entries"]![0]!["clientId"]?.GetValue<string>()));

        using var pdf = await buyerClient.GetAsync($"/api/v1/orders/{id}/invoice");
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        using (var document = UglyToad.PdfPig.PdfDocument.Open(await pdf.Content.ReadAsByteArrayAsync()))
        {
            // The text a reader (or an accounts-payable scanner) gets out of the PDF carries the total and the reference.
            var text = string.Join("\n", document.GetPages().Select(p => p.Text));
            Assert.Contains("225,90", text, StringComparison.Ordinal);
            Assert.Contains(ReferenceNumbers.Grouped(reference), text, StringComparison.Ordinal);
            Assert.Contains(ReferenceNumbers.Grouped(accepted["invoice"]!["creditorReference"]!.GetValue<string>()), text, StringComparison.Ordinal);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orders/{id}/invoice");
        request.Headers.Accept.ParseAdd("application/xml");
        using var xml = await sellerClient.SendAsync(request);
        var finvoice = await xml.Content.ReadAsStringAsync();
        Assert.Equal("application/xml", xml.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reference, finvoice, StringComparison.Ordinal);
        Assert.Contains("225,90", finvoice, StringComparison.Ordinal);

        var asBuyer = await ReadAsync(await buyerClient.GetAsync("/api/v1/orders?role=buyer&status=completed"), HttpStatusCode.OK);
        Assert.Equal([id], asBuyer["items"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()));
        var asSeller = await ReadAsync(await sellerClient.GetAsync("/api/v1/orders?role=buyer"), HttpStatusCode.OK);
        Assert.Empty(asSeller["items"]!.AsArray());
    }

    [Fact]
    public async Task Cancel_AnAcceptedOrder_ReturnsItsQuantityToTheLot()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 400);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(Server.Client(buyer), lot, 400)).Id();
        await StepAsync(sellerClient, id, "accept");
        Assert.Equal("sold-out", (await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK))["status"]!.GetValue<string>());

        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = " " }), HttpStatusCode.UnprocessableEntity, "validation-failed", "reason");
        var cancelled = await StepAsync(sellerClient, id, "cancel", new { reason = "The pallets were damaged in storage" });

        Assert.Equal("cancelled", cancelled.Status());
        // Its invoice is void: nothing outstanding, and no document that tells the buyer to pay. The issued invoice stays
        // readable for the books, marked void and naming the credit note that takes it back; no Finvoice for a bank.
        Assert.Equal(0, cancelled["invoice"]!["outstandingMinor"]!.GetValue<long>());
        await ProblemAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=finvoice"), HttpStatusCode.Conflict, "invoice-void");
        var kept = await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((true, 0L, cancelled["invoice"]!["creditNote"]!["number"]!.GetValue<string>()),
            (kept["void"]!.GetValue<bool>(), kept["balanceMinor"]!.GetValue<long>(), kept["creditNoteNumber"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await sellerClient.GetAsync($"/api/v1/orders/{id}/invoice?format=pdf")).StatusCode);

        var after = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal(("active", 400m, 0m), (after["status"]!.GetValue<string>(), after["quantities"]!["available"]!.GetValue<decimal>(), after["quantities"]!["sold"]!.GetValue<decimal>()));
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/accept", new { }), HttpStatusCode.Conflict, "invalid-transition");
    }

    [Fact]
    public async Task Dispute_ResolvedByAnAdminWithAPartialRefund_CompletesWithTheRefund()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var id = (await PlaceAsync(buyerClient, lot, 400)).Id();
        await StepAsync(sellerClient, id, "accept");
        await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/invoice/payments", new { amountMinor = 22590 }), HttpStatusCode.OK);
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/invoice/payments", new { amountMinor = 1 }), HttpStatusCode.UnprocessableEntity, "payment-exceeds-total", "amountMinor");
        var code = (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK))["pickupCode"]!.GetValue<string>();
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/handover", new { pickupCode = code == "000000" ? "000001" : "000000" }),
            HttpStatusCode.UnprocessableEntity, "pickup-code-wrong", "pickupCode");
        await StepAsync(sellerClient, id, "handover", new { pickupCode = code });
        await StepAsync(buyerClient, id, "dispute", new { reason = "A third of the bricks are cracked" });
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/orders/{id}/complete", new { }), HttpStatusCode.Conflict, "invalid-transition");
        await ProblemAsync(await buyerClient.PostAsJsonAsync($"/api/v1/orders/{id}/resolve", new { outcome = "complete" }), HttpStatusCode.Forbidden, "insufficient-scope");
        using var admin = Server.BearerClient(await PlatformAdminTokenAsync());

        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/orders/{id}/resolve", new { outcome = "refund", refundMinor = 22591 }),
            HttpStatusCode.UnprocessableEntity, "refund-exceeds-paid", "refundMinor");
        var resolved = await StepAsync(admin, id, "resolve", new { outcome = "refund", refundMinor = 7530, note = "A third refunded" });

        Assert.Equal("completed", resolved.Status());
        Assert.Equal((22590L, 7530L), (resolved["payment"]!["paidMinor"]!.GetValue<long>(), resolved["payment"]!["refundedMinor"]!.GetValue<long>()));
        var audit = await ReadAsync(await admin.GetAsync($"/api/v1/orders/{id}/audit"), HttpStatusCode.OK);
        Assert.Equal("disputed", audit["entries"]!.AsArray()[^1]!["from"]!.GetValue<string>());
    }

    /// <summary>
    /// A disputed invoice order the buyer has paid only in part: the resolution takes what is still owed off the
    /// invoice first (a credit the documents show) and refunds the rest; one of everything voids the invoice.
    /// </summary>
    [Fact]
    public async Task Dispute_OnAnInvoiceNotPaidInFull_CreditsTheInvoiceBeforeRefunding()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        using var admin = Server.BearerClient(await PlatformAdminTokenAsync());

        async Task<string> DisputedAsync(long paid)
        {
            var id = (await PlaceAsync(buyerClient, lot, 100)).Id();
            await StepAsync(sellerClient, id, "accept");
            if (paid > 0)
            {
                await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/invoice/payments", new { amountMinor = paid }), HttpStatusCode.OK);
            }

            await StepAsync(buyerClient, id, "handover");
            await StepAsync(buyerClient, id, "dispute", new { reason = "Half of it was rotten" });
            return id;
        }

        // Nothing paid: a third off what the invoice asks, no refund; the buyer owes the rest, and the documents say so.
        var unpaid = await DisputedAsync(0);
        var gross = (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{unpaid}"), HttpStatusCode.OK))["totals"]!["grossMinor"]!.GetValue<long>();
        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/orders/{unpaid}/resolve", new { outcome = "refund", refundMinor = gross + 1 }),
            HttpStatusCode.UnprocessableEntity, "refund-exceeds-paid", "refundMinor");
        var third = gross / 3;
        var resolved = await StepAsync(admin, unpaid, "resolve", new { outcome = "refund", refundMinor = third, note = "A third off" });
        Assert.Equal(("completed", 0L), (resolved.Status(), resolved["payment"]!["refundedMinor"]!.GetValue<long>()));
        Assert.Equal((third, gross - third, false), (resolved["invoice"]!["creditedMinor"]!.GetValue<long>(),
            resolved["invoice"]!["outstandingMinor"]!.GetValue<long>(), resolved["invoice"]!["paid"]!.GetValue<bool>()));
        var document = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{unpaid}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((third, gross - third), (document["creditedMinor"]!.GetValue<long>(), document["balanceMinor"]!.GetValue<long>()));
        var finvoice = await (await buyerClient.GetAsync($"/api/v1/orders/{unpaid}/invoice?format=finvoice")).Content.ReadAsStringAsync();
        var owed = ((gross - third) / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture).Replace('.', ',');
        Assert.Contains($"<EpiInstructedAmount AmountCurrencyIdentifier=\"EUR\">{owed}</EpiInstructedAmount>", finvoice);
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{unpaid}/invoice/payments", new { amountMinor = gross - third + 1 }),
            HttpStatusCode.UnprocessableEntity, "payment-exceeds-total", "amountMinor");
        var settled = await ReadAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{unpaid}/invoice/payments", new { amountMinor = gross - third }), HttpStatusCode.OK);
        Assert.Equal((0L, true), (settled["invoice"]!["outstandingMinor"]!.GetValue<long>(), settled["invoice"]!["paid"]!.GetValue<bool>()));

        // Partly paid, everything back: the rest of the invoice credited, the payment refunded, the invoice void.
        var partly = await DisputedAsync(1000);
        var all = await StepAsync(admin, partly, "resolve", new { outcome = "refund", refundMinor = gross });
        Assert.Equal(("refunded", 1000L, gross - 1000, 0L), (all.Status(), all["payment"]!["refundedMinor"]!.GetValue<long>(),
            all["invoice"]!["creditedMinor"]!.GetValue<long>(), all["invoice"]!["outstandingMinor"]!.GetValue<long>()));
        await ProblemAsync(await buyerClient.GetAsync($"/api/v1/orders/{partly}/invoice?format=finvoice"), HttpStatusCode.Conflict, "invoice-void");
        var kept = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{partly}/invoice?format=json"), HttpStatusCode.OK);
        Assert.Equal((true, 0L), (kept["void"]!.GetValue<bool>(), kept["balanceMinor"]!.GetValue<long>()));

        var lotAfter = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal(200m, lotAfter["quantities"]!["sold"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Checkout_BadInputOnEveryField_Is400Or422AndStoresNothing()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var client = Server.Client(buyer);
        var hold = await HoldAsync(client, lot, 10);
        var good = Checkout(lot, hold);

        var cases = new (Action<JsonObject> Change, string Field)[]
        {
            (c => c.Remove("listingId"), "listingId"),
            (c => c.Remove("holdId"), "holdId"),
            (c => c["fulfilment"] = "drone", "fulfilment"),
            (c => c["fulfilment"] = "delivery", "fulfilment"),
            (c => c["paymentMethod"] = "cash", "paymentMethod"),
            (c => c.Remove("address"), "address"),
            (c => c["address"]!["address"] = "", "address.address"),
            (c => c["address"]!["postalCode"] = "1234", "address.postalCode"),
            (c => c["address"]!["municipality"] = null, "address.municipality"),
            (c => c["address"]!["latitude"] = 91, "address.latitude"),
            (c => c["address"]!["longitude"] = null, "address.longitude"),
            (c => { c["address"]!["latitude"] = 52.5; c["address"]!["longitude"] = 13.4; }, "address"),
            (c => c["invoicing"] = new JsonObject { ["businessId"] = "1234567-0" }, "invoicing.businessId"),
            (c => c["invoicing"] = new JsonObject { ["email"] = "not mail" }, "invoicing.email"),
            (c => c["invoicing"] = new JsonObject { ["eInvoiceAddress"] = "003712345678" }, "invoicing.eInvoiceOperator"),
        };
        foreach (var (change, field) in cases)
        {
            await ProblemAsync(await client.PostAsJsonAsync("/api/v1/orders", good.With(change)), HttpStatusCode.UnprocessableEntity, "validation-failed", field);
        }

        await ProblemAsync(await client.PostAsync("/api/v1/orders", JsonBody("""{"listingId": "x", "address": {"latitude": "north"}}""")), HttpStatusCode.BadRequest, "malformed-json");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/orders", good.With(c => c["holdId"] = "no-such-hold")), HttpStatusCode.NotFound, "hold-not-found");
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/orders", good.With(c => c["listingId"] = "no-such-lot")), HttpStatusCode.NotFound, "listing-not-found");

        var listed = await ReadAsync(await client.GetAsync("/api/v1/orders"), HttpStatusCode.OK);
        Assert.Empty(listed["items"]!.AsArray());
        var placed = await ReadAsync(await client.PostAsJsonAsync("/api/v1/orders", good), HttpStatusCode.Created);
        Assert.Equal("placed", placed.Status());
    }

    [Fact]
    public async Task Order_OfOtherFirms_IsNotFoundAndNotListed()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var stranger = await RegisterFirmAsync(Server, "buyer");
        var id = (await PlaceAsync(Server.Client(buyer), await ActiveLotAsync(Server, seller, 100), 10)).Id();
        using var client = Server.Client(stranger);

        await ProblemAsync(await client.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.NotFound, "order-not-found");
        await ProblemAsync(await client.GetAsync($"/api/v1/orders/{id}/audit"), HttpStatusCode.NotFound, "order-not-found");
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = "mine now" }), HttpStatusCode.NotFound, "order-not-found");
        Assert.Empty((await ReadAsync(await client.GetAsync("/api/v1/orders"), HttpStatusCode.OK))["items"]!.AsArray());
        await ProblemAsync(await Server.Client(buyer).PostAsJsonAsync($"/api/v1/orders/{id}/accept", new { }), HttpStatusCode.Forbidden, "seller-only");
        await ProblemAsync(await client.GetAsync("/api/v1/orders?role=owner"), HttpStatusCode.UnprocessableEntity, "validation-failed", "role");

        // An order that does not exist is named in its refusals, whichever step was asked for.
        foreach (var step in new[] { "cancel", "complete", "accept" })
        {
            var missing = await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/orders/no-such-order-{step}/{step}", new { reason = "x" }), HttpStatusCode.NotFound, "order-not-found");
            Assert.Contains($"'no-such-order-{step}'", missing["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Checkout_RetriedWithTheSameKey_PlacesOneOrder()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 100);
        using var client = Server.Client(buyer);
        var hold = await HoldAsync(client, lot, 10);
        var key = Guid.NewGuid().ToString("N");

        async Task<HttpResponseMessage> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(Checkout(lot, hold)) };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }

        using var first = await PostAsync();
        using var second = await PostAsync();

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single((await ReadAsync(await client.GetAsync("/api/v1/orders"), HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task CardOrder_IntentWithFeeAndDestination_CapturedOnAccept_RefundedOnADisputeResolvedForTheBuyer()
    {
        var (seller, account) = await CardSellerAsync();
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);
        var hold = await HoldAsync(buyerClient, lot, 400);

        var placed = await ReadAsync(await buyerClient.PostAsJsonAsync("/api/v1/orders", Checkout(lot, hold).With(c => c["paymentMethod"] = "card")), HttpStatusCode.Created);
        var id = placed.Id();
        var intent = Marketplace.Testing.Payments.StripeStub.IntentIdFor(id);
        var created = fixture.Stripe.Requests.Single(r => r.Method == "POST" && r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[order_id]") == id);
        Assert.Equal(("22590", "900", account, "manual"), (created.Form["amount"], created.Form["application_fee_amount"], created.Form["transfer_data[destination]"], created.Form["capture_method"]));
        Assert.False(string.IsNullOrEmpty(created.IdempotencyKey));
        Assert.Equal((intent, "requires_payment_method"), (placed["payment"]!["externalId"]!.GetValue<string>(), placed["payment"]!["status"]!.GetValue<string>()));
        Assert.NotNull(placed["payment"]!["clientSecret"]);
        Assert.Null((await ReadAsync(await sellerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK))["payment"]!["clientSecret"]);

        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/accept", new { }), HttpStatusCode.Conflict, "payment-not-authorized");
        fixture.Stripe.ConfirmByBuyer(intent);
        // Stripe tells the marketplace that the card is authorised, within the same second as the checkout.
        await DeliverAsync(fixture.Stripe.Webhook("payment_intent.amount_capturable_updated", intent, DateTimeOffset.UtcNow));
        Assert.Equal("requires_capture", (await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK))["payment"]!["status"]!.GetValue<string>());
        var accepted = await StepAsync(sellerClient, id, "accept");
        Assert.Single(fixture.Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
        Assert.Equal(("succeeded", 22590L), (accepted["payment"]!["status"]!.GetValue<string>(), accepted["payment"]!["paidMinor"]!.GetValue<long>()));
        Assert.Null(accepted["invoice"]);

        await StepAsync(buyerClient, id, "handover");
        await StepAsync(buyerClient, id, "dispute", new { reason = "Not the bricks in the photos" });
        using var admin = Server.BearerClient(await PlatformAdminTokenAsync());
        var resolved = await StepAsync(admin, id, "resolve", new { outcome = "refund", refundMinor = 22590 });

        Assert.Equal("refunded", resolved.Status());
        var refund = fixture.Stripe.Requests.Single(r => r.Path == "/v1/refunds" && r.Form.GetValueOrDefault("payment_intent") == intent);
        Assert.Equal(("22590", "true", "true"), (refund.Form["amount"], refund.Form["reverse_transfer"], refund.Form["refund_application_fee"]));
        Assert.Null(resolved["carbon"]);
    }

    [Fact]
    public async Task Webhook_SucceededAfterTheOrderWasCancelled_ChangesNothing()
    {
        var (seller, _) = await CardSellerAsync();
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, 100);
        using var buyerClient = Server.Client(buyer);
        var hold = await HoldAsync(buyerClient, lot, 10);
        var id = (await ReadAsync(await buyerClient.PostAsJsonAsync("/api/v1/orders", Checkout(lot, hold).With(c => c["paymentMethod"] = "card")), HttpStatusCode.Created)).Id();
        var intent = Marketplace.Testing.Payments.StripeStub.IntentIdFor(id);
        fixture.Stripe.ConfirmByBuyer(intent);
        await DeliverAsync(fixture.Stripe.Webhook("payment_intent.amount_capturable_updated", intent, DateTimeOffset.UtcNow));
        var cancelled = await StepAsync(buyerClient, id, "cancel", new { reason = "Found bricks nearer" });
        Assert.Equal("canceled", cancelled["payment"]!["status"]!.GetValue<string>());

        // Delivered late and out of order: the intent as it was before the cancellation, succeeded.
        var at = DateTimeOffset.UtcNow.AddSeconds(5);
        var succeeded = fixture.Stripe.Intents[intent] with { Status = "succeeded", AmountReceived = 2_259 };
        var body = Marketplace.Testing.Payments.StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N")[..24], "payment_intent.succeeded", at.ToUnixTimeSeconds(),
            Marketplace.Testing.Payments.StripeAnswers.PaymentIntent(succeeded));
        await DeliverAsync((body, Marketplace.Testing.Payments.StripeEvents.Sign(body, at)));

        var after = await ReadAsync(await buyerClient.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK);
        Assert.Equal(("cancelled", "canceled", cancelled["version"]!.GetValue<long>()),
            (after.Status(), after["payment"]!["status"]!.GetValue<string>(), after["version"]!.GetValue<long>()));
    }

    /// <summary>Delivers a signed Stripe webhook and expects it acknowledged.</summary>
    private async Task DeliverAsync((string Body, string Signature) webhook)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/stripe/webhook") { Content = JsonBody(webhook.Body) };
        request.Headers.Add("Stripe-Signature", webhook.Signature);
        using var delivered = await Server.Client().SendAsync(request);
        Assert.True(delivered.IsSuccessStatusCode, await delivered.Content.ReadAsStringAsync());
    }

    /// <summary>A seller firm whose Stripe connected account takes charges.</summary>
    private async Task<(string Seller, string Account)> CardSellerAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var account = Marketplace.Testing.Payments.StripeStub.AccountIdFor(seller);
        var trader = Server.Services.GetRequiredService<IGrainFactory>().GetGrain<Marketplace.Grains.Traders.ITraderGrain>(seller);
        await trader.LinkStripeAccountAsync(account);
        await trader.UpdateStripeAccountAsync(new Marketplace.Domain.Traders.StripeAccountLink(account, true, true, DateTimeOffset.UtcNow));
        return (seller, account);
    }

    /// <summary>A person made platform admin, with the admin scope.</summary>
    private async Task<string> PlatformAdminTokenAsync()
    {
        using var admin = new Browser(Server.Address);
        var email = Browser.NewEmail("admin");
        await admin.RegisterAsync(email, NewBusinessId(), "Ylläpito Oy");
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var user = await users.FindByEmailAsync(email);
            user!.IsPlatformAdmin = true;
            await users.UpdateAsync(user);
        }

        return (await admin.TokensAsync(Browser.AllFirmScopes + " admin"))["access_token"]!.GetValue<string>();
    }
}
