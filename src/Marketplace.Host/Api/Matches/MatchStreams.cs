using System.Collections.Concurrent;
using System.Security.Claims;
using Marketplace.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Marketplace.Host.Api.Matches;

/// <summary>Match stream settings (<c>MatchStream</c> section).</summary>
public sealed class MatchStreamOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "MatchStream";

    /// <summary>Most streams one caller (token subject) keeps open on one host; beyond it 429 <c>too-many-streams</c>. Default 5; at least 1.</summary>
    public int MaxPerCaller { get; set; } = 5;

    /// <summary>Longest quiet time before a keep-alive comment. Default 30 seconds; at least 1 second.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the stream checks that its token is still valid (not revoked, member not removed). Default 1 minute; at least 1 second.</summary>
    public TimeSpan TokenCheckPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Changes buffered for a slow client; when one is dropped the stream sends <c>event: resync</c> and closes. Default 1,000; at least 1.</summary>
    public int Buffer { get; set; } = 1_000;
}

/// <summary>Counts the match streams open on this host per caller, so one caller cannot hold an unbounded number.</summary>
public sealed class MatchStreams(IOptions<MatchStreamOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Takes a slot for the caller, or null when it already has the most streams allowed; dispose the slot when the stream ends.</summary>
    public IDisposable? TryOpen(string caller)
    {
        while (true)
        {
            var count = _open.GetValueOrDefault(caller);
            if (count >= options.Value.MaxPerCaller)
            {
                return null;
            }

            if (count == 0 ? _open.TryAdd(caller, 1) : _open.TryUpdate(caller, count + 1, count))
            {
                return new Slot(this, caller);
            }
        }
    }

    private void Close(string caller)
    {
        while (true)
        {
            var count = _open[caller];
            if (count == 1 ? _open.TryRemove(new KeyValuePair<string, int>(caller, 1)) : _open.TryUpdate(caller, count - 1, count))
            {
                return;
            }
        }
    }

    /// <summary>
    /// True while the caller's token may still be used: not past its expiry, and its token entry and authorization not
    /// revoked (removing a member revokes its tokens, so this also ends a removed member's stream).
    /// </summary>
    public static async Task<bool> TokenStillValidAsync(ClaimsPrincipal user, IServiceProvider services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (user.GetExpirationDate() is { } expires && expires <= now)
        {
            return false;
        }

        await using var scope = services.CreateAsyncScope();
        if (user.GetTokenId() is { } tokenId)
        {
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            if (await tokens.FindByIdAsync(tokenId, cancellationToken) is not { } token || !await tokens.HasStatusAsync(token, OpenIddictConstants.Statuses.Valid, cancellationToken))
            {
                return false;
            }
        }

        if (user.GetAuthorizationId() is { } authorizationId)
        {
            var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
            if (await authorizations.FindByIdAsync(authorizationId, cancellationToken) is not { } authorization
                || !await authorizations.HasStatusAsync(authorization, OpenIddictConstants.Statuses.Valid, cancellationToken))
            {
                return false;
            }
        }

        return user.Identity?.IsAuthenticated == true && user.TraderId() is not null;
    }

    private sealed class Slot(MatchStreams streams, string caller) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                streams.Close(caller);
            }
        }
    }
}
