using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace Marketplace.Identity;

/// <summary>
/// Token and authorization entries that validation found valid, remembered for
/// <see cref="MarketplaceIdentityOptions.TokenEntryCacheDuration"/> so that a call with a known token does not read the
/// identity store (neither to restore the token's properties from its entry nor to check the entry's status).
/// Revocation is pushed, not waited out: every command that updates or deletes an OpenIddict row through this host's
/// identity store (revoking, redeeming, pruning, deleting a client) empties the cache before and
/// after it runs and again when its transaction commits, and an entry read while that happened is not remembered. A
/// change made by another process (another host, the <c>clients revoke</c> command) is seen once the entry expires.
/// The principal that a whole validation made of an access token (decrypting it, checking its signature, restoring its
/// entry's properties, checking its entry and authorization) is remembered the same way, so that a known token skips
/// the cryptography as well as the store.
/// </summary>
public sealed class TokenEntryCache(IOptions<MarketplaceIdentityOptions> options, TimeProvider time)
{
    /// <summary>Entries held at most; past it the cache starts again empty.</summary>
    private const int MaxEntries = 100_000;

    /// <summary>Validated access tokens held at most (each keeps its token text and principal, a few KiB); past it the cache starts again empty.</summary>
    private const int MaxPrincipals = 10_000;

    /// <summary>The entry remembered for a valid authorization (only its validity matters).</summary>
    private static readonly object ValidAuthorization = new();

