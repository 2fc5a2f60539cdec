using System.Collections.Concurrent;
using System.Data.Common;
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
/// </summary>
public sealed class TokenEntryCache(IOptions<MarketplaceIdentityOptions> options, TimeProvider time)
{
    /// <summary>Entries held at most; past it the cache starts again empty.</summary>
    private const int MaxEntries = 100_000;

    /// <summary>The entry remembered for a valid authorization (only its validity matters).</summary>
    private static readonly object ValidAuthorization = new();

    private readonly ConcurrentDictionary<string, (object Entry, long Until)> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _duration = options.Value.EffectiveTokenEntryCacheDuration;
    private long _generation;
    private long _storeReads;

    /// <summary>Whether entries are remembered at all (a zero duration turns the cache off).</summary>
    public bool Enabled => _duration > TimeSpan.Zero;

    /// <summary>
    /// How many commands read OpenIddict rows (tokens, authorizations, applications) through this host's identity store,
    /// counted where they run, whoever sent them (for tests and measurements).
    /// </summary>
    public long StoreReads => Interlocked.Read(ref _storeReads);

    /// <summary>Forgets every entry: something may have revoked one of them.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
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

            var entry = await cache.FindAsync(TokenKey(id), () => TokenEntry.ReadAsync(services, id, context.CancellationToken), e => e.Valid);
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

    private static string TokenKey(string id) => "token:" + id;

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
            var entry = await cache.FindAsync(TokenKey(id), () => TokenEntry.ReadAsync(services, id, context.CancellationToken), e => e.Valid);
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
