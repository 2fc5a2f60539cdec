using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Marketplace.Identity;

/// <summary>
/// The sign-in server's sessions (the <c>marketplace.session</c> cookie) kept in the identity store, the cookie holding
/// only a session's key. Signing out deletes the session, so a copy of the cookie taken before is worth nothing after;
/// with the whole ticket in the cookie it went on getting codes and tokens at <c>/connect/authorize</c> for up to 14 days
/// (probe 28). Sessions are rows of the store's user tokens (provider <see cref="Provider"/>), so every host of a cluster
/// sees the same ones and removing a person removes theirs; a person keeps at most <see cref="MaxPerPerson"/>, the
/// oldest giving way.
/// </summary>
public sealed class SignInSessions(IServiceScopeFactory scopes, TimeProvider time) : ITicketStore
{
    /// <summary>The user-token provider name of session rows.</summary>
    public const string Provider = "[marketplace.session]";

    /// <summary>Sessions one person keeps at once (browsers, devices).</summary>
    public const int MaxPerPerson = 20;

    /// <inheritdoc />
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    /// <inheritdoc />
    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        var userId = UserIdOf(ticket);
        var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var now = time.GetUtcNow();
        // Added first, then the person's sessions trimmed as they are after it: of sign-ins at once, the one that reads
        // last sees every one added before it, so the bound holds once they are done (pruning before adding let eight at
        // once each see room and pass it). A set delete, not tracked removals: sign-ins at once pick the same oldest
        // session, and a removal whose row another had deleted failed with a concurrency error (probe 29).
        db.UserTokens.Add(new IdentityUserToken<string> { UserId = userId, LoginProvider = Provider, Name = id, Value = Write(ticket) });
        await db.SaveChangesAsync(cancellationToken);
        var kept = (await db.UserTokens.AsNoTracking().Where(t => t.UserId == userId && t.LoginProvider == Provider)
                .Select(t => new { t.Name, t.Value }).ToListAsync(cancellationToken))
            .Select(t => (t.Name, Stamp: Stamps(t.Value)))
            .ToList();
        // The least recently used go first (a ticket's expiry is kept to the second, so many tie on it).
        var dropped = kept.Where(k => k.Stamp.Expires <= now)
            .Concat(kept.Where(k => k.Stamp.Expires > now).OrderByDescending(k => k.Stamp.Used).ThenBy(k => k.Name, StringComparer.Ordinal).Skip(MaxPerPerson))
            .Select(k => k.Name).ToList();
        if (dropped.Count > 0)
        {
            await db.UserTokens.Where(t => t.UserId == userId && t.LoginProvider == Provider && dropped.Contains(t.Name)).ExecuteDeleteAsync(cancellationToken);
        }

        return userId + KeySeparator + id;
    }

    /// <inheritdoc />
    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    /// <inheritdoc />
    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        if (Parse(key) is not ({ } userId, { } id))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        // Only a session that still exists is renewed: one signed out meanwhile stays ended.
        var value = Write(ticket);
        await db.UserTokens.Where(t => t.UserId == userId && t.LoginProvider == Provider && t.Name == id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Value, value), cancellationToken);
    }

    /// <inheritdoc />
    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    /// <inheritdoc />
    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        if (Parse(key) is not ({ } userId, { } id))
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var value = await db.UserTokens.AsNoTracking()
            .Where(t => t.UserId == userId && t.LoginProvider == Provider && t.Name == id)
            .Select(t => t.Value).FirstOrDefaultAsync(cancellationToken);
        if (value is null || Stamps(value).Expires <= time.GetUtcNow())
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(Convert.FromBase64String(value[(value.LastIndexOf(ValueSeparator) + 1)..]));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        if (Parse(key) is not ({ } userId, { } id))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        await db.UserTokens.Where(t => t.UserId == userId && t.LoginProvider == Provider && t.Name == id).ExecuteDeleteAsync(cancellationToken);
    }

    private const char KeySeparator = ':';
    private const char ValueSeparator = '|';

    private static string UserIdOf(AuthenticationTicket ticket)
        => ticket.Principal.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject)?.Value
           ?? throw new InvalidOperationException("A sign-in session was stored for a principal without a subject.");

    private static (string UserId, string Id)? Parse(string key)
    {
        var at = key.LastIndexOf(KeySeparator);
        return at > 0 && at < key.Length - 1 ? (key[..at], key[(at + 1)..]) : null;
    }

    // The expiry and the time of the last write (sign-in or renewal) first, so pruning reads them without unpacking the ticket.
    private string Write(AuthenticationTicket ticket)
    {
        var now = time.GetUtcNow();
        var expires = ticket.Properties.ExpiresUtc ?? now.AddDays(14);
        return string.Create(CultureInfo.InvariantCulture, $"{expires.UtcTicks}{ValueSeparator}{now.UtcTicks}{ValueSeparator}")
               + Convert.ToBase64String(TicketSerializer.Default.Serialize(ticket));
    }

    // A row's value is "expires|last written|ticket": the two times in UTC ticks (DateTimeOffset.MinValue and 0 when unreadable).
    private static (DateTimeOffset Expires, long Used) Stamps(string? value)
    {
        var parts = (value ?? "").Split(ValueSeparator, 3);
        var expires = long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : DateTimeOffset.MinValue;
        return (expires, parts.Length == 3 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var used) ? used : 0);
    }
}

/// <summary>Puts <see cref="SignInSessions"/> behind the sign-in server's cookie.</summary>
internal sealed class SignInSessionsSetup(SignInSessions sessions) : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (name == IdentityConstants.ApplicationScheme)
        {
            options.SessionStore = sessions;
        }
    }
}
