using System.Globalization;
using System.Text.Json;

namespace Marketplace.Testing.Payments;

/// <summary>A PaymentIntent as the stub keeps it.</summary>
public sealed record StripeIntent(
    string Id, long Amount, string Currency, long ApplicationFee, string Destination, IReadOnlyDictionary<string, string> Metadata, string Status,
    long AmountCapturable = 0, long AmountReceived = 0, long AmountRefunded = 0, string? LatestCharge = null, long? CanceledAt = null)
{
    /// <summary>The order in the intent's metadata.</summary>
    public string? OrderId => Metadata.GetValueOrDefault("order_id");
}

/// <summary>A Checkout Session as the stub keeps it: what the page will charge, and the intent it made once paid.</summary>
public sealed record StripeSession(
    string Id, long Amount, string Currency, long ApplicationFee, string Destination, string CaptureMethod, IReadOnlyDictionary<string, string> IntentMetadata,
    string SuccessUrl, string CancelUrl, string? ClientReferenceId, long Created, long ExpiresAt, string Status, string? PaymentIntentId = null)
{
    /// <summary>Where the buyer's browser is sent: Stripe's hosted page.</summary>
    public string Url => "https://checkout.stripe.com/c/pay/" + Id;
}

/// <summary>
/// Answers shaped as Stripe's API reference shows them (api/payment_intents/object, api/refunds/object,
/// api/accounts/object, api/account_links/object, api/charges/object, api/errors). The defaults are the tests' order:
/// 184,49 € with a 14,76 € platform fee to acct_1SellerKallio.
/// </summary>
public static class StripeAnswers
{
    public const string IntentId = "pi_3QxKallioBricks0a1b2c3d";
    public const string SellerAccount = "acct_1SellerKallio";
    public const string ChargeId = "ch_3QxKallioBricks";
    public const long Created = 1764403200;

    /// <summary>The tests' order as an intent in <paramref name="status"/>.</summary>
    public static StripeIntent Intent(string status, long amountCapturable = 0, long amountReceived = 0, string? latestCharge = null, long? canceledAt = null)
        => new(IntentId, 18_449, "eur", 1_476, SellerAccount,
            new Dictionary<string, string> { ["order_id"] = "ord-7f3a", ["buyer_id"] = "trader-buyer", ["seller_id"] = "trader-seller" },
            status, amountCapturable, amountReceived, 0, latestCharge, canceledAt);

    public static string PaymentIntent(string status, long amountCapturable = 0, long amountReceived = 0, string? latestCharge = null, long? canceledAt = null)
        => PaymentIntent(Intent(status, amountCapturable, amountReceived, latestCharge, canceledAt));

    public static string PaymentIntent(StripeIntent i) => $$"""
        {
          "id": "{{i.Id}}",
          "object": "payment_intent",
          "amount": {{i.Amount}},
          "amount_capturable": {{i.AmountCapturable}},
          "amount_details": { "tip": {} },
          "amount_received": {{i.AmountReceived}},
          "application": null,
          "application_fee_amount": {{i.ApplicationFee}},
          "automatic_payment_methods": { "allow_redirects": "always", "enabled": true },
          "canceled_at": {{Json(i.CanceledAt)}},
          "cancellation_reason": {{(i.CanceledAt is null ? "null" : "\"requested_by_customer\"")}},
          "capture_method": "manual",
          "client_secret": "{{i.Id}}_secret_YrKJUKribcBjcG8HVhfZluoGH",
          "confirmation_method": "automatic",
          "created": {{Created}},
          "currency": "{{i.Currency}}",
          "customer": null,
          "description": null,
          "last_payment_error": null,
          "latest_charge": {{Json(i.LatestCharge)}},
          "livemode": false,
          "metadata": {{JsonSerializer.Serialize(i.Metadata)}},
          "next_action": null,
          "on_behalf_of": null,
          "payment_method": {{(i.Status == "requires_payment_method" ? "null" : "\"pm_1QxCardVisa\"")}},
          "payment_method_configuration_details": null,
          "payment_method_options": { "card": { "installments": null, "mandate_options": null, "network": null, "request_three_d_secure": "automatic" } },
          "payment_method_types": ["card"],
          "processing": null,
          "receipt_email": null,
          "review": null,
          "setup_future_usage": null,
          "shipping": null,
          "source": null,
          "statement_descriptor": null,
          "statement_descriptor_suffix": null,
          "status": "{{i.Status}}",
          "transfer_data": { "destination": "{{i.Destination}}" },
          "transfer_group": null
        }
        """;

    public static string Refund(long amount, string id = "re_3QxKallioRefund01", string intentId = IntentId, string chargeId = ChargeId,
        IReadOnlyDictionary<string, string>? metadata = null) => $$"""
        {
          "id": "{{id}}",
          "object": "refund",
          "amount": {{amount}},
          "balance_transaction": "txn_{{id[3..]}}",
          "charge": "{{chargeId}}",
          "created": {{Created + 86_400}},
          "currency": "eur",
          "destination_details": { "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" }, "type": "card" },
          "metadata": {{JsonSerializer.Serialize(metadata ?? new Dictionary<string, string> { ["order_id"] = "ord-7f3a" })}},
          "payment_intent": "{{intentId}}",
          "reason": null,
          "receipt_number": null,
          "source_transfer_reversal": null,
          "status": "succeeded",
          "transfer_reversal": "trr_{{id[3..]}}"
        }
        """;

    /// <summary>A charge of a captured intent, as <c>charge.refunded</c> events carry it.</summary>
    public static string Charge(long amountRefunded, bool refunded) => Charge(Intent("succeeded", amountReceived: 18_449, latestCharge: ChargeId) with { AmountRefunded = amountRefunded }, refunded);

