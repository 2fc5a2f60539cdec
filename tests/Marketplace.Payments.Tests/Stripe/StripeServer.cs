using System.Collections.Concurrent;
using Marketplace.Payments.Stripe;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Marketplace.Payments.Tests.Stripe;

/// <summary>What the Stripe client sent: method, path, the headers that matter, and the form fields decoded.</summary>
public sealed record StripeRequest(string Method, string Path, string? IdempotencyKey, string? StripeVersion, string? Authorization, IReadOnlyDictionary<string, string> Form);

/// <summary>
/// A loopback HTTP server answering as Stripe's API does (WireMock.Net), recording every request the real Stripe.net
/// client makes to it. Point a gateway at it with <see cref="Options"/>.
/// </summary>
public sealed class StripeServer : IDisposable
{
    public const string SecretKey = "sk_test_51KallioLocalOnly";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly ConcurrentQueue<StripeRequest> _requests = new();

    public IReadOnlyList<StripeRequest> Requests => _requests.ToArray();

    /// <summary>Options for a gateway pointed at this server, with no retries so every request is one the test made.</summary>
    public StripeOptions Options => new()
    {
        SecretKey = SecretKey,
        WebhookSecret = "whsec_local",
        ApiBase = _server.Url!,
        OnboardingReturnUrl = "https://marketplace.example/sell/stripe/done",
        OnboardingRefreshUrl = "https://marketplace.example/sell/stripe/again",
        MaxNetworkRetries = 0,
    };

    public string Url => _server.Url!;

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> with <paramref name="status"/> and <paramref name="json"/>.</summary>
    public void Answer(string method, string path, int status, string json)
        => _server.Given(Request.Create().WithPath(path).UsingMethod(method)).RespondWith(Response.Create()
            .WithStatusCode(status)
            .WithHeader("Content-Type", "application/json")
            .WithHeader("Request-Id", "req_" + Guid.NewGuid().ToString("N")[..14])
            .WithBody(message =>
            {
                // Recorded while answering, so a request is in the list before the client sees the answer.
                string? Header(string name) => message.Headers is { } h && h.TryGetValue(name, out var v) ? v.FirstOrDefault() : null;
                _requests.Enqueue(new StripeRequest(message.Method, message.Path, Header("Idempotency-Key"), Header("Stripe-Version"), Header("Authorization"),
                    Form(message.Body ?? "")));
                return json;
            }));

    /// <summary>The single request sent to <paramref name="path"/>.</summary>
    public StripeRequest Single(string method, string path) => Assert.Single(Requests, r => r.Method == method && r.Path == path);

    /// <summary>Decodes an <c>application/x-www-form-urlencoded</c> body as Stripe.net encodes it (<c>metadata[order_id]=…</c>).</summary>
    public static IReadOnlyDictionary<string, string> Form(string body)
        => body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(kv => Decode(kv[0]), kv => kv.Length > 1 ? Decode(kv[1]) : "", StringComparer.Ordinal);

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
