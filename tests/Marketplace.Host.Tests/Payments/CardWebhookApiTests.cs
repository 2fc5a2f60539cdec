using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Testing.Payments;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;
using static Marketplace.Host.Tests.Payments.CardDriver;

namespace Marketplace.Host.Tests.Payments;

/// <summary>Stripe's webhook over HTTP, applied to real card orders by the orders' sink.</summary>
[Collection(ApiCollection.Name)]
public class CardWebhookApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    private StripeStub Stripe => fixture.Stripe;

    [Fact]
    public async Task Webhook_ReplayedEvents_AreProcessedOnce()
    {
        var (id, intent, buyer, seller) = await ConfirmedCardOrderAsync();
        var placedAt = (await OrderAsync(buyer, id))["placedAt"]!.GetValue<DateTimeOffset>();
        var authorised = PaymentEvent(Stripe, "payment_intent.amount_capturable_updated", intent, placedAt.AddSeconds(2));

        var first = await ReadAsync(await PostWebhookAsync(Server, authorised.Body, authorised.Signature), HttpStatusCode.OK);
        // Stripe redelivers the same event (same id and body) with a fresh signature.
        var again = await ReadAsync(await PostWebhookAsync(Server, authorised.Body, StripeEvents.Sign(authorised.Body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);

        Assert.Equal((false, true), (first["duplicate"]!.GetValue<bool>(), again["duplicate"]!.GetValue<bool>()));
        var eventId = first["eventId"]!.GetValue<string>();
        Assert.Single(await AuditAsync(buyer, id), e => e!["change"]!.GetValue<string>().Contains(eventId, StringComparison.Ordinal));
        Assert.Equal("requires_capture", (await OrderAsync(buyer, id)).PaymentStatus());

        // After acceptance Stripe reports the capture: a replay of payment_intent.succeeded is answered as a duplicate
        // and, like the first delivery (the order already knows the capture), changes nothing.
        var accepted = await StepAsync(seller, id, "accept");
        var succeeded = PaymentEvent(Stripe, "payment_intent.succeeded", intent, DateTimeOffset.UtcNow.AddSeconds(2));
        var firstSuccess = await ReadAsync(await PostWebhookAsync(Server, succeeded.Body, succeeded.Signature), HttpStatusCode.OK);
        var replayedSuccess = await ReadAsync(await PostWebhookAsync(Server, succeeded.Body, StripeEvents.Sign(succeeded.Body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);

        Assert.Equal((false, true), (firstSuccess["duplicate"]!.GetValue<bool>(), replayedSuccess["duplicate"]!.GetValue<bool>()));
        var after = await OrderAsync(buyer, id);
        Assert.Equal(("accepted", "succeeded", accepted["version"]!.GetValue<long>()), (after.Status(), after.PaymentStatus(), after["version"]!.GetValue<long>()));
        Assert.Single(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
    }

    [Fact]
    public async Task Webhook_BadSignature_Is400AndTheOrderIsUnchanged()
    {
        var (id, intent, buyer, _) = await ConfirmedCardOrderAsync();
        var before = await OrderAsync(buyer, id);
        var auditBefore = (await AuditAsync(buyer, id)).Count;
        var (body, signature) = PaymentEvent(Stripe, "payment_intent.amount_capturable_updated", intent, before["placedAt"]!.GetValue<DateTimeOffset>().AddSeconds(2));

        await ProblemAsync(await PostWebhookAsync(Server, body, StripeEvents.Sign(body, DateTimeOffset.UtcNow, "whsec_notTheEndpointsSecret")),
            HttpStatusCode.BadRequest, "invalid-stripe-signature");
        await ProblemAsync(await PostWebhookAsync(Server, body.Replace("requires_capture", "succeeded", StringComparison.Ordinal), signature),
            HttpStatusCode.BadRequest, "invalid-stripe-signature");
        await ProblemAsync(await PostWebhookAsync(Server, body, null), HttpStatusCode.BadRequest, "invalid-stripe-signature");

        var after = await OrderAsync(buyer, id);
        Assert.Equal((before.PaymentStatus(), before["version"]!.GetValue<long>()), (after.PaymentStatus(), after["version"]!.GetValue<long>()));
        Assert.Equal(auditBefore, (await AuditAsync(buyer, id)).Count);
        // The same event correctly signed is applied: the refusals above were the signature's doing, and marked nothing.
        Assert.False((await ReadAsync(await PostWebhookAsync(Server, body, signature), HttpStatusCode.OK))["duplicate"]!.GetValue<bool>());
        Assert.Equal("requires_capture", (await OrderAsync(buyer, id)).PaymentStatus());
    }

    [Fact]
    public async Task Webhook_SucceededAfterTheOrderWasCancelled_ChangesNothing()
    {
        var (id, intent, buyer, _) = await ConfirmedCardOrderAsync();
        var placedAt = (await OrderAsync(buyer, id))["placedAt"]!.GetValue<DateTimeOffset>();
        var cancelled = await StepAsync(buyer, id, "cancel", new { reason = "Found bricks nearer" });
        Assert.Equal(("cancelled", "canceled"), (cancelled.Status(), cancelled.PaymentStatus()));
        Assert.Equal($"order:{id}:cancel", Stripe.Single("POST", $"/v1/payment_intents/{intent}/cancel").IdempotencyKey);

        // A success Stripe made before the cancellation but delivered after it, and one stamped after it (as a
        // capture outside the marketplace would be): neither brings the order back or records money.
        var succeeded = StripeAnswers.PaymentIntent(Stripe.Intents[intent] with { Status = "succeeded", AmountCapturable = 0, AmountReceived = Stripe.Intents[intent].Amount });
        foreach (var created in new[] { placedAt.AddSeconds(1), DateTimeOffset.UtcNow.AddSeconds(2) })
        {
            var body = StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N")[..24], "payment_intent.succeeded", created.ToUnixTimeSeconds(), succeeded);
            await ReadAsync(await PostWebhookAsync(Server, body, StripeEvents.Sign(body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);
        }

        var after = await OrderAsync(buyer, id);
        Assert.Equal(("cancelled", "canceled", cancelled["version"]!.GetValue<long>(), 0L),
            (after.Status(), after.PaymentStatus(), after["version"]!.GetValue<long>(), after.Minor("payment", "paidMinor")));
        Assert.DoesNotContain(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent}/capture");
    }

    [Fact]
    public async Task Webhook_EventOlderThanTheLastPaymentChange_ChangesNothing()
    {
        var (id, intent, buyer, seller) = await ConfirmedCardOrderAsync();
        var authorised = Stripe.Intents[intent];
        var notice = PaymentEvent(Stripe, "payment_intent.amount_capturable_updated", intent, DateTimeOffset.UtcNow);
        await ReadAsync(await PostWebhookAsync(Server, notice.Body, notice.Signature), HttpStatusCode.OK);
        var accepted = await StepAsync(seller, id, "accept");
        var acceptedAt = accepted["acceptedAt"]!.GetValue<DateTimeOffset>();
        var auditAfterAccept = (await AuditAsync(buyer, id)).Count;

        // Stripe's notice of the authorisation, made before the seller accepted (a second before, or earlier in the
        // second of the capture: Stripe's times are whole seconds), is delivered after the capture.
        foreach (var created in new[] { acceptedAt.AddSeconds(-1), acceptedAt })
        {
            var body = StripeEvents.Event("evt_" + Guid.NewGuid().ToString("N")[..24], "payment_intent.amount_capturable_updated",
                created.ToUnixTimeSeconds(), StripeAnswers.PaymentIntent(authorised));
            var answer = await ReadAsync(await PostWebhookAsync(Server, body, StripeEvents.Sign(body, DateTimeOffset.UtcNow)), HttpStatusCode.OK);
            Assert.False(answer["duplicate"]!.GetValue<bool>());
        }

        var after = await OrderAsync(buyer, id);
        Assert.Equal(("accepted", "succeeded", accepted["version"]!.GetValue<long>()), (after.Status(), after.PaymentStatus(), after["version"]!.GetValue<long>()));
        Assert.Equal(auditAfterAccept, (await AuditAsync(buyer, id)).Count);
    }

    [Fact]
    public async Task Webhook_AuthorisationNoticeFromTheSecondOfCheckout_IsApplied()
    {
        var (id, intent, buyer, _) = await ConfirmedCardOrderAsync();
        var checkedOut = await OrderAsync(buyer, id);
        // The buyer confirmed at once: Stripe's event is stamped with the same whole second as the checkout's change.
        var (body, signature) = PaymentEvent(Stripe, "payment_intent.amount_capturable_updated", intent, checkedOut["updatedAt"]!.GetValue<DateTimeOffset>());

        await ReadAsync(await PostWebhookAsync(Server, body, signature), HttpStatusCode.OK);

        var after = await OrderAsync(buyer, id);
        Assert.Equal(("requires_capture", checkedOut["version"]!.GetValue<long>() + 1), (after.PaymentStatus(), after["version"]!.GetValue<long>()));
    }

    /// <summary>A card order placed and confirmed in the buyer's browser (not yet accepted); returns its id, intent and both parties' clients.</summary>
    private async Task<(string Id, string Intent, HttpClient Buyer, HttpClient Seller)> ConfirmedCardOrderAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await OnboardAsync(Server, seller);
        var lot = await ActiveLotAsync(Server, seller, 500);
        var buyerClient = Server.Client(buyer);
        var id = (await PlaceByCardAsync(buyerClient, lot, 100)).Id();
        var intent = StripeStub.IntentIdFor(id);
        Stripe.ConfirmByBuyer(intent);
        return (id, intent, buyerClient, Server.Client(seller));
    }
}
