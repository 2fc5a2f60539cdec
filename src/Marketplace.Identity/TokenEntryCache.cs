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
/// identity store. Revocation is pushed, not waited out: every command that updates or deletes an OpenIddict row
/// through this host's identity store (revoking, redeeming, pruning, deleting a client) empties the cache before and
/// after it runs and again when its transaction commits, and an entry read while that happened is not remembered. A
/// change made by another process (another host, the <c>clients revoke</c> command) is seen once the entry expires.
/// </summary>
public sealed class TokenEntryCache(IOptions<MarketplaceIdentityOptions> options, TimeProvider time)
{
    /// <summary>Entries held at most; past it the cache starts again empty.</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, long> _validUntil = new(StringComparer.Ordinal);
    private readonly TimeSpan _duration = options.Value.EffectiveTokenEntryCacheDuration;
    private long _generation;
    private long _storeReads;

    /// <summary>Whether entries are remembered at all (a zero duration turns the cache off).</summary>
    public bool Enabled => _duration > TimeSpan.Zero;

    /// <summary>How many times validation read an entry from the store (for tests and measurements).</summary>
    public long StoreReads => Interlocked.Read(ref _storeReads);

    /// <summary>Forgets every entry: something may have revoked one of them.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _validUntil.Clear();
    }

    /// <summary>Whether the entry is valid: from the cache when it was found valid lately, else from the store through <paramref name="read"/>.</summary>
    internal async ValueTask<bool> IsValidAsync(string key, Func<ValueTask<bool>> read)
    {
        var now = time.GetTimestamp();
        if (Enabled && _validUntil.TryGetValue(key, out var until) && now < until)
        {
            return true;
        }

        var generation = Interlocked.Read(ref _generation);
        Interlocked.Increment(ref _storeReads);
        var valid = await read();
        if (valid && Enabled)
        {
            if (_validUntil.Count >= MaxEntries)
            {
                _validUntil.Clear();
            }

            _validUntil[key] = now + (long)(_duration.TotalSeconds * time.TimestampFrequency);

            // A revocation that ran while the store was read may have been read past: do not keep what it may have ended.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _validUntil.TryRemove(key, out _);
            }
        }

        return valid;
    }

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
            var valid = await cache.IsValidAsync("token:" + id, async () =>
            {
                var manager = services.GetRequiredService<IOpenIddictTokenManager>();
                var token = await manager.FindByIdAsync(id, context.CancellationToken);
                return token is not null && await manager.HasStatusAsync(token, Statuses.Valid, context.CancellationToken);
            });
            if (!valid)
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
            var valid = await cache.IsValidAsync("authorization:" + id, async () =>
            {
                var manager = services.GetRequiredService<IOpenIddictAuthorizationManager>();
                var authorization = await manager.FindByIdAsync(id, context.CancellationToken);
                return authorization is not null && await manager.HasStatusAsync(authorization, Statuses.Valid, context.CancellationToken);
            });
            if (!valid)
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

        private static bool ChangesEntries(DbCommand command)
            => command.CommandText.Contains("OpenIddict", StringComparison.Ordinal)
               && (command.CommandText.Contains("UPDATE", StringComparison.OrdinalIgnoreCase) || command.CommandText.Contains("DELETE", StringComparison.OrdinalIgnoreCase));

        private void Before(DbCommand command)
        {
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
