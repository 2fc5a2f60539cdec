using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Marketplace.Testing.Payments;

/// <summary>What the Stripe client sent: method, path, the headers that matter, and the form fields decoded.</summary>
public sealed record StripeRequest(string Method, string Path, string? IdempotencyKey, string? StripeVersion, string? Authorization, IReadOnlyDictionary<string, string> Form);

/// <summary>
/// A loopback HTTP server (WireMock.Net) answering as Stripe's API reference documents, for the real Stripe.net client:
/// it keeps the PaymentIntents, refunds and connected accounts it was asked to make and moves them through Stripe's
/// states (an intent is created unconfirmed, <see cref="ConfirmByBuyer"/> stands for the buyer's browser, capture
/// needs <c>requires_capture</c>, a refund cannot exceed what was captured; a Checkout Session makes its intent only when
/// <see cref="PayOnCheckoutPage"/> stands for the buyer paying on Stripe's page), replays the first answer to a repeated
/// <c>Idempotency-Key</c>, and records every request. <see cref="Answer"/> overrides a route with a fixed answer.
/// Point the host at it with <see cref="HostSettings"/>, a gateway with <see cref="SecretKey"/> and <see cref="Url"/>.
/// </summary>
public sealed class StripeStub : IDisposable
{
    public const string SecretKey = "sk_test_51KallioLocalOnly";
    public const string WebhookSecret = StripeEvents.Secret;
    public const string OnboardingReturnUrl = "https://marketplace.example/sell/stripe/done";
    public const string OnboardingRefreshUrl = "https://marketplace.example/sell/stripe/again";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly ConcurrentQueue<StripeRequest> _requests = new();
    private readonly ConcurrentDictionary<string, StripeIntent> _intents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StripeSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _idempotent = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public StripeStub()
    {
        Route("POST", new ExactMatcher("/v1/payment_intents"), CreateIntent);
        Route("POST", new RegexMatcher("^/v1/payment_intents/[^/]+/capture$"), r => Step(r, "capture"));
        Route("POST", new RegexMatcher("^/v1/payment_intents/[^/]+/cancel$"), r => Step(r, "cancel"));
        Route("GET", new RegexMatcher("^/v1/payment_intents/[^/]+$"), r => Find(r.Path.Split('/')[3], i => (200, StripeAnswers.PaymentIntent(i))));
        Route("POST", new ExactMatcher("/v1/refunds"), CreateRefund);
        Route("POST", new ExactMatcher("/v1/accounts"), CreateAccount);
        Route("POST", new ExactMatcher("/v1/checkout/sessions"), CreateSession);
        Route("GET", new RegexMatcher("^/v1/checkout/sessions/[^/]+$"), r => FindSession(r.Path.Split('/')[4], s => (200, StripeAnswers.CheckoutSession(s))));
        Route("POST", new RegexMatcher("^/v1/checkout/sessions/[^/]+/expire$"), ExpireSession);
        Route("POST", new ExactMatcher("/v1/account_links"), r => (200, StripeAnswers.AccountLink($"https://connect.stripe.com/setup/e/{r.Form["account"]}/{Hash(r.Form["account"])[..12]}")));
    }

    /// <summary>The server's address, e.g. <c>http://localhost:54321</c>.</summary>
    public string Url => _server.Url!;

    /// <summary>Every request, in order.</summary>
    public IReadOnlyList<StripeRequest> Requests => _requests.ToArray();

    /// <summary>The intents made so far, by id.</summary>
    public IReadOnlyDictionary<string, StripeIntent> Intents => _intents;

    /// <summary>The host's configuration for Stripe pointed at this server (<c>Payments:Stripe:*</c>), with no client retries.</summary>
    public Dictionary<string, string?> HostSettings() => new()
    {
        ["Payments:Stripe:SecretKey"] = SecretKey,
        ["Payments:Stripe:WebhookSecret"] = WebhookSecret,
        ["Payments:Stripe:ApiBase"] = Url,
        ["Payments:Stripe:OnboardingReturnUrl"] = OnboardingReturnUrl,
        ["Payments:Stripe:OnboardingRefreshUrl"] = OnboardingRefreshUrl,
        ["Payments:Stripe:MaxNetworkRetries"] = "0",
    };

