using System.Globalization;
using Microsoft.AspNetCore.DataProtection;

namespace Marketplace.Identity;

/// <summary>
/// Marks the marketplace's own server-side calls to its sign-in server (the pages redeeming a person's code and
/// refreshing their tokens) so that the per-address limit on <c>/connect/token</c> does not count them: they all come
/// from the host's own address, and 60 a minute for every person together made the 61st sign-in a 500 (probe 29). The
/// mark is a short-lived value protected with the Data Protection keys, which every host of a cluster shares, so no
/// caller outside can make one.
/// </summary>
public sealed class HostCalls(IDataProtectionProvider protection, TimeProvider time)
{
    /// <summary>The request header that carries the mark.</summary>
    public const string Header = "X-Marketplace-Host-Call";

    /// <summary>How long a mark is taken: made afresh each minute.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly IDataProtector _protector = protection.CreateProtector("Marketplace.HostCalls.v1");
    private volatile Mark? _current;
    private volatile string? _lastChecked;

    /// <summary>The mark to send now.</summary>
    public string Value
    {
        get
        {
            var now = time.GetUtcNow();
            var mark = _current;
            if (mark is null || now - mark.MadeAt > TimeSpan.FromMinutes(1))
            {
                mark = new Mark(_protector.Protect(now.UtcTicks.ToString(CultureInfo.InvariantCulture)), now);
                _current = mark;
            }

            return mark.Value;
        }
    }

    /// <summary>True when the request carries a mark made by this marketplace within <see cref="Lifetime"/>.</summary>
    public bool IsMarked(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || values[0] is not { Length: > 0 and <= 1_000 } value)
        {
            return false;
        }

        if (value == _current?.Value || value == _lastChecked)
        {
            return true;
        }

        try
        {
            var ticks = long.Parse(_protector.Unprotect(value), NumberStyles.None, CultureInfo.InvariantCulture);
            var age = time.GetUtcNow() - new DateTimeOffset(ticks, TimeSpan.Zero);
            if (age < -TimeSpan.FromMinutes(1) || age > Lifetime)
            {
                return false;
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or OverflowException or ArgumentException)
        {
            return false;
        }

        _lastChecked = value;
        return true;
    }

    private sealed record Mark(string Value, DateTimeOffset MadeAt);
}

/// <summary>Puts <see cref="HostCalls"/>' mark on every request of the client it is a handler of.</summary>
public sealed class HostCallHandler(HostCalls calls) : DelegatingHandler
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(HostCalls.Header);
        request.Headers.TryAddWithoutValidation(HostCalls.Header, calls.Value);
        return base.SendAsync(request, cancellationToken);
    }
}
