using System.Net;

namespace Marketplace.Host.Telemetry;

/// <summary>Traces, metrics and the Orleans dashboard: where they go and who may read them. Bound from <c>Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Telemetry";

    /// <summary>OTLP collector address (such as <c>http://otel-collector:4317</c>); traces and metrics go there when set. Default: none.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>Grpc</c> (port 4317, the default) or <c>HttpProtobuf</c> (port 4318) for <see cref="OtlpEndpoint"/>.</summary>
    public string OtlpProtocol { get; set; } = "Grpc";

    /// <summary>
    /// Records spans (ASP.NET Core, HTTP client, grain calls, storage). Default: on exactly when <see cref="OtlpEndpoint"/>
    /// is set, so a host that exports nothing pays nothing for tracing.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>
    /// Networks (CIDR, such as <c>10.0.0.0/8</c>, or single addresses) whose callers may scrape <c>/metrics</c> without a
    /// token: the Prometheus servers'. Anyone else needs a platform admin's token with the <c>admin</c> scope. Default: none.
    /// </summary>
    public string[] MetricsAllowedNetworks { get; set; } = [];

    /// <summary>Co-hosts the Orleans dashboard at <c>/dashboard</c> for platform admins. Default: true.</summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>Also records Orleans' runtime spans (membership, directory, system timers, activation). Default: false.</summary>
    public bool OrleansRuntimeSpans { get; set; }

    /// <summary>True when spans are recorded.</summary>
    public bool TracingEnabled => Tracing ?? OtlpEndpoint is not null;

    /// <summary>The parsed <see cref="MetricsAllowedNetworks"/>; throws <see cref="FormatException"/> naming a bad entry.</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks()
        => MetricsAllowedNetworks.Select(n => IPNetwork.TryParse(n.Contains('/', StringComparison.Ordinal) ? n : n + (n.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var network)
            ? network
            : throw new FormatException($"{nameof(TelemetryOptions)}.{nameof(MetricsAllowedNetworks)}: '{n}' is not a network (CIDR such as 10.0.0.0/8) nor an address.")).ToArray();
}
