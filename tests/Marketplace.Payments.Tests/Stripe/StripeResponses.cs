namespace Marketplace.Payments.Tests.Stripe;

/// <summary>
/// Answers shaped as Stripe's API reference shows them (api/payment_intents, api/refunds, api/accounts,
/// api/account_links, api/errors), with the values of the tests' order: 184,49 € with a 14,76 € fee to acct_1SellerKallio.
/// </summary>
internal static class StripeResponses
{
    public const string IntentId = "pi_3QxKallioBricks0a1b2c3d";
    public const string SellerAccount = "acct_1SellerKallio";

    public static string PaymentIntent(string status, long amountCapturable = 0, long amountReceived = 0, string? latestCharge = null,
        string? cancellationReason = null, long? canceledAt = null) => $$"""
        {
          "id": "{{IntentId}}",
          "object": "payment_intent",
          "amount": 18449,
          "amount_capturable": {{amountCapturable}},
          "amount_details": { "tip": {} },
          "amount_received": {{amountReceived}},
          "application": null,
          "application_fee_amount": 1476,
          "automatic_payment_methods": { "allow_redirects": "always", "enabled": true },
          "canceled_at": {{(canceledAt?.ToString() ?? "null")}},
          "cancellation_reason": {{(cancellationReason is null ? "null" : $"\"{cancellationReason}\"")}},
          "capture_method": "manual",
          "client_secret": "{{IntentId}}_secret_YrKJUKribcBjcG8HVhfZluoGH",
          "confirmation_method": "automatic",
          "created": 1764403200,
          "currency": "eur",
          "customer": null,
          "description": null,
          "last_payment_error": null,
          "latest_charge": {{(latestCharge is null ? "null" : $"\"{latestCharge}\"")}},
          "livemode": false,
          "metadata": { "order_id": "ord-7f3a", "buyer_id": "trader-buyer", "seller_id": "trader-seller" },
          "next_action": null,
          "on_behalf_of": null,
          "payment_method": {{(status == "requires_payment_method" ? "null" : "\"pm_1QxCardVisa\"")}},
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
          "status": "{{status}}",
          "transfer_data": { "destination": "{{SellerAccount}}" },
          "transfer_group": null
        }
        """;

    public static string Refund(long amount) => $$"""
        {
          "id": "re_3QxKallioRefund01",
          "object": "refund",
          "amount": {{amount}},
          "balance_transaction": "txn_3QxKallioRefund01",
          "charge": "ch_3QxKallioBricks",
          "created": 1764489600,
          "currency": "eur",
          "destination_details": { "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" }, "type": "card" },
          "metadata": { "order_id": "ord-7f3a" },
          "payment_intent": "{{IntentId}}",
          "reason": null,
          "receipt_number": null,
          "source_transfer_reversal": null,
          "status": "succeeded",
          "transfer_reversal": "trr_1QxKallioReversal"
        }
        """;

    public static string Account(string traderId, bool chargesEnabled = false) => $$"""
        {
          "id": "{{SellerAccount}}",
          "object": "account",
          "business_profile": { "annual_revenue": null, "estimated_worker_count": null, "mcc": null, "name": null, "product_description": null,
            "support_address": null, "support_email": null, "support_phone": null, "support_url": null, "url": null },
          "business_type": "company",
          "capabilities": { "card_payments": "inactive", "transfers": "inactive" },
          "charges_enabled": {{(chargesEnabled ? "true" : "false")}},
          "controller": { "fees": { "payer": "application" }, "is_controller": true, "losses": { "payments": "application" },
            "requirement_collection": "stripe", "stripe_dashboard": { "type": "express" }, "type": "application" },
          "country": "FI",
          "created": 1764403200,
          "default_currency": "eur",
          "details_submitted": false,
          "email": "myynti@purkupiste.example",
          "external_accounts": { "object": "list", "data": [], "has_more": false, "total_count": 0, "url": "/v1/accounts/{{SellerAccount}}/external_accounts" },
          "future_requirements": { "alternatives": [], "current_deadline": null, "currently_due": [], "disabled_reason": null, "errors": [],
            "eventually_due": [], "past_due": [], "pending_verification": [] },
          "metadata": { "trader_id": "{{traderId}}" },
          "payouts_enabled": false,
          "requirements": { "alternatives": [], "current_deadline": null, "currently_due": ["business_profile.mcc", "external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due", "errors": [], "eventually_due": ["business_profile.mcc", "external_account"], "past_due": [],
            "pending_verification": [] },
          "settings": { "payouts": { "debit_negative_balances": true, "schedule": { "delay_days": 7, "interval": "daily" }, "statement_descriptor": null } },
          "tos_acceptance": { "date": null, "ip": null, "user_agent": null },
          "type": "express"
        }
        """;

    public const string AccountLinkUrl = "https://connect.stripe.com/setup/e/acct_1SellerKallio/TqckGNUHg2mG";

    public const string AccountLink = $$"""
        {
          "object": "account_link",
          "created": 1764403200,
          "expires_at": 1764403500,
          "url": "{{AccountLinkUrl}}"
        }
        """;

    public const string CaptureInWrongState = $$"""
        {
          "error": {
            "code": "payment_intent_unexpected_state",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-unexpected-state",
            "message": "This PaymentIntent could not be captured because it has a status of requires_payment_method. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_Kallio01?t=1764403200",
            "type": "invalid_request_error"
          }
        }
        """;

    public const string CardDeclined = """
        {
          "error": {
            "charge": "ch_3QxKallioDeclined",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
            "type": "card_error"
          }
        }
        """;
}
