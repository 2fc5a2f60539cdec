using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Testing.Payments;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;
using static Marketplace.Host.Tests.Payments.CardDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>
/// A card order paid on Stripe's hosted Checkout page over HTTP, Stripe played by the stub: no intent at checkout, the
/// page opened (and reused) by card-checkout, the intent the page made bound by its first webhook event and captured on
/// acceptance; a cancelled order's open page is expired.
/// </summary>
[Collection(ApiCollection.Name)]
public class HostedCardCheckoutApiTests(ServerFixture fixture)
{
    private const string ReturnUrl = "https://marketplace.example/orders/back";

    private MarketplaceServer Server => fixture.Server;

    private StripeStub Stripe => fixture.Stripe;

    [Fact]
    public async Task HostedCardOrder_PaidOnStripesPage_IsAuthorisedByTheWebhookAndCapturedOnAcceptance()
    {
        var (seller, buyer, placed) = await PlacedHostedOrderAsync();
        var id = placed.Id();
        Assert.Equal(("requires_payment_method", true), (placed.PaymentStatus(), placed["payment"]!["hostedCheckout"]!.GetValue<bool>()));
        Assert.DoesNotContain(Stripe.Requests, r => r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[order_id]") == id);

        var started = await StepAsync(buyer, id, "card-checkout", new { returnUrl = ReturnUrl });
        var again = await StepAsync(buyer, id, "card-checkout", new { returnUrl = ReturnUrl });
        var url = started["payment"]!["checkoutUrl"]!.GetValue<string>();
        var session = Assert.Single(Stripe.Sessions.Values, s => s.ClientReferenceId == id);
        Assert.Equal(session.Url, url);
        Assert.Equal(url, again["payment"]!["checkoutUrl"]!.GetValue<string>());
        Assert.Equal((placed.Minor("totals", "grossMinor"), placed.Minor("totals", "platformFeeMinor"), "manual"), (session.Amount, session.ApplicationFee, session.CaptureMethod));
        Assert.Equal(StripeStub.AccountIdFor(placed["sellerId"]!.GetValue<string>()), session.Destination);
        Assert.Equal((id, ReturnUrl), (session.IntentMetadata["order_id"], session.SuccessUrl));
        // The seller sees neither the page nor its address.
        Assert.Null((await OrderAsync(seller, id))["payment"]!["checkoutUrl"]);

        var intent = Stripe.PayOnCheckoutPage(session.Id);
        var (body, signature) = PaymentEvent(Stripe, "payment_intent.amount_capturable_updated", intent.Id, DateTimeOffset.UtcNow);
        await ReadAsync(await PostWebhookAsync(Server, body, signature), HttpStatusCode.OK);
        var authorised = await OrderAsync(buyer, id);
        Assert.Equal(("requires_capture", intent.Id), (authorised.PaymentStatus(), authorised["payment"]!["externalId"]!.GetValue<string>()));
        await ProblemAsync(await buyer.PostAsJsonAsync($"/api/v1/orders/{id}/card-checkout", new { returnUrl = ReturnUrl }), HttpStatusCode.Conflict, "payment-already-authorized");

        var accepted = await StepAsync(seller, id, "accept");
        Assert.Equal(("accepted", "succeeded"), (accepted.Status(), accepted.PaymentStatus()));
        Assert.Single(Stripe.Requests, r => r.Path == $"/v1/payment_intents/{intent.Id}/capture");
    }

    [Fact]
    public async Task HostedCardOrder_CancelledWithThePageOpen_ExpiresThePage_BadCallsAreProblems()
    {
        var (seller, buyer, placed) = await PlacedHostedOrderAsync();
        var id = placed.Id();
        await ProblemAsync(await buyer.PostAsJsonAsync($"/api/v1/orders/{id}/card-checkout", new { returnUrl = "/orders/back" }),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "returnUrl");
        await ProblemAsync(await seller.PostAsJsonAsync($"/api/v1/orders/{id}/card-checkout", new { returnUrl = ReturnUrl }), HttpStatusCode.Forbidden, "buyer-only");
        var started = await StepAsync(buyer, id, "card-checkout", new { returnUrl = ReturnUrl });
        var session = Assert.Single(Stripe.Sessions.Values, s => s.ClientReferenceId == id);

        var cancelled = await StepAsync(buyer, id, "cancel", new { reason = "Plans changed" });

        Assert.Equal(("cancelled", "canceled"), (cancelled.Status(), cancelled.PaymentStatus()));
        Assert.Equal("expired", Stripe.Sessions[session.Id].Status);
        Assert.NotNull(started["payment"]!["checkoutUrl"]);

        // An invoice order has no card page.
        var lot = await ActiveLotAsync(Server, placed["sellerId"]!.GetValue<string>(), 100);
        var invoiced = await PlaceAsync(buyer, lot, 10);
        await ProblemAsync(await buyer.PostAsJsonAsync($"/api/v1/orders/{invoiced.Id()}/card-checkout", new { returnUrl = ReturnUrl }),
            HttpStatusCode.Conflict, "hosted-checkout-unavailable");
    }

    /// <summary>An onboarded seller's lot of 100 wholly checked out by card on the hosted page: the seller's and buyer's clients, the order.</summary>
    private async Task<(HttpClient Seller, HttpClient Buyer, JsonObject Placed)> PlacedHostedOrderAsync()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        await OnboardAsync(Server, seller);
        var lot = await ActiveLotAsync(Server, seller, 100);
        var buyerClient = Server.Client(buyer);
        var hold = await HoldAsync(buyerClient, lot, 100);
        var checkout = CardCheckout(lot, hold);
        checkout["hostedCheckout"] = true;
        var placed = await ReadAsync(await buyerClient.PostAsJsonAsync("/api/v1/orders", checkout), HttpStatusCode.Created);
        return (Server.Client(seller), buyerClient, placed);
    }
}
