using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Identity;
using Marketplace.Identity;
using Marketplace.Testing.Payments;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;
using static Marketplace.Host.Tests.Orders.OrderDriver;

namespace Marketplace.Host.Tests.Payments;

/// <summary>
/// Drives card orders over HTTP with Stripe played by <see cref="StripeStub"/>: the seller onboards and Stripe reports
/// the account ready, the buyer checks out by card, and Stripe's webhook deliveries are posted as Stripe posts them.
/// </summary>
internal static class CardDriver
{
    public const string Onboarding = "/api/v1/payments/stripe/onboarding";
    public const string Webhook = "/api/v1/payments/stripe/webhook";

    /// <summary>The seller onboards; then Stripe reports its account as taking charges (or not).</summary>
    public static async Task OnboardAsync(MarketplaceServer server, string sellerId, bool chargesEnabled = true)
    {
        await ReadAsync(await server.Client(sellerId).PostAsync(Onboarding, null), HttpStatusCode.OK);
        var (body, signature) = StripeStub.AccountUpdated(sellerId, chargesEnabled, DateTimeOffset.UtcNow);
        await ReadAsync(await PostWebhookAsync(server, body, signature), HttpStatusCode.OK);
    }

    /// <summary>A checkout of a hold by card (pickup in Espoo).</summary>
    public static JsonObject CardCheckout(string lotId, string holdId) => Checkout(lotId, holdId).With(c => c["paymentMethod"] = "card");

    /// <summary>The buyer holds and checks out by card; returns the order.</summary>
    public static async Task<JsonObject> PlaceByCardAsync(HttpClient buyer, string lotId, decimal quantity = 400)
    {
        var hold = await HoldAsync(buyer, lotId, quantity);
        return await ReadAsync(await buyer.PostAsJsonAsync("/api/v1/orders", CardCheckout(lotId, hold)), HttpStatusCode.Created);
    }

    /// <summary>
    /// The buyer's browser confirms the card (Stripe.js), and Stripe tells the marketplace that the intent is authorised
    /// (<c>payment_intent.amount_capturable_updated</c>): the seller may accept after this.
    /// </summary>
    public static async Task AuthoriseAsync(MarketplaceServer server, StripeStub stub, string intentId)
    {
        stub.ConfirmByBuyer(intentId);
        var (body, signature) = PaymentEvent(stub, "payment_intent.amount_capturable_updated", intentId, DateTimeOffset.UtcNow);
        await ReadAsync(await PostWebhookAsync(server, body, signature), HttpStatusCode.OK);
    }

    /// <summary>
    /// A signed delivery of a payment event about the intent as the stub now knows it, created at
    /// <paramref name="created"/> (the time Stripe made the event) and signed now (when Stripe sends it).
    /// </summary>
    public static (string Body, string Signature) PaymentEvent(StripeStub stub, string type, string intentId, DateTimeOffset created, string? eventId = null)
    {
        var body = stub.Webhook(type, intentId, created, eventId).Body;
        return (body, StripeEvents.Sign(body, DateTimeOffset.UtcNow));
    }

    /// <summary>Posts a webhook body as Stripe does, with its <c>Stripe-Signature</c> header when given.</summary>
    public static async Task<HttpResponseMessage> PostWebhookAsync(MarketplaceServer server, string body, string? signature)
    {
        using var client = server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, Webhook) { Content = JsonBody(body) };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await client.SendAsync(request);
    }

    /// <summary>The order as <paramref name="client"/> reads it.</summary>
    public static async Task<JsonObject> OrderAsync(HttpClient client, string orderId)
        => await ReadAsync(await client.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.OK);

    /// <summary>The order's audit entries.</summary>
    public static async Task<JsonArray> AuditAsync(HttpClient client, string orderId)
        => (await ReadAsync(await client.GetAsync($"/api/v1/orders/{orderId}/audit"), HttpStatusCode.OK))["entries"]!.AsArray();

    /// <summary>A minor-units amount of the order, e.g. <c>("totals", "grossMinor")</c>.</summary>
    public static long Minor(this JsonObject order, string section, string field) => order[section]![field]!.GetValue<long>();

    /// <summary>The card payment's provider status.</summary>
    public static string PaymentStatus(this JsonObject order) => order["payment"]!["status"]!.GetValue<string>();

    /// <summary>A person made platform admin, with the admin scope; returns their token.</summary>
    public static async Task<string> PlatformAdminTokenAsync(MarketplaceServer server)
    {
        using var admin = new Browser(server.Address);
        var email = Browser.NewEmail("admin");
        await admin.RegisterAsync(email, NewBusinessId(), "Ylläpito Oy");
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var user = await users.FindByEmailAsync(email);
            user!.IsPlatformAdmin = true;
            await users.UpdateAsync(user);
        }

        return (await admin.TokensAsync(Browser.AllFirmScopes + " admin"))["access_token"]!.GetValue<string>();
    }
}
