using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Marketplace.Domain.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Marketplace.Host.Tests.Webhooks;

/// <summary>
/// A webhook receiver on a loopback Kestrel port: <c>POST /hooks/{name}</c> records every request (headers and raw body)
/// and answers 200, or 500 while the endpoint's failure budget lasts, or 503 while it is set to refuse.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new();
    private readonly ConcurrentDictionary<string, bool> _refusing = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The base address (<c>http://127.0.0.1:port</c>).</summary>
    public Uri Address { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{name}", async (string name, HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var answered = receiver._refusing.GetValueOrDefault(name) ? 503 : receiver.TakeFailure(name) ? 500 : 200;
            receiver.Requests.Enqueue(new Received(name, context.Request.Headers[WebhookSignature.Header].ToString(), body, answered, DateTimeOffset.UtcNow));
            return Results.StatusCode(answered);
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>The URL of endpoint <paramref name="name"/>.</summary>
    public string Url(string name) => new Uri(Address, "/hooks/" + name).ToString();

    /// <summary>Answers 500 to the next <paramref name="count"/> requests to <paramref name="name"/>.</summary>
    public void FailNext(string name, int count) => _failuresLeft[name] = count;

    /// <summary>Answers 503 to every request to <paramref name="name"/> until called with false.</summary>
    public void Refuse(string name, bool refusing) => _refusing[name] = refusing;

    /// <summary>Requests to <paramref name="name"/> that were answered 200, in arrival order.</summary>
    public IReadOnlyList<Received> Delivered(string name) => Requests.Where(r => r.Name == name && r.Status == 200).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private bool TakeFailure(string name)
    {
        lock (_failuresLeft)
        {
            if (_failuresLeft.TryGetValue(name, out var left) && left > 0)
            {
                _failuresLeft[name] = left - 1;
                return true;
            }

            return false;
        }
    }

    /// <summary>One request received.</summary>
    public sealed record Received(string Name, string Signature, string Body, int Status, DateTimeOffset At)
    {
        public JsonObject Envelope => JsonNode.Parse(Body)!.AsObject();

        public string EventId => Envelope["id"]!.GetValue<string>();

        public string Type => Envelope["type"]!.GetValue<string>();

        public long Version => Envelope["version"]!.GetValue<long>();
    }
}
