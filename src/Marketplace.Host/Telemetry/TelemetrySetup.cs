using System.Net;
using Marketplace.Grains.Telemetry;
using Marketplace.Host.Search;
using Marketplace.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Validation.AspNetCore;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace Marketplace.Host.Telemetry;

/// <summary>
/// OpenTelemetry traces and metrics (ASP.NET Core, HTTP client, Orleans, grain storage, Azure SDK, the marketplace's
/// own meter), an OTLP exporter by configuration, the Prometheus scrape endpoint and the Orleans dashboard.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>Policy of <c>/metrics</c>: a caller from <see cref="TelemetryOptions.MetricsAllowedNetworks"/>, or a platform admin.</summary>
    public const string MetricsPolicy = "metrics-scrape";

    /// <summary>Policy of <c>/dashboard</c>: a platform admin, by bearer token or by the sign-in session of the pages.</summary>
    public const string DashboardPolicy = "platform-admin-ui";

    /// <summary>
    /// Activity sources whose spans are recorded: the marketplace's own (grain storage), Orleans' calls to application
    /// grains and its storage operations, and the Azure SDK (Table storage). Orleans' runtime source
    /// (<c>Microsoft.Orleans.Runtime</c>: membership, directory, timers, the dashboard's polling) only with
    /// <see cref="TelemetryOptions.OrleansRuntimeSpans"/>: it starts several traces a second of its own on an idle silo.
    /// </summary>
    public static readonly string[] ActivitySources =
    [
        MarketplaceMetrics.MeterName,
        "Microsoft.Orleans.Application",
        "Microsoft.Orleans.Storage",
        "Azure.*",
    ];

    /// <summary>Meters whose instruments are exported.</summary>
    public static readonly string[] Meters = [MarketplaceMetrics.MeterName, "Microsoft.Orleans"];

    private const string AdminUiScheme = "bearer-or-session";

    /// <summary>Registers tracing and metrics, log scopes carrying trace ids, and the policies of <c>/metrics</c> and <c>/dashboard</c>.</summary>
    public static WebApplicationBuilder AddMarketplaceTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var allowed = options.AllowedNetworks();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);

        // Log scopes carry the trace and span ids (shown by the JSON console formatter with IncludeScopes).
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        builder.Services.AddSingleton(sp =>
        {
            var metrics = ActivatorUtilities.CreateInstance<MarketplaceMetrics>(sp);
            if (sp.GetService<SearchFeed>() is { } feed)
            {
                metrics.ObserveSearchBacklog(() => feed.Queued + feed.Dirty);
            }

            return metrics;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("marketplace", serviceInstanceId: Environment.MachineName))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(Meters)
                .AddPrometheusExporter());
        if (options.TracingEnabled)
        {
            // The Azure SDK's activity sources (Azure.Data.Tables under Orleans' Azure Table storage) stay silent unless switched on.
            AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
            telemetry.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health")
                                                                        && !context.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation()
                .AddSource(ActivitySources)
                .AddSource(options.OrleansRuntimeSpans ? ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Lifecycle"] : []));
        }

        if (options.OtlpEndpoint is { } endpoint)
        {
            var protocol = Enum.TryParse<OtlpExportProtocol>(options.OtlpProtocol, ignoreCase: true, out var p)
                ? p
                : throw new InvalidOperationException($"{nameof(TelemetryOptions)}.{nameof(TelemetryOptions.OtlpProtocol)} '{options.OtlpProtocol}' is not Grpc or HttpProtobuf.");
            telemetry.UseOtlpExporter(protocol, endpoint);
        }

        builder.Services.AddAuthentication().AddPolicyScheme(AdminUiScheme, "Bearer token or sign-in session", o =>
            o.ForwardDefaultSelector = context => context.Request.Headers.Authorization.Count > 0
                ? OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme
                : IdentityConstants.ApplicationScheme);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(MetricsPolicy, p => p
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireAssertion(c => c.User.IsPlatformAdmin() || (c.Resource is HttpContext http && FromAllowedNetwork(http, allowed))))
            .AddPolicy(DashboardPolicy, p => p
                .AddAuthenticationSchemes(AdminUiScheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new PlatformAdminRequirement()));
        builder.Services.AddScoped<IAuthorizationHandler, PlatformAdminHandler>();
        return builder;
    }

    /// <summary>Adds Orleans' grain call spans and the dashboard's collectors to the silo, as the options ask.</summary>
    public static ISiloBuilder AddMarketplaceTelemetry(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.TracingEnabled)
        {
            silo.AddActivityPropagation();
        }

        if (options.Dashboard)
        {
            silo.AddDashboard();
        }

        return silo;
    }

    /// <summary>Maps <c>/metrics</c> (Prometheus text) and, when on, the Orleans dashboard at <c>/dashboard</c>.</summary>
    public static WebApplication MapMarketplaceTelemetry(this WebApplication app)
    {
        // Made now, not at the first hold: its gauges (the search backlog) are scraped from the start.
        app.Services.GetRequiredService<MarketplaceMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(MetricsPolicy);
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value.Dashboard)
        {
            // An operations page, not part of the API: left out of the OpenAPI document (clients generated from it got its 23 routes).
            app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(DashboardPolicy).ExcludeFromDescription();
        }

        return app;
    }

    private static bool FromAllowedNetwork(HttpContext context, IReadOnlyList<IPNetwork> allowed)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return false;
        }

        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return allowed.Any(n => n.Contains(address));
    }

    /// <summary>A platform admin: a token with the admin role and scope, or a sign-in session of a person marked platform admin.</summary>
    internal sealed class PlatformAdminRequirement : IAuthorizationRequirement;

    /// <summary>
    /// Decides <see cref="PlatformAdminRequirement"/>. Authorization builds every registered handler for every request
    /// it authorizes, so the identity store's user manager (an EF Core context and its options) is resolved only when
    /// a sign-in session must be looked up, not on each API call: building it was about 2.5 % of the host's CPU under
    /// the API load harness.
    /// </summary>
    internal sealed class PlatformAdminHandler(IServiceProvider services) : AuthorizationHandler<PlatformAdminRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PlatformAdminRequirement requirement)
        {
            if (context.User.IsPlatformAdmin())
            {
                context.Succeed(requirement);
                return;
            }

            // A session cookie carries no roles: read the person's flag from the identity store.
            if (context.User.Identities.Any(i => i.AuthenticationType == IdentityConstants.ApplicationScheme)
                && await services.GetRequiredService<UserManager<MarketplaceUser>>().GetUserAsync(context.User) is { IsPlatformAdmin: true })
            {
                context.Succeed(requirement);
            }
        }
    }
}
