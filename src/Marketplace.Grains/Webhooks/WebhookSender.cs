using System.Net;
using System.Net.Sockets;
using System.Text;
using Marketplace.Domain.Webhooks;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Webhooks;

/// <summary>Posts one signed envelope to a subscription's URL (named client <see cref="ClientName"/>), never following redirects.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time)
{
    /// <summary>The named HTTP client deliveries use.</summary>
    public const string ClientName = "webhooks";

    /// <summary>Sends <paramref name="body"/> signed with <paramref name="secrets"/>; answers the status code, or the reason there was none.</summary>
    public async Task<WebhookAttempt> SendAsync(string url, string eventId, string type, string body, IReadOnlyList<string> secrets)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(secrets, time.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.TryAddWithoutValidation("Marketplace-Event-Id", eventId);
            request.Headers.TryAddWithoutValidation("Marketplace-Event-Type", type);
            request.Headers.UserAgent.ParseAdd("Marketplace-Webhooks/1");
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            return new WebhookAttempt(eventId, (int)response.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            return new WebhookAttempt(eventId, null, e is HttpRequestException { InnerException: RefusedAddressException refused } ? refused.Message
                : e is TaskCanceledException or OperationCanceledException ? "timeout" : e.Message);
        }
    }

    /// <summary>
    /// The handler of the named client: no redirects, and unless development targets are allowed, connections only to
    /// public addresses, checked on the addresses a host name resolves to (so DNS cannot point a webhook inside the network).
    /// </summary>
    public static SocketsHttpHandler Handler(IOptions<WebhookOptions> options)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2), UseCookies = false };
        if (!options.Value.AllowDevelopmentTargets)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                var allowed = addresses.Where(WebhookUrls.IsPublic).ToArray();
                if (allowed.Length == 0)
                {
                    throw new RefusedAddressException($"{context.DnsEndPoint.Host} resolves to no public address; webhooks are not sent inside the network.");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    /// <summary>A target refused at connection time.</summary>
    private sealed class RefusedAddressException(string message) : IOException(message);
}
