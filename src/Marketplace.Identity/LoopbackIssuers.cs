using System.Net;
using OpenIddict.Validation;

namespace Marketplace.Identity;

/// <summary>
/// Embedded mode without a configured issuer: the issuer is the address of the request, so a token issued at
/// <c>http://127.0.0.1:5080</c> would be refused at <c>http://localhost:5080</c>. The loopback names of one port are one
/// host, so a token issued under any of them is accepted under the others. Cluster mode sets <c>Identity:Issuer</c>.
/// </summary>
public static class LoopbackIssuers
{
    private static readonly string[] Names = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Adds the other loopback names of every loopback issuer the token may carry.</summary>
    public static ValueTask AcceptEveryLoopbackName(OpenIddictValidationEvents.ValidateTokenContext context)
    {
        if (context.TokenValidationParameters?.ValidIssuers is { } issuers)
        {
            context.TokenValidationParameters.ValidIssuers = issuers.Concat(issuers.SelectMany(Variants)).Distinct(StringComparer.Ordinal).ToArray();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The same address under the other loopback names (keeping a trailing slash if it had one).</summary>
    public static IEnumerable<string> Variants(string issuer)
    {
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri) || !IsLoopbackName(uri.Host))
        {
            yield break;
        }

        foreach (var name in Names)
        {
            var variant = new UriBuilder(uri) { Host = name }.Uri.AbsoluteUri;
            yield return issuer.EndsWith('/') ? variant : variant.TrimEnd('/');
        }
    }

    private static bool IsLoopbackName(string host)
        => string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
