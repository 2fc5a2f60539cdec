using System.Net;
using System.Threading.RateLimiting;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Api.Callers;

/// <summary>The proxies in front of the host whose forwarded headers are believed (section <c>ForwardedHeaders</c>).</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies (e.g. <c>10.0.0.5</c>). Default none: forwarded headers are ignored.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation (e.g. <c>10.0.0.0/24</c>). Default none.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>True when every entry parses.</summary>
    public bool IsValid => KnownProxies.All(p => IPAddress.TryParse(p, out _)) && KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _));
}

/// <summary>Endpoint metadata: calls are limited per caller by the named policy (see <see cref="CallerRateLimitOptions"/>).</summary>
/// <param name="Policy">The policy's name.</param>
public sealed record CallerRateLimit(string Policy);

/// <summary>The limiter of every per-caller policy, one partition per policy and caller.</summary>
/// <param name="Limiter">The partitioned limiter.</param>
public sealed record CallerLimiter(PartitionedRateLimiter<HttpContext> Limiter);

/// <summary>Calls per minute of each named per-caller policy.</summary>
public sealed class CallerRateLimitOptions
{
    /// <summary>Policy name → calls per caller and minute.</summary>
    public Dictionary<string, int> PermitsPerMinute { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Who is calling, for limits: the real client behind trusted proxies only (<c>X-Forwarded-For</c>/<c>-Proto</c>), and an
/// authenticated caller by its token's subject (an API client's id or a person), so callers sharing an address (a
/// company's NAT, a proxy) do not share a limit and one caller cannot escape it by changing address.
/// </summary>
public static class CallerSetup
{
    /// <summary>Binds the trusted proxies and the per-caller limits.</summary>
    public static IServiceCollection AddMarketplaceCallers(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section)
            .Validate(s => s.IsValid, $"{ForwardedHeadersSettings.Section}:{nameof(ForwardedHeadersSettings.KnownProxies)} must be IP addresses and {ForwardedHeadersSettings.Section}:{nameof(ForwardedHeadersSettings.KnownNetworks)} CIDR networks (10.0.0.0/24).")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((o, settings) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Trust only what is configured: the framework's default trusts loopback, and a process on this machine is not a proxy.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005, CS0618 // The obsolete list may still hold the default loopback network; trust none of it.
            o.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005, CS0618
            o.ForwardLimit = null;
            var s = settings.Value;
            if (!s.IsValid)
            {
                return;
            }

            foreach (var proxy in s.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in s.KnownNetworks)
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddOptions<CallerRateLimitOptions>();
        services.AddSingleton(sp => new CallerLimiter(CreateLimiter(sp.GetRequiredService<IOptions<CallerRateLimitOptions>>().Value)));
        return services;
    }

    /// <summary>
    /// Believes forwarded headers from the configured proxies; with none configured the headers are not read at all
    /// (the framework's middleware would believe anyone when both of its lists are empty).
    /// </summary>
    public static WebApplication UseMarketplaceForwardedHeaders(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value;
        if (settings.KnownProxies.Count + settings.KnownNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Limits calls per caller with the named policy.</summary>
    public static TBuilder RequireCallerRateLimit<TBuilder>(this TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new CallerRateLimit(policy));

    /// <summary>The key a caller's limits are counted under.</summary>
    public static string CallerKey(HttpContext context)
        => context.User.Identity?.IsAuthenticated == true
            ? "subject:" + context.User.Subject()
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>Refuses with 429 a call over its caller's limit; runs after authentication, so callers are known.</summary>
    public static Task LimitPerCaller(HttpContext context, RequestDelegate next)
        => context.GetEndpoint()?.Metadata.GetMetadata<CallerRateLimit>() is null ? next(context) : LimitAsync(context, next);

    private static async Task LimitAsync(HttpContext context, RequestDelegate next)
    {
        var limiter = context.RequestServices.GetRequiredService<CallerLimiter>().Limiter;
        using var lease = await limiter.AcquireAsync(context, 1, context.RequestAborted);
        if (!lease.IsAcquired)
        {
            context.Response.Headers.RetryAfter = "60";
            await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status429TooManyRequests, "too-many-requests", "Too many requests",
                "Too many calls from this caller (per token subject, or per address without a token); wait a minute and retry."));
            return;
        }

        await next(context);
    }

    private static PartitionedRateLimiter<HttpContext> CreateLimiter(CallerRateLimitOptions options)
        => PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.GetEndpoint()?.Metadata.GetMetadata<CallerRateLimit>() is { } limit && options.PermitsPerMinute.TryGetValue(limit.Policy, out var permits)
                ? RateLimitPartition.GetFixedWindowLimiter($"{limit.Policy}/{CallerKey(context)}",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(""));
}