    public static string Charge(StripeIntent i, bool refunded) => $$"""
        {
          "id": "{{i.LatestCharge ?? ChargeId}}",
          "object": "charge",
          "amount": {{i.Amount}},
          "amount_captured": {{i.AmountReceived}},
          "amount_refunded": {{i.AmountRefunded}},
          "application_fee": "fee_1QxKallioFee",
          "application_fee_amount": {{i.ApplicationFee}},
          "balance_transaction": "txn_3QxKallioCharge",
          "captured": true,
          "created": {{Created + 100}},
          "currency": "{{i.Currency}}",
          "description": null,
          "failure_code": null,
          "failure_message": null,
          "livemode": false,
          "metadata": {{JsonSerializer.Serialize(i.Metadata)}},
          "paid": true,
          "payment_intent": "{{i.Id}}",
          "payment_method": "pm_1QxCardVisa",
          "refunded": {{(refunded ? "true" : "false")}},
          "status": "succeeded",
          "transfer": "tr_1QxKallioTransfer",
          "transfer_data": { "amount": null, "destination": "{{i.Destination}}" },
          "transfer_group": "group_{{i.Id}}"
        }
        """;

    public static string Account(string traderId, bool chargesEnabled = false, string accountId = SellerAccount, string? email = "myynti@purkupiste.example",
        bool payoutsEnabled = false, bool detailsSubmitted = false) => $$"""
        {
          "id": "{{accountId}}",
          "object": "account",
          "business_profile": { "annual_revenue": null, "estimated_worker_count": null, "mcc": null, "name": null, "product_description": null,
            "support_address": null, "support_email": null, "support_phone": null, "support_url": null, "url": null },
          "business_type": "company",
          "capabilities": { "card_payments": "{{(chargesEnabled ? "active" : "inactive")}}", "transfers": "{{(chargesEnabled ? "active" : "inactive")}}" },
          "charges_enabled": {{Json(chargesEnabled)}},
          "controller": { "fees": { "payer": "application" }, "is_controller": true, "losses": { "payments": "application" },
            "requirement_collection": "stripe", "stripe_dashboard": { "type": "express" }, "type": "application" },
          "country": "FI",
          "created": {{Created}},
          "default_currency": "eur",
          "details_submitted": {{Json(detailsSubmitted)}},
          "email": {{Json(email)}},
          "external_accounts": { "object": "list", "data": [], "has_more": false, "total_count": 0, "url": "/v1/accounts/{{accountId}}/external_accounts" },
          "future_requirements": { "alternatives": [], "current_deadline": null, "currently_due": [], "disabled_reason": null, "errors": [],
            "eventually_due": [], "past_due": [], "pending_verification": [] },
          "metadata": { "trader_id": "{{traderId}}" },
          "payouts_enabled": {{Json(payoutsEnabled)}},
          "requirements": { "alternatives": [], "current_deadline": null, "currently_due": ["business_profile.mcc", "external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due", "errors": [], "eventually_due": ["business_profile.mcc", "external_account"], "past_due": [],
            "pending_verification": [] },
          "settings": { "payouts": { "debit_negative_balances": true, "schedule": { "delay_days": 7, "interval": "daily" }, "statement_descriptor": null } },
          "tos_acceptance": { "date": null, "ip": null, "user_agent": null },
          "type": "express"
        }
        """;

    public const string AccountLinkUrl = "https://connect.stripe.com/setup/e/acct_1SellerKallio/TqckGNUHg2mG";

    /// <summary>A Checkout Session in payment mode (api/checkout/sessions/object).</summary>
    public static string CheckoutSession(StripeSession s) => $$"""
        {
          "id": "{{s.Id}}",
          "object": "checkout.session",
          "amount_subtotal": {{s.Amount}},
          "amount_total": {{s.Amount}},
          "cancel_url": {{Json(s.CancelUrl)}},
          "client_reference_id": {{Json(s.ClientReferenceId)}},
          "created": {{s.Created}},
          "currency": "{{s.Currency}}",
          "customer": null,
          "customer_email": null,
          "expires_at": {{s.ExpiresAt}},
          "livemode": false,
          "locale": null,
          "metadata": {},
          "mode": "payment",
          "payment_intent": {{Json(s.PaymentIntentId)}},
          "payment_method_types": ["card"],
          "payment_status": "unpaid",
          "status": "{{s.Status}}",
          "success_url": {{Json(s.SuccessUrl)}},
          "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
          "ui_mode": "hosted",
          "url": {{(s.Status == "open" ? Json(s.Url) : "null")}}
        }
        """;

    public static string AccountLink(string url = AccountLinkUrl) => $$"""
        {
          "object": "account_link",
          "created": {{Created}},
          "expires_at": {{Created + 300}},
          "url": "{{url}}"
        }
        """;

    public static string Error(string type, string code, string message) => $$"""
        {
          "error": {
            "code": "{{code}}",
            "doc_url": "https://stripe.com/docs/error-codes/{{code.Replace('_', '-')}}",
            "message": {{JsonSerializer.Serialize(message)}},
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_Kallio01?t={{Created}}",
            "type": "{{type}}"
          }
        }
        """;

    public static string CaptureInWrongState(string status = "requires_payment_method") => Error("invalid_request_error", "payment_intent_unexpected_state",
        $"This PaymentIntent could not be captured because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.");

    public static string CardDeclined => Error("card_error", "card_declined", "Your card was declined.");

    private static string Json(string? value) => value is null ? "null" : JsonSerializer.Serialize(value);

    private static string Json(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "null";

    private static string Json(bool value) => value ? "true" : "false";
}