    /// <summary>The connected account id the stub gives a trader (the same every time, as Stripe's idempotency would).</summary>
    public static string AccountIdFor(string traderId) => "acct_1" + Hash(traderId)[..15];

    /// <summary>The intent id the stub gives an order.</summary>
    public static string IntentIdFor(string orderId) => "pi_3" + Hash(orderId)[..24];

    /// <summary>The Checkout Sessions made so far, by id.</summary>
    public IReadOnlyDictionary<string, StripeSession> Sessions => _sessions;

    /// <summary>
    /// The buyer paid on the session's page with a card: the page made its intent from <c>payment_intent_data</c>
    /// (authorised, waiting for capture, as with <c>capture_method=manual</c>) and the session is complete; the intent.
    /// </summary>
    public StripeIntent PayOnCheckoutPage(string sessionId)
    {
        lock (_gate)
        {
            var session = _sessions[sessionId];
            if (session.Status != "open")
            {
                throw new InvalidOperationException($"{sessionId} is {session.Status}, not open.");
            }

            var id = "pi_3" + Hash(sessionId)[..24];
            var intent = new StripeIntent(id, session.Amount, session.Currency, session.ApplicationFee, session.Destination, session.IntentMetadata,
                session.CaptureMethod == "manual" ? "requires_capture" : "succeeded", AmountCapturable: session.CaptureMethod == "manual" ? session.Amount : 0);
            _intents[id] = intent;
            _sessions[sessionId] = session with { Status = "complete", PaymentIntentId = id };
            return intent;
        }
    }

    /// <summary>The single request sent to <paramref name="path"/>.</summary>
    public StripeRequest Single(string method, string path)
    {
        var matching = Requests.Where(r => r.Method == method && r.Path == path).ToList();
        return matching.Count == 1 ? matching[0] : throw new InvalidOperationException($"{matching.Count} requests {method} {path}, expected one: {string.Join(", ", Requests.Select(r => $"{r.Method} {r.Path}"))}");
    }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> with a fixed answer, ahead of the documented behaviour.</summary>
    public void Answer(string method, string path, int status, string json)
        => _server.Given(WireMock.RequestBuilders.Request.Create().WithPath(path).UsingMethod(method)).AtPriority(1).RespondWith(Respond(r => (status, json)));

    /// <summary>The buyer's browser confirmed the intent with a card: it is authorised and waits for capture, as after Stripe.js.</summary>
    public StripeIntent ConfirmByBuyer(string intentId)
    {
        lock (_gate)
        {
            var intent = _intents[intentId];
            if (intent.Status != "requires_payment_method")
            {
                throw new InvalidOperationException($"{intentId} is {intent.Status}, not requires_payment_method.");
            }

            return _intents[intentId] = intent with { Status = "requires_capture", AmountCapturable = intent.Amount };
        }
    }

    /// <summary>A signed webhook delivery about an intent as the stub now knows it: the body and its <c>Stripe-Signature</c>.</summary>
    public (string Body, string Signature) Webhook(string type, string intentId, DateTimeOffset at, string? eventId = null)
    {
        var intent = _intents[intentId];
        var data = type == "charge.refunded" ? StripeAnswers.Charge(intent, intent.AmountRefunded >= intent.AmountReceived) : StripeAnswers.PaymentIntent(intent);
        var body = StripeEvents.Event(eventId ?? "evt_" + Guid.NewGuid().ToString("N")[..24], type, at.ToUnixTimeSeconds(), data);
        return (body, StripeEvents.Sign(body, at));
    }

    /// <summary>
    /// A signed <c>account.updated</c> delivery for the account the stub gave <paramref name="traderId"/>: after it, the
    /// host records whether the seller's account takes charges (a card checkout needs it to).
    /// </summary>
    public static (string Body, string Signature) AccountUpdated(string traderId, bool chargesEnabled, DateTimeOffset at, string? eventId = null)
    {
        var body = StripeEvents.Event(eventId ?? "evt_" + Guid.NewGuid().ToString("N")[..24], "account.updated", at.ToUnixTimeSeconds(),
            StripeAnswers.Account(traderId, chargesEnabled, AccountIdFor(traderId), payoutsEnabled: chargesEnabled, detailsSubmitted: chargesEnabled));
        return (body, StripeEvents.Sign(body, at));
    }

