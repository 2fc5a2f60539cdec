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

        // "localhost." and "*.localhost" are loopback too (RFC 6761), though Uri.IsLoopback knows only the bare name.
        var name = uri.IdnHost.TrimEnd('.');
        var loopback = uri.IsLoopback || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                       || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
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

    /// <summary>
    /// True only for a globally reachable unicast address: false for every block IANA's special-purpose registries mark
    /// not globally reachable (loopback, private, shared/carrier-grade NAT, link-local, documentation, benchmarking,
    /// IETF protocol assignments, reserved, multicast, broadcast, unique-local, discard), and for NAT64, 6to4 and
    /// IPv4-mapped addresses whose IPv4 address is not public. A host's own name may resolve to such an address (a
    /// test network's 192.0.2.x), so the sender checks every resolved address with this before it connects.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !(b[0] is 0 or 10 or 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] is >= 64 and <= 127)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] is >= 16 and <= 31)
                     || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                     || (b[0] == 192 && b[1] == 88 && b[2] == 99)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 198 && b[1] is 18 or 19)
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                     || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(address))
        {
            return false;
        }

        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that a translator would reach: judge that one.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return IsPublic(new IPAddress(b.AsSpan(12, 4)));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublic(new IPAddress(b.AsSpan(2, 4)));
        }

        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast
                 || b[0] == 0x00                                                    // ::/8: unspecified, IPv4-compatible, local-use NAT64 (64:ff9b:1::/48)
                 || (b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0) // 100::/64: discard-only
                 || (b[0] == 0x20 && b[1] == 0x01 && b[2] <= 0x01)                  // 2001::/23: IETF protocol assignments, Teredo
                 || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)  // 2001:db8::/32: documentation
                 || (b[0] == 0x3f && b[1] == 0xff && b[2] <= 0x0f));                // 3fff::/20: documentation
    }
}
