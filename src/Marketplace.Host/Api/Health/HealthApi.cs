using Marketplace.Grains.Health;
using Marketplace.Identity;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Marketplace.Host.Api.Health;

/// <summary>Liveness (the process answers) and readiness (the silo and its storage answer).</summary>
public static class HealthApi
{
    /// <summary>Registers the readiness check.</summary>
    public static IServiceCollection AddMarketplaceHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<SiloReadyCheck>("silo-and-storage", tags: ["ready"]);
        return services;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c>.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new() { Predicate = _ => false }).WithAccess(AccessRule.Public);
        routes.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") }).WithAccess(AccessRule.Public);
        return routes;
    }

    /// <summary>Healthy when a grain activates and reads its state from storage within 5 seconds.</summary>
    private sealed class SiloReadyCheck(IGrainFactory grains) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await grains.GetGrain<IReadinessGrain>(0).CheckStorageAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy("The silo or its grain storage did not answer: " + e.GetType().Name);
            }
        }
    }
}
