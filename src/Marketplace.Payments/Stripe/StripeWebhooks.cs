using System.Text.Json;
using global::Stripe;
using Marketplace.Domain.Common;

namespace Marketplace.Payments.Stripe;

/// <summary>A connected account's change, from an <c>account.updated</c> event.</summary>
/// <param name="EventId">Stripe's event id.</param>
/// <param name="Created">When Stripe created the event.</param>
/// <param name="Account">The account as the event shows it.</param>
public sealed record StripeAccountEvent(string EventId, DateTimeOffset Created, StripeAccountStatus Account);

/// <summary>A verified webhook event: a payment event, an account event, or another type the marketplace ignores.</summary>
/// <param name="EventId">Stripe's event id (each is processed once).</param>
/// <param name="Type">Stripe's event type.</param>
/// <param name="Created">When Stripe created the event.</param>
/// <param name="Payment">For <c>payment_intent.*</c> and <c>charge.refunded</c>.</param>
/// <param name="Account">For <c>account.updated</c>.</param>
public sealed record StripeWebhookEvent(string EventId, string Type, DateTimeOffset Created, PaymentEvent? Payment, StripeAccountEvent? Account);

/// <summary>
/// A webhook request whose signature, age or body is not acceptable; nothing in it may be acted on. <see cref="Signed"/>
/// tells a body that verified but cannot be read as an event from one whose signature failed.
/// </summary>
public sealed class StripeWebhookRejectedException(string message, Exception? inner = null, bool signed = false) : Exception(message, inner)
{
    /// <summary>True when the signature verified and the body itself is what could not be used.</summary>
    public bool Signed { get; } = signed;
}

/// <summary>
/// Verifies Stripe webhook requests (<c>Stripe-Signature: t=…,v1=…</c>, an HMAC-SHA256 of <c>"{t}.{body}"</c> with the
/// endpoint's secret, no older than the tolerance) and reads the events the marketplace acts on. The body is read as
/// plain JSON rather than through the library's typed event, so an event rendered in another API version than the
/// library's is still understood: only long-stable fields (ids, status, amounts, metadata) are read.
/// </summary>
public sealed class StripeWebhooks
{
    /// <summary>Payment events handled.</summary>
    public static readonly IReadOnlySet<string> PaymentTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "payment_intent.succeeded", "payment_intent.canceled", "payment_intent.amount_capturable_updated", "payment_intent.payment_failed",
        "charge.refunded",
    };

    /// <summary>The account event handled.</summary>
    public const string AccountUpdated = "account.updated";

    private readonly string _secret;
    private readonly long _toleranceSeconds;
    private readonly TimeProvider _time;

    /// <summary>Verifies with the endpoint's signing <paramref name="secret"/>, refusing signatures older than <paramref name="toleranceSeconds"/>.</summary>
    public StripeWebhooks(string secret, long toleranceSeconds, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        _secret = secret;
        _toleranceSeconds = toleranceSeconds;
        _time = time;
    }

    /// <summary>The verified event in <paramref name="payload"/> (the raw request body).</summary>
    /// <exception cref="StripeWebhookRejectedException">A missing or wrong signature, a stale timestamp, or a body that is not an event.</exception>
    public StripeWebhookEvent Verify(string payload, string? signatureHeader)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            throw new StripeWebhookRejectedException("The request has no Stripe-Signature header.");
        }

        try
        {
            EventUtility.ValidateSignature(payload, signatureHeader, _secret, _toleranceSeconds, _time.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException e)
        {
            throw new StripeWebhookRejectedException($"The Stripe-Signature does not verify: {e.Message}", e);
        }

        try
        {
            return Parse(payload);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StripeWebhookRejectedException($"The signature verified, but the body is not a Stripe event the marketplace can read ({e.Message}).", e, signed: true);
        }
    }

    private static StripeWebhookEvent Parse(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        if (root.GetProperty("object").GetString() != "event")
        {
            throw new FormatException("not an event");
        }

        var eventId = root.GetProperty("id").GetString() ?? throw new FormatException("no id");
        var type = root.GetProperty("type").GetString() ?? throw new FormatException("no type");
        var created = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("created").GetInt64());
        var data = root.GetProperty("data").GetProperty("object");

        if (PaymentTypes.Contains(type))
        {
            return new StripeWebhookEvent(eventId, type, created, PaymentOf(eventId, type, created, data), null);
        }

        if (type == AccountUpdated)
        {
            var account = new StripeAccountStatus(data.GetProperty("id").GetString()!, Bool(data, "charges_enabled"), Bool(data, "payouts_enabled"),
                Bool(data, "details_submitted"), Metadata(data, StripeMetadata.TraderId));
            return new StripeWebhookEvent(eventId, type, created, null, new StripeAccountEvent(eventId, created, account));
        }

        return new StripeWebhookEvent(eventId, type, created, null, null);
    }

    private static PaymentEvent PaymentOf(string eventId, string type, DateTimeOffset created, JsonElement data)
    {
        var currency = data.TryGetProperty("currency", out var c) && c.GetString() is { } code ? code.ToUpperInvariant() : Money.DefaultCurrency;
        if (type == "charge.refunded")
        {
            // A charge: the refunded total so far; the PaymentIntent is the payment the order knows.
            var status = Bool(data, "refunded") ? "refunded" : "partially_refunded";
            return new PaymentEvent(eventId, type, created, Metadata(data, StripeMetadata.OrderId), String(data, "payment_intent"), status,
                new Money(Long(data, "amount_refunded"), currency));
        }

        // A PaymentIntent: what the event is about (authorised, captured, or the whole amount when neither applies).
        var amount = type switch
        {
            "payment_intent.amount_capturable_updated" => Long(data, "amount_capturable"),
            "payment_intent.succeeded" => Long(data, "amount_received"),
            _ => Long(data, "amount"),
        };
        return new PaymentEvent(eventId, type, created, Metadata(data, StripeMetadata.OrderId), String(data, "id"), String(data, "status"),
            new Money(amount, currency));
    }

    private static string? String(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? Metadata(JsonElement e, string key)
        => e.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? String(m, key) : null;
}
