using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Marketplace.Domain.Webhooks;

/// <summary>
/// The <c>Marketplace-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>,
/// with one <c>v1</c> per secret valid at the time (two while a rotated secret's overlap lasts).
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header's name.</summary>
    public const string Header = "Marketplace-Signature";

    /// <summary>The header value for <paramref name="body"/> signed at <paramref name="timestamp"/> with every secret in <paramref name="secrets"/>.</summary>
    public static string Sign(IEnumerable<string> secrets, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var builder = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
        {
            builder.Append(",v1=").Append(Compute(secret, t, body));
        }

        return builder.ToString();
    }

    /// <summary>
    /// True when <paramref name="header"/> carries a <c>v1</c> made with <paramref name="secret"/> over <paramref name="body"/>,
    /// and its timestamp is within <paramref name="tolerance"/> of <paramref name="now"/> (what a receiver checks).
    /// </summary>
    public static bool Verify(string? header, string secret, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        string? t = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
            {
                continue;
            }

            if (pair[0].Trim() == "t")
            {
                t = pair[1].Trim();
            }
            else if (pair[0].Trim() == "v1")
            {
                signatures.Add(pair[1].Trim());
            }
        }

        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(secret, t, body));
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    private static string Compute(string secret, string t, string body)
        => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
}