    private readonly ConcurrentDictionary<string, (object Entry, long Until)> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Address, string Token), (ClaimsPrincipal Principal, long Until)> _principals = new();
    private readonly TimeSpan _duration = options.Value.EffectiveTokenEntryCacheDuration;
    private long _generation;
    private long _storeReads;
    private long _tokenValidations;

    /// <summary>Whether entries are remembered at all (a zero duration turns the cache off).</summary>
    public bool Enabled => _duration > TimeSpan.Zero;

    /// <summary>
    /// How many commands read OpenIddict rows (tokens, authorizations, applications) through this host's identity store,
    /// counted where they run, whoever sent them (for tests and measurements).
    /// </summary>
    public long StoreReads => Interlocked.Read(ref _storeReads);

    /// <summary>How many access tokens went through OpenIddict's whole validation (decryption, signature, entry checks), for tests and measurements.</summary>
    public long TokenValidations => Interlocked.Read(ref _tokenValidations);

    /// <summary>Forgets every entry and validated token: something may have revoked one of them.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
        _principals.Clear();
    }

    /// <summary>
    /// The entry under <paramref name="key"/>: from the cache when it was found valid lately, else from the store through
    /// <paramref name="read"/> (null when there is none). Only an entry that <paramref name="isValid"/> is remembered, so
    /// a revoked or missing one is read again on every call.
    /// </summary>
    internal async ValueTask<T?> FindAsync<T>(string key, Func<ValueTask<T?>> read, Func<T, bool> isValid)
        where T : class
    {
        var now = time.GetTimestamp();
        if (Enabled && _entries.TryGetValue(key, out var known) && now < known.Until)
        {
            return (T)known.Entry;
        }

        var generation = Interlocked.Read(ref _generation);
        var entry = await read();
        if (entry is not null && isValid(entry) && Enabled)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[key] = (entry, now + (long)(_duration.TotalSeconds * time.TimestampFrequency));

            // A revocation that ran while the store was read may have been read past: do not keep what it may have ended.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(key, out _);
            }
        }

        return entry;
    }

    /// <summary>What validation needs of a token's entry: the properties it restores on the principal, and its status.</summary>
    internal sealed record TokenEntry(
        string? Id, string? AuthorizationId, string? Type, DateTimeOffset? CreationDate, DateTimeOffset? ExpirationDate, bool Valid)
    {
        public static async ValueTask<TokenEntry?> ReadAsync(IServiceProvider services, string id, CancellationToken cancellationToken)
        {
            var manager = services.GetRequiredService<IOpenIddictTokenManager>();
            var token = await manager.FindByIdAsync(id, cancellationToken);
            return token is null
                ? null
                : new TokenEntry(
                    await manager.GetIdAsync(token, cancellationToken), await manager.GetAuthorizationIdAsync(token, cancellationToken),
                    await manager.GetTypeAsync(token, cancellationToken), await manager.GetCreationDateAsync(token, cancellationToken),
                    await manager.GetExpirationDateAsync(token, cancellationToken), await manager.HasStatusAsync(token, Statuses.Valid, cancellationToken));
        }
    }

    /// <summary>
    /// Replaces OpenIddict's restoring of a token's properties from its entry (which reads the entry on every call) with
    /// the same through the cache; the entry it reads serves the token-entry check that follows.
    /// </summary>
    internal sealed class RestoreTokenEntryProperties(TokenEntryCache cache, IServiceProvider services) : IOpenIddictValidationHandler<ValidateTokenContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
            = OpenIddictValidationHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireTokenEntryValidationEnabled>()
                .UseScopedHandler<RestoreTokenEntryProperties>()
                .SetOrder(OpenIddictValidationHandlers.Protection.RestoreTokenEntryProperties.Descriptor.Order)
                .SetType(OpenIddictValidationHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            // No token id: the token has no entry in the store (token storage off).
            if (context.Principal?.GetTokenId() is not { Length: > 0 } id)
            {
                return;
            }

            var entry = await cache.FindTokenAsync(services, id, context.CancellationToken);
            if (entry is null)
            {
                context.Reject(Errors.InvalidToken, "The specified token is no longer valid.");
                return;
            }

            context.Principal
                .SetCreationDate(entry.CreationDate)
                .SetExpirationDate(entry.ExpirationDate)
                .SetAuthorizationId(context.AuthorizationId = entry.AuthorizationId)
                .SetTokenId(context.TokenId = entry.Id)
                .SetTokenType(entry.Type);
        }
    }

    /// <summary>
    /// Replaces OpenIddict's validation of the request's access token with the same validation done once per token and
    /// remembered: a token validated lately (and not past its expiry) gets a copy of the principal its validation made,
    /// without decrypting the token, checking its signature or resolving the validation's handlers again. The principal
    /// is forgotten with the entries on every revocation, so a revoked token is refused at once as before. Scoped like
    /// OpenIddict's own: the request's dispatcher resolves the validation's scoped handlers (and the identity store's
    /// context) in the request's scope, never in the root one, whose context would keep serving the entries it read first.
    /// </summary>
    internal sealed class ValidateAccessToken(TokenEntryCache cache, IOpenIddictValidationDispatcher dispatcher) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
            = OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireAccessTokenValidated>()
                .UseScopedHandler<ValidateAccessToken>()
                .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order)
                .SetType(OpenIddictValidationHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            if (string.IsNullOrEmpty(context.AccessToken))
            {
                return;
            }

            // The request's address is part of the key: without a configured issuer the issuer is that address, and
            // a token valid under one name must still be refused under another (the validation below checks it).
            var key = PrincipalKey(context.BaseUri, context.AccessToken);
            var now = cache.Now();
            if (cache.Enabled && cache._principals.TryGetValue(key, out var known) && now < known.Until)
            {
                context.AccessTokenPrincipal = known.Principal.Clone();
                return;
            }

            var generation = Interlocked.Read(ref cache._generation);
            Interlocked.Increment(ref cache._tokenValidations);
            var notification = new ValidateTokenContext(context.Transaction)
            {
                Token = context.AccessToken,
                ValidTokenTypes = { TokenTypeIdentifiers.AccessToken },
            };
            notification.ValidAudiences.UnionWith(context.Options.Audiences);
            await dispatcher.DispatchAsync(notification);

            if (notification.IsRequestHandled)
            {
                context.HandleRequest();
                return;
            }

            if (notification.IsRequestSkipped)
            {
                context.SkipRequest();
                return;
            }

            if (notification.IsRejected)
            {
                if (context.RejectAccessToken)
                {
                    context.Reject(notification.Error ?? Errors.InvalidRequest, notification.ErrorDescription, notification.ErrorUri);
                }

                return;
            }

            context.AccessTokenPrincipal = notification.Principal;
            if (cache.Enabled && notification.Principal is { } principal)
            {
                cache.RememberPrincipal(key, principal.Clone(), principal.GetExpirationDate(), now, generation);
            }
        }
    }

    private long Now() => time.GetTimestamp();

    /// <summary>
    /// Remembers a validated token's principal until the cache's duration or the token's expiry, whichever comes first,
    /// unless a revocation ran since the validation began (it may have ended what the validation read).
    /// </summary>
    private void RememberPrincipal((string Address, string Token) key, ClaimsPrincipal principal, DateTimeOffset? expires, long now, long generation)
    {
        var until = now + (long)(_duration.TotalSeconds * time.TimestampFrequency);
        if (expires is { } expiry)
        {
            var left = expiry - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            until = Math.Min(until, now + (long)(left.TotalSeconds * time.TimestampFrequency));
        }

        if (_principals.Count >= MaxPrincipals)
        {
            _principals.Clear();
        }

        _principals[key] = (principal, until);
        if (Interlocked.Read(ref _generation) != generation)
        {
            _principals.TryRemove(key, out _);
        }
    }

    private static string TokenKey(string id) => "token:" + id;

    /// <summary>A token's entry through the cache, read from the store (with the request's services) when it is not known.</summary>
    private ValueTask<TokenEntry?> FindTokenAsync(IServiceProvider services, string id, CancellationToken cancellationToken)
        => FindAsync(TokenKey(id), () => TokenEntry.ReadAsync(services, id, cancellationToken), e => e.Valid);

    /// <summary>
    /// A validated token's key: the address it was presented at and the token's text, as a pair (a string joining them
    /// copied the token's kilobyte or two on every request).
    /// </summary>
    private static (string Address, string Token) PrincipalKey(Uri? baseUri, string token) => (baseUri?.AbsoluteUri ?? "", token);

    /// <summary>
    /// Replaces OpenIddict's token-entry check with the same check through the cache. Scoped: the request's services give
    /// the store's manager, resolved only when the cache cannot answer.
    /// </summary>
    internal sealed class ValidateTokenEntry(TokenEntryCache cache, IServiceProvider services) : IOpenIddictValidationHandler<ValidateTokenContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
            = OpenIddictValidationHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireTokenEntryValidationEnabled>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireTokenIdResolved>()
                .UseScopedHandler<ValidateTokenEntry>()
                .SetOrder(OpenIddictValidationHandlers.Protection.ValidateTokenEntry.Descriptor.Order)
                .SetType(OpenIddictValidationHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            var id = context.TokenId!;
            var entry = await cache.FindTokenAsync(services, id, context.CancellationToken);
            if (entry is not { Valid: true })
            {
                context.Reject(Errors.InvalidToken, "The specified token is no longer valid.");
            }
        }
    }

    /// <summary>Replaces OpenIddict's authorization-entry check with the same check through the cache.</summary>
    internal sealed class ValidateAuthorizationEntry(TokenEntryCache cache, IServiceProvider services) : IOpenIddictValidationHandler<ValidateTokenContext>
    {
        public static OpenIddictValidationHandlerDescriptor Descriptor { get; }
            = OpenIddictValidationHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireAuthorizationEntryValidationEnabled>()
                .AddFilter<OpenIddictValidationHandlerFilters.RequireAuthorizationIdResolved>()
                .UseScopedHandler<ValidateAuthorizationEntry>()
                .SetOrder(OpenIddictValidationHandlers.Protection.ValidateAuthorizationEntry.Descriptor.Order)
                .SetType(OpenIddictValidationHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            var id = context.AuthorizationId!;
            var valid = await cache.FindAsync("authorization:" + id, async () =>
            {
                var manager = services.GetRequiredService<IOpenIddictAuthorizationManager>();
                var authorization = await manager.FindByIdAsync(id, context.CancellationToken);
                return authorization is not null && await manager.HasStatusAsync(authorization, Statuses.Valid, context.CancellationToken) ? ValidAuthorization : null;
            }, _ => true);
            if (valid is null)
            {
                context.Reject(Errors.InvalidToken, "The authorization associated with the token is no longer valid.");
            }
        }
    }

    /// <summary>
    /// Pushes revocation to the cache: a command of the identity store that updates or deletes OpenIddict rows empties it
    /// before it runs and after, and the transaction it ran in empties it again on commit (readers on other connections
    /// see the change only then).
    /// </summary>
    internal sealed class RevocationPush(TokenEntryCache cache) : DbCommandInterceptor, IDbTransactionInterceptor
    {
        private readonly ConcurrentDictionary<DbTransaction, bool> _touched = new();

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Before(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Before(command);
            return ValueTask.FromResult(result);
        }

        public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
        {
            After(command);
            return result;
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
            CancellationToken cancellationToken = default)
        {
            After(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Before(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            Before(command);
            return ValueTask.FromResult(result);
        }

        public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
        {
            After(command);
            return result;
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
            CancellationToken cancellationToken = default)
        {
            After(command);
            return ValueTask.FromResult(result);
        }

        public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Ended(transaction);

        public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Ended(transaction);
            return Task.CompletedTask;
        }

        public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => _touched.TryRemove(transaction, out _);

        public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            _touched.TryRemove(transaction, out _);
            return Task.CompletedTask;
        }

        private static bool ReadsEntries(DbCommand command)
            => command.CommandText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && command.CommandText.Contains("OpenIddict", StringComparison.Ordinal);

        private static bool ChangesEntries(DbCommand command)
            => command.CommandText.Contains("OpenIddict", StringComparison.Ordinal)
               && (command.CommandText.Contains("UPDATE", StringComparison.OrdinalIgnoreCase) || command.CommandText.Contains("DELETE", StringComparison.OrdinalIgnoreCase));

        private void Before(DbCommand command)
        {
            if (ReadsEntries(command))
            {
                Interlocked.Increment(ref cache._storeReads);
            }

            if (ChangesEntries(command))
            {
                if (command.Transaction is { } transaction)
                {
                    _touched[transaction] = true;
                }

                cache.Invalidate();
            }
        }

        private void After(DbCommand command)
        {
            if (ChangesEntries(command))
            {
                cache.Invalidate();
            }
        }

        private void Ended(DbTransaction transaction)
        {
            if (_touched.TryRemove(transaction, out _))
            {
                cache.Invalidate();
            }
        }
    }
}
