using System.Net;
using System.Net.Sockets;

namespace Marketplace.Domain.Webhooks;

/// <summary>
/// Where webhooks may be sent: https to a public address; plain http only to loopback, and private or link-local
/// addresses only, when development targets are allowed. Host names are checked again against the addresses they
/// resolve to when connecting (see the sender), so a public name pointing inside the network is refused as well.
/// </summary>
public static class WebhookUrls
{
    /// <summary>Longest target URL accepted.</summary>
    public const int MaxLength = 2048;

    /// <summary>The reason <paramref name="url"/> is refused, or null when it may be used.</summary>
    public static string? Problem(string? url, bool allowDevelopmentTargets)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "A target URL is required.";
        }

        if (url.Length > MaxLength)
        {
            return $"The URL must be at most {MaxLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
        {
            return "The URL must be an absolute https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "The URL must not carry credentials or a fragment.";
        }

        var loopback = uri.IsLoopback;
        if (uri.Scheme == "http" && !(allowDevelopmentTargets && loopback))
        {
            return allowDevelopmentTargets ? "Plain http is accepted only for loopback addresses; use https." : "The URL must use https.";
        }

        if (!allowDevelopmentTargets && (loopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && !IsPublic(address))))
        {
            return "The URL must point to a public address (not loopback, private, link-local or multicast).";
        }

        return null;
    }

    /// <summary>False for loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified, broadcast and multicast addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] is >= 64 and <= 127) || b[0] >= 224);
        }

        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast);
    }
}
