using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Identity;

/// <summary>
/// Before anything listens: applies the identity store's migrations and keeps the marketplace's own first-party client
/// (<c>marketplace-web</c>: public, code + PKCE, no consent screen) in line with configuration.
/// </summary>
public sealed class IdentityDatabaseInitializer(IServiceProvider services, IOptions<MarketplaceIdentityOptions> options, ILogger<IdentityDatabaseInitializer> logger)
    : IHostedLifecycleService
{
    /// <summary>Client id of the marketplace's own web and command-line client.</summary>
    public const string FirstPartyClientId = "marketplace-web";

    /// <inheritdoc />
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Could not prepare the identity store ({options.Value.Store}): {e.Message} Check Identity:ConnectionString and that the database accepts connections.", e);
        }

        // Hosts of a cluster starting together update the same client row: the loser of that race reads it again.
        for (var attempt = 1; ; attempt++)
        {
            await using var attemptScope = services.CreateAsyncScope();
            try
            {
                await EnsureFirstPartyClientAsync(attemptScope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>(), cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < 5 && e is OpenIddictExceptions.ConcurrencyException or DbUpdateException)
            {
                logger.LogInformation("The first-party client changed meanwhile (another host starting); reading it again");
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(50, 250) * attempt), cancellationToken);
            }
        }
    }

    private async Task EnsureFirstPartyClientAsync(IOpenIddictApplicationManager applications, CancellationToken ct)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = FirstPartyClientId,
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = "Marketplace",
        };
        descriptor.Permissions.UnionWith([
            Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession, Permissions.Endpoints.Revocation,
            Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
            Permissions.Scopes.Profile, Permissions.Scopes.Email,
            .. ApiScopes.All.Select(s => Permissions.Prefixes.Scope + s)]);
        descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        foreach (var uri in options.Value.FirstPartyRedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        if (options.Value.AllowLoopbackHttp)
        {
            // Loopback development on another port than the default: the pages' own callback on the addresses the host
            // listens on, so that signing in works without configuring it (it answered a bare "redirect_uri not valid").
            foreach (var uri in LoopbackCallbacks(services.GetService<IConfiguration>()?["urls"]))
            {
                descriptor.RedirectUris.Add(uri);
            }
        }

        var existing = await applications.FindByClientIdAsync(FirstPartyClientId, ct);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, ct);
            logger.LogInformation("Created the first-party client {ClientId}", FirstPartyClientId);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor, ct);
        }
    }

    /// <summary>
    /// The first-party callback (<see cref="MarketplaceIdentityOptions.FirstPartyCallbackPath"/>) on each loopback address of
    /// <paramref name="urls"/> (the host's <c>urls</c> setting, <c>;</c>-separated), under every loopback name; an address
    /// on every interface (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) includes loopback. Port 0 (a port chosen at start) has none.
    /// </summary>
    public static IEnumerable<Uri> LoopbackCallbacks(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normal = url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(normal, UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.Scheme is not ("http" or "https"))
            {
                continue;
            }

            var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
            var loopback = new UriBuilder(uri.Scheme, host, uri.Port).Uri.AbsoluteUri.TrimEnd('/');
            foreach (var variant in LoopbackIssuers.Variants(loopback))
            {
                yield return new Uri(variant + MarketplaceIdentityOptions.FirstPartyCallbackPath, UriKind.Absolute);
            }
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Deletes expired and revoked tokens and authorizations every <see cref="MarketplaceIdentityOptions.PruneInterval"/>.</summary>
public sealed class TokenPruner(IServiceProvider services, IOptions<MarketplaceIdentityOptions> options, TimeProvider time, ILogger<TokenPruner> logger) : BackgroundService
{
    /// <summary>Tokens that ended this long ago are deleted (kept a while for auditing refresh-token reuse).</summary>
    public static readonly TimeSpan KeepEnded = TimeSpan.FromDays(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var (tokens, authorizations) = await PruneAsync(stoppingToken);
                logger.LogInformation("Pruned {Tokens} tokens and {Authorizations} authorizations", tokens, authorizations);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Pruning tokens failed; it is tried again in {Interval}", options.Value.PruneInterval);
            }
        }
    }

    /// <summary>Prunes once; returns how many tokens and authorizations were deleted.</summary>
    public async Task<(long Tokens, long Authorizations)> PruneAsync(CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var threshold = time.GetUtcNow() - KeepEnded;
        var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, ct);
        var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, ct);
        return (tokens, authorizations);
    }
}
