using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Testing.Payments;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;
using static Marketplace.Host.Tests.Payments.CardDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>
/// A card order end to end over HTTP, with Stripe played by the documented-response stub: the PaymentIntent made at
/// checkout, the capture on acceptance, and the refund of a dispute resolved for the buyer, as the requests Stripe.net sent.
/// </summary>
[Collection(ApiCollection.Name)]
public class CardOrderApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private StripeStub Stripe => fixture.Stripe;

    [Fact]
    public async Task CardOrder_DisputeResolvedWithAFullRefund_RefundsAllReversingTransferAndFee()
    {
        var (id, intent, paid, admin) = await DisputedCardOrderAsync();

        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/orders/{id}/resolve", new { outcome = "refund", refundMinor = paid + 1 }),
            HttpStatusCode.UnprocessableEntity, "refund-exceeds-paid", "refundMinor");
        Assert.DoesNotContain(Stripe.Requests, r => r.Path == "/v1/refunds" && r.Form.GetValueOrDefault("payment_intent") == intent);
        var resolved = await StepAsync(admin, id, "resolve", new { outcome = "refund", refundMinor = paid, note = "Wrong bricks delivered" });

        Assert.Equal("refunded", resolved.Status());
        AssertRefund(id, intent, paid);
        AssertMoneyAddsUp(resolved, intent, paid, refunded: paid);
        Assert.Null(resolved["carbon"]);
    }

    [Fact]
    public async Task CardOrder_DisputeResolvedWithAPartialRefund_RefundsThePartAndCompletes()
    {
        var (id, intent, paid, admin) = await DisputedCardOrderAsync();
        var part = paid / 3;

        var resolved = await StepAsync(admin, id, "resolve", new { outcome = "refund", refundMinor = part, note = "A third of the bricks are cracked" });

        Assert.Equal("completed", resolved.Status());
        AssertRefund(id, intent, part);
        AssertMoneyAddsUp(resolved, intent, paid, refunded: part);
        // Nothing more can be refunded than what is left of the payment.
        await ProblemAsync(await admin.PostAsJsonAsync($"/api/v1/orders/{id}/resolve", new { outcome = "refund", refundMinor = 1 }),
            HttpStatusCode.Conflict, "invalid-transition");
        Assert.Single(Stripe.Requests, r => r.Path == "/v1/refunds" && r.Form.GetValueOrDefault("payment_intent") == intent);
    }

    [Fact]
    public async Task CardOrder_CancelledAfterAcceptance_RefundsWhatWasCapturedAndReturnsTheQuantity()
    {
        var (seller, lot, placed) = await PlacedCardOrderAsync();
        using var sellerClient = Server.Client(seller);
        var (id, intent, paid) = (placed.Id(), StripeStub.IntentIdFor(placed.Id()), placed.Minor("totals", "grossMinor"));
        await AuthoriseAsync(Server, Stripe, intent);
        await StepAsync(sellerClient, id, "accept");

        var cancelled = await StepAsync(sellerClient, id, "cancel", new { reason = "The pallets were damaged in storage" });

        Assert.Equal("cancelled", cancelled.Status());
        var refund = Assert.Single(Stripe.Requests, r => r.Path == "/v1/refunds" && r.Form.GetValueOrDefault("payment_intent") == intent);
        Assert.Equal((paid.ToString(System.Globalization.CultureInfo.InvariantCulture), "true", "true", $"order:{id}:refund:cancel"),
            (refund.Form["amount"], refund.Form["reverse_transfer"], refund.Form["refund_application_fee"], refund.IdempotencyKey));
        Assert.DoesNotContain(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/cancel");
        AssertMoneyAddsUp(cancelled, intent, paid, refunded: paid);
        var after = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
        Assert.Equal((100m, 0m), (after["quantities"]!["available"]!.GetValue<decimal>(), after["quantities"]!["sold"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task CardOrder_AuthorisedButTheWebhookNeverCame_AcceptReadsTheIntentAndCaptures()
    {
        var (seller, _, placed) = await PlacedCardOrderAsync();
        using var sellerClient = Server.Client(seller);
        var (id, intent) = (placed.Id(), StripeStub.IntentIdFor(placed.Id()));

        // Not yet authorised: the seller is told so, and nothing is captured.
        await ProblemAsync(await sellerClient.PostAsJsonAsync($"/api/v1/orders/{id}/accept", new { }), HttpStatusCode.Conflict, "payment-not-authorized");

        // The buyer's card is authorised at Stripe, but the notification is lost: acceptance asks Stripe itself.
        Stripe.ConfirmByBuyer(intent);
        var accepted = await StepAsync(sellerClient, id, "accept");

        Assert.Equal(("accepted", "succeeded"), (accepted.Status(), accepted.PaymentStatus()));
        Assert.Contains(Stripe.Requests, r => r.Method == "GET" && r.Path == $"/v1/payment_intents/{intent}");
        Assert.Single(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
    }

    /// <summary>An onboarded seller's lot of 100 wholly checked out by card, not yet authorised: the seller, the lot, the order.</summary>
    private async Task<(string Seller, string Lot, JsonObject Placed)> PlacedCardOrderAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await OnboardAsync(Server, seller);
        var lot = await ActiveLotAsync(Server, seller, 100);
        using var buyerClient = Server.Client(buyer);
        return (seller, lot, await PlaceByCardAsync(buyerClient, lot, 100));
    }

    /// <summary>
    /// Publish → hold → checkout by card (the intent asserted as sent) → the buyer confirms → accept (the capture
    /// asserted) → handover → the buyer disputes. Returns the order, its intent, what was paid, and an admin's client.
    /// </summary>
    private async Task<(string Id, string Intent, long Paid, HttpClient Admin)> DisputedCardOrderAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await OnboardAsync(Server, seller);
        var lot = await ActiveLotAsync(Server, seller, 1000);
        using var buyerClient = Server.Client(buyer);
        using var sellerClient = Server.Client(seller);

        var placed = await PlaceByCardAsync(buyerClient, lot, 400);
        var id = placed.Id();
        var gross = placed.Minor("totals", "grossMinor");
        var fee = placed.Minor("totals", "platformFeeMinor");
        Assert.Equal(gross, placed.Minor("totals", "sellerReceivesMinor") + fee);
        var intent = StripeStub.IntentIdFor(id);
        Assert.Equal((intent, "requires_payment_method"), (placed["payment"]!["externalId"]!.GetValue<string>(), placed.PaymentStatus()));
        Assert.StartsWith($"{intent}_secret_", placed["payment"]!["clientSecret"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null((await OrderAsync(sellerClient, id))["payment"]!["clientSecret"]);

        var created = Assert.Single(Stripe.Requests, r => r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[order_id]") == id);
        Assert.Equal("POST", created.Method);
        Assert.Equal(gross.ToString(System.Globalization.CultureInfo.InvariantCulture), created.Form["amount"]);
        Assert.Equal("eur", created.Form["currency"]);
        Assert.Equal(fee.ToString(System.Globalization.CultureInfo.InvariantCulture), created.Form["application_fee_amount"]);
        Assert.Equal(StripeStub.AccountIdFor(seller), created.Form["transfer_data[destination]"]);
        Assert.Equal("manual", created.Form["capture_method"]);
        Assert.Equal((buyer, seller), (created.Form["metadata[buyer_id]"], created.Form["metadata[seller_id]"]));
        Assert.Equal($"order:{id}:authorize", created.IdempotencyKey);
        Assert.Equal(global::Stripe.StripeConfiguration.ApiVersion, created.StripeVersion);
        Assert.Equal($"Bearer {StripeStub.SecretKey}", created.Authorization);

        // The buyer's browser confirms the card with the client secret (Stripe.js); the money is authorised, not taken.
        await AuthoriseAsync(Server, Stripe, intent);
        Assert.Equal("requires_capture", (await OrderAsync(sellerClient, id)).PaymentStatus());
        Assert.DoesNotContain(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
        var accepted = await StepAsync(sellerClient, id, "accept");

        Assert.Equal(("accepted", "succeeded", gross), (accepted.Status(), accepted.PaymentStatus(), accepted.Minor("payment", "paidMinor")));
        var capture = Assert.Single(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
        Assert.Equal($"order:{id}:capture", capture.IdempotencyKey);
        Assert.Equal(global::Stripe.StripeConfiguration.ApiVersion, capture.StripeVersion);
        Assert.Equal(("succeeded", gross, fee), (Stripe.Intents[intent].Status, Stripe.Intents[intent].AmountReceived, Stripe.Intents[intent].ApplicationFee));
        Assert.Null(accepted["invoice"]);

        await StepAsync(buyerClient, id, "handover");
        await StepAsync(buyerClient, id, "dispute", new { reason = "Not what the photos showed" });
        return (id, intent, gross, Server.BearerClient(await PlatformAdminTokenAsync(Server)));
    }

    /// <summary>One refund of <paramref name="amount"/> went to Stripe for the intent, reversing the transfer and the fee.</summary>
    private void AssertRefund(string id, string intent, long amount)
    {
        var refund = Assert.Single(Stripe.Requests, r => r.Path == "/v1/refunds" && r.Form.GetValueOrDefault("payment_intent") == intent);
        Assert.Equal(amount.ToString(System.Globalization.CultureInfo.InvariantCulture), refund.Form["amount"]);
        Assert.Equal(("true", "true"), (refund.Form["reverse_transfer"], refund.Form["refund_application_fee"]));
        Assert.Equal(id, refund.Form["metadata[order_id]"]);
        Assert.Equal($"order:{id}:refund:dispute", refund.IdempotencyKey);
        Assert.Equal(global::Stripe.StripeConfiguration.ApiVersion, refund.StripeVersion);
    }

    /// <summary>The order and Stripe agree: paid = refunded + kept, and the refunds never exceed what was paid.</summary>
    private void AssertMoneyAddsUp(JsonObject order, string intent, long paid, long refunded)
    {
        var atStripe = Stripe.Intents[intent];
        var (orderPaid, orderRefunded) = (order.Minor("payment", "paidMinor"), order.Minor("payment", "refundedMinor"));
        Assert.Equal((paid, refunded), (orderPaid, orderRefunded));
        Assert.Equal((atStripe.AmountReceived, atStripe.AmountRefunded), (orderPaid, orderRefunded));
        Assert.Equal(refunded, order["refunds"]!.AsArray().Sum(r => r!["amountMinor"]!.GetValue<long>()));
        var kept = atStripe.AmountReceived - atStripe.AmountRefunded;
        Assert.Equal(orderPaid, orderRefunded + kept);
        Assert.InRange(orderRefunded, 1, orderPaid);
    }
}