    private (int, string) CreateIntent(StripeRequest r)
    {
        var metadata = Metadata(r.Form);
        var id = IntentIdFor(metadata.GetValueOrDefault("order_id") ?? Guid.NewGuid().ToString("N"));
        var intent = new StripeIntent(id, Long(r.Form, "amount"), r.Form["currency"], Long(r.Form, "application_fee_amount"),
            r.Form.GetValueOrDefault("transfer_data[destination]") ?? "", metadata, "requires_payment_method");
        _intents[id] = intent;
        return (200, StripeAnswers.PaymentIntent(intent));
    }

    private (int, string) Step(StripeRequest r, string step)
    {
        var id = r.Path.Split('/')[3];
        lock (_gate)
        {
            if (!_intents.TryGetValue(id, out var intent))
            {
                return (404, StripeAnswers.Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'"));
            }

            if (step == "capture")
            {
                if (intent.Status != "requires_capture")
                {
                    return (400, StripeAnswers.CaptureInWrongState(intent.Status));
                }

                intent = intent with { Status = "succeeded", AmountCapturable = 0, AmountReceived = intent.Amount, LatestCharge = "ch_3" + Hash(id)[..24] };
            }
            else
            {
                if (intent.Status is "succeeded" or "canceled")
                {
                    return (400, StripeAnswers.Error("invalid_request_error", "payment_intent_unexpected_state",
                        $"You cannot cancel this PaymentIntent because it has a status of {intent.Status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."));
                }

                intent = intent with { Status = "canceled", AmountCapturable = 0, CanceledAt = StripeAnswers.Created + 3_600 };
            }

            _intents[id] = intent;
            return (200, StripeAnswers.PaymentIntent(intent));
        }
    }

    private (int, string) CreateRefund(StripeRequest r)
    {
        var id = r.Form.GetValueOrDefault("payment_intent") ?? "";
        lock (_gate)
        {
            if (!_intents.TryGetValue(id, out var intent))
            {
                return (404, StripeAnswers.Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'"));
            }

            if (intent.Status != "succeeded")
            {
                return (400, StripeAnswers.Error("invalid_request_error", "charge_not_captured",
                    $"This PaymentIntent ({id}) does not have a successful charge to refund."));
            }

            var remaining = intent.AmountReceived - intent.AmountRefunded;
            var amount = r.Form.ContainsKey("amount") ? Long(r.Form, "amount") : remaining;
            if (amount > remaining)
            {
                return (400, StripeAnswers.Error("invalid_request_error", "amount_too_large",
                    $"Refund amount ({amount / 100m:0.00} €) is greater than unrefunded amount on charge ({remaining / 100m:0.00} €)"));
            }

            _intents[id] = intent with { AmountRefunded = intent.AmountRefunded + amount };
            return (200, StripeAnswers.Refund(amount, "re_3" + Hash(r.IdempotencyKey ?? Guid.NewGuid().ToString())[..24], id, intent.LatestCharge ?? StripeAnswers.ChargeId, Metadata(r.Form)));
        }
    }

    private (int, string) CreateSession(StripeRequest r)
    {
        var f = r.Form;
        if (f.GetValueOrDefault("mode") != "payment" || !f.ContainsKey("success_url") || !f.ContainsKey("line_items[0][price_data][unit_amount]"))
        {
            return (400, StripeAnswers.Error("invalid_request_error", "parameter_missing", "Missing required param: mode, success_url or line_items."));
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var amount = Long(f, "line_items[0][price_data][unit_amount]") * (f.ContainsKey("line_items[0][quantity]") ? Long(f, "line_items[0][quantity]") : 1);
        var intentMetadata = f.Where(kv => kv.Key.StartsWith("payment_intent_data[metadata][", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["payment_intent_data[metadata][".Length..^1], kv => kv.Value, StringComparer.Ordinal);
        var session = new StripeSession("cs_test_a1" + Hash(r.IdempotencyKey ?? Guid.NewGuid().ToString("N"))[..40], amount, f["line_items[0][price_data][currency]"],
            f.ContainsKey("payment_intent_data[application_fee_amount]") ? Long(f, "payment_intent_data[application_fee_amount]") : 0,
            f.GetValueOrDefault("payment_intent_data[transfer_data][destination]") ?? "", f.GetValueOrDefault("payment_intent_data[capture_method]") ?? "automatic",
            intentMetadata, f["success_url"], f.GetValueOrDefault("cancel_url") ?? "", f.GetValueOrDefault("client_reference_id"), now,
            f.ContainsKey("expires_at") ? Long(f, "expires_at") : now + 24 * 3_600, "open");
        _sessions[session.Id] = session;
        return (200, StripeAnswers.CheckoutSession(session));
    }

    private (int, string) ExpireSession(StripeRequest r)
    {
        var id = r.Path.Split('/')[4];
        lock (_gate)
        {
            return FindSession(id, session => session.Status != "open"
                ? (400, StripeAnswers.Error("invalid_request_error", "checkout_session_unexpected_state", $"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{session.Status}\"."))
                : (200, StripeAnswers.CheckoutSession(_sessions[id] = session with { Status = "expired" })));
        }
    }

    private (int, string) FindSession(string id, Func<StripeSession, (int, string)> answer)
        => _sessions.TryGetValue(id, out var session) ? answer(session) : (404, StripeAnswers.Error("invalid_request_error", "resource_missing", $"No such checkout.session: '{id}'"));

    private (int, string) CreateAccount(StripeRequest r)
    {
        var traderId = r.Form.GetValueOrDefault("metadata[trader_id]") ?? "";
        var id = AccountIdFor(traderId);
        _accounts[id] = traderId;
        return (200, StripeAnswers.Account(traderId, accountId: id, email: r.Form.GetValueOrDefault("email")));
    }

    private (int, string) Find(string id, Func<StripeIntent, (int, string)> answer)
        => _intents.TryGetValue(id, out var intent) ? answer(intent) : (404, StripeAnswers.Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'"));

    private void Route(string method, IStringMatcher path, Func<StripeRequest, (int Status, string Body)> answer)
        => _server.Given(WireMock.RequestBuilders.Request.Create().WithPath(path).UsingMethod(method)).AtPriority(10).RespondWith(Respond(answer));

    private IResponseBuilder Respond(Func<StripeRequest, (int Status, string Body)> answer)
        => Response.Create().WithCallback(message =>
        {
            var request = Record(message);
            (int Status, string Body) result;
            // Stripe replays the first answer to a repeated idempotency key of the same account (for 24 hours).
            if (request.IdempotencyKey is { } key && _idempotent.TryGetValue(key, out var first))
            {
                result = first;
            }
            else
            {
                result = answer(request);
                if (request.IdempotencyKey is { } newKey && result.Status < 500)
                {
                    _idempotent.TryAdd(newKey, result);
                }
            }

            return new ResponseMessage
            {
                StatusCode = result.Status,
                Headers = new Dictionary<string, WireMock.Types.WireMockList<string>>
                {
                    ["Content-Type"] = new("application/json"),
                    ["Request-Id"] = new("req_" + Guid.NewGuid().ToString("N")[..14]),
                    ["Stripe-Version"] = new(request.StripeVersion ?? ""),
                },
                BodyData = new WireMock.Util.BodyData { BodyAsString = result.Body, DetectedBodyType = WireMock.Types.BodyType.String },
            };
        });

    private StripeRequest Record(IRequestMessage message)
    {
        string? Header(string name) => message.Headers is { } h && h.TryGetValue(name, out var v) ? v.FirstOrDefault() : null;
        var request = new StripeRequest(message.Method, message.Path, Header("Idempotency-Key"), Header("Stripe-Version"), Header("Authorization"),
            Form(message.Body ?? ""));
        _requests.Enqueue(request);
        return request;
    }

    /// <summary>Decodes an <c>application/x-www-form-urlencoded</c> body as Stripe.net encodes it (<c>metadata[order_id]=…</c>).</summary>
    public static IReadOnlyDictionary<string, string> Form(string body)
        => body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(kv => Decode(kv[0]), kv => kv.Length > 1 ? Decode(kv[1]) : "", StringComparer.Ordinal);

    private static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string> form)
        => form.Where(kv => kv.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["metadata[".Length..^1], kv => kv.Value, StringComparer.Ordinal);

    private static long Long(IReadOnlyDictionary<string, string> form, string key) => long.Parse(form[key], CultureInfo.InvariantCulture);

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
