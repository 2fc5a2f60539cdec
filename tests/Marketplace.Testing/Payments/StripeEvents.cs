using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Marketplace.Testing.Payments;

/// <summary>Webhook events shaped as Stripe's API reference shows them (api/events/object), and signed the way Stripe signs them.</summary>
public static class StripeEvents
{
    public const string Secret = "whsec_kallioLocalTestSecret0123456789";

    private static readonly string ApiVersion = global::Stripe.StripeConfiguration.ApiVersion;

    /// <summary>An event envelope around <paramref name="objectJson"/>.</summary>
    public static string Event(string id, string type, long created, string objectJson, string? previousAttributes = null) => $$"""
        {
          "id": "{{id}}",
          "object": "event",
          "account": null,
          "api_version": "{{ApiVersion}}",
          "created": {{created}},
          "data": {
            "object": {{objectJson}}{{(previousAttributes is null ? "" : $",\n    \"previous_attributes\": {previousAttributes}")}}
          },
          "livemode": false,
          "pending_webhooks": 1,
          "request": { "id": "req_KallioEvt01", "idempotency_key": "order:ord-7f3a:capture" },
          "type": "{{type}}"
        }
        """;

    /// <summary><c>Stripe-Signature: t={timestamp},v1={hex HMAC-SHA256(secret, "{timestamp}.{payload}")}</c>.</summary>
    public static string Sign(string payload, DateTimeOffset at, string secret = Secret)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{payload}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
