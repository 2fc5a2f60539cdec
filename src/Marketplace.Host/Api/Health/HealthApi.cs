using System.Text.Json;
using Marketplace.Grains.Health;
using Marketplace.Host.Search;
using Marketplace.Identity;
using Marketplace.Payments.Stripe;
using Marketplace.Search;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Api.Health;

/// <summary>Liveness (the process answers) and readiness (each dependency answers), the latter as a JSON report.</summary>
public static class HealthApi
{
    /// <summary>How long one dependency may take to answer before it counts as down.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Registers one readiness check per dependency.</summary>
    public static IServiceCollection AddMarketplaceHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<SiloReadyCheck>("silo-and-storage", tags: ["ready"])
            .AddCheck<IdentityDatabaseCheck>("identity-database", tags: ["ready"])
            .AddCheck<SearchIndexCheck>("search-index", tags: ["ready"])
            .AddCheck<StripeCheck>("stripe", tags: ["ready"]);
        return services;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c>.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new() { Predicate = _ => false }).WithAccess(AccessRule.Public);
        routes.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReportAsync }).WithAccess(AccessRule.Public);
        return routes;
    }

    /// <summary>
    /// <c>{"status":"Healthy","durationMs":12,"checks":[{"name":"silo-and-storage","status":"Healthy","description":…,"durationMs":3,"data":{…}}]}</c>;
    /// the status code stays the health checks' own (200 healthy or degraded, 503 unhealthy).
    /// </summary>
    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = (long)report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationMs = (long)e.Value.Duration.TotalMilliseconds,
                data = e.Value.Data.Count > 0 ? e.Value.Data : null,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, HealthJson), context.RequestAborted);
    }

    private static readonly JsonSerializerOptions HealthJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Runs <paramref name="probe"/> with the timeout; an exception (other than the caller giving up) is "unhealthy".</summary>
    private static async Task<HealthCheckResult> ProbeAsync(Func<CancellationToken, Task<HealthCheckResult>> probe, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            return await probe(timeout.Token).WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{what} did not answer: {e.GetType().Name}");
        }
    }

    /// <summary>Healthy when a grain activates and reads its state from storage within 5 seconds.</summary>
    private sealed class SiloReadyCheck(IGrainFactory grains, IConfiguration configuration) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => ProbeAsync(async _ =>
            {
                await grains.GetGrain<IReadinessGrain>(0).CheckStorageAsync();
                return HealthCheckResult.Healthy("A grain activated and read its state.", new Dictionary<string, object>
                {
                    ["storage"] = configuration["Storage:Provider"] ?? "Sqlite",
                    ["clustering"] = configuration["Cluster:Provider"] ?? "Localhost",
                });
            }, "The silo or its grain storage", cancellationToken);
    }

    /// <summary>Healthy when the identity database (tokens, people, keys) answers a query.</summary>
    private sealed class IdentityDatabaseCheck(IServiceScopeFactory scopes) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => ProbeAsync(async token =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
                return await db.Database.CanConnectAsync(token)
                    ? HealthCheckResult.Healthy("The identity database answered.", new Dictionary<string, object> { ["provider"] = db.Database.ProviderName ?? "unknown" })
                    : HealthCheckResult.Unhealthy("The identity database refused the connection.");
            }, "The identity database", cancellationToken);
    }

    /// <summary>
    /// Healthy when the search engine (Lucene in-process, or the Elasticsearch cluster) answers a query; degraded while
    /// the index is still catching up with storage after a start (searches answer, possibly without the newest lots).
    /// </summary>
    private sealed class SearchIndexCheck(IServiceProvider services) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => ProbeAsync(async token =>
            {
                if (services.GetService<ISearchEngine>() is not { } engine)
                {
                    return HealthCheckResult.Healthy("Search is not configured on this host.");
                }

                if (engine is SearchOff)
                {
                    return HealthCheckResult.Healthy("Search is switched off (Search:Provider=None).", new Dictionary<string, object> { ["engine"] = engine.Name });
                }

                // A seller no lot has: a real round trip through the engine that stays cheap on any size of index.
                await engine.SearchAsync(new SearchQuery { SellerId = "readiness-probe", Limit = 1 }, token);
                var data = new Dictionary<string, object> { ["engine"] = engine.Name };
                if (services.GetService<SearchFeed>() is { } feed)
                {
                    data["backlog"] = feed.Queued + feed.Dirty;
                    if (!feed.CaughtUp.IsCompleted)
                    {
                        return HealthCheckResult.Degraded("The index answers but is still catching up with grain storage.", data: data);
                    }
                }

                return HealthCheckResult.Healthy($"{engine.Name} answered a query.", data);
            }, "The search index", cancellationToken);
    }

    /// <summary>
    /// Reports whether card payments are configured. Stripe is not called: a payment provider's outage must not take every
    /// host out of the load balancer (card payments then fail with 502 while everything else goes on).
    /// </summary>
    private sealed class StripeCheck(IOptions<StripeOptions> stripe) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(HealthCheckResult.Healthy(stripe.Value.Enabled
                ? "Card payments are configured (Stripe is not called by readiness)."
                : "Card payments are off (no Payments:Stripe:SecretKey)."));
    }
}
