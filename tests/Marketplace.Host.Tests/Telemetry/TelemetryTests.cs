using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Marketplace.Grains.Telemetry;
using System.Security.Claims;
using Marketplace.Host.Telemetry;
using Marketplace.Host.Tests.Api;
using Marketplace.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenTelemetry.Trace;
using Xunit.Abstractions;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Telemetry;

/// <summary>A host of its own with SQLite storage and tracing on, its spans caught by the in-memory exporter.</summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    /// <summary>Every span ended in this process that the host's tracer provider saw (other hosts' too: filter by trace id).</summary>
    public ConcurrentQueue<Activity> Spans { get; } = new();

    public MarketplaceServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var folder = MarketplaceServer.NewDataPath();
        var spans = new InMemorySpans(Spans);
        Server = await MarketplaceServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["DataPath"] = folder,
                ["Storage:Provider"] = "Sqlite",
                ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
                ["Telemetry:Tracing"] = "true",
                ["Telemetry:Dashboard"] = "true",
                ["Telemetry:MetricsAllowedNetworks:0"] = "10.0.0.0/8",
            },
            b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
    }

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();

    /// <summary>The in-memory exporter wants an <see cref="ICollection{T}"/>; a concurrent queue lets tests read while spans arrive.</summary>
    private sealed class InMemorySpans(ConcurrentQueue<Activity> queue) : ICollection<Activity>
    {
        public int Count => queue.Count;

        public bool IsReadOnly => false;

        public void Add(Activity item) => queue.Enqueue(item);

        public void Clear() => queue.Clear();

        public bool Contains(Activity item) => queue.Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => queue.CopyTo(array, arrayIndex);

        public bool Remove(Activity item) => throw new NotSupportedException();

        public IEnumerator<Activity> GetEnumerator() => queue.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

public class TelemetryTests(TelemetryFixture fixture, ITestOutputHelper output) : IClassFixture<TelemetryFixture>
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task CreateLot_Trace_SpansEndpointGrainCallsAndStorageWrite()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        ActivityTraceId traceId;
        using (var test = new Activity(nameof(CreateLot_Trace_SpansEndpointGrainCallsAndStorageWrite)) { ActivityTraceFlags = ActivityTraceFlags.Recorded }.Start())
        {
            // The request's client span (and through its traceparent header, the host's spans) join this sampled trace.
            traceId = test.TraceId;
            await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        }

        // The server span ends after the response is sent: wait for it.
        Activity[] trace = [];
        Assert.True(await Eventually.TrueAsync(() =>
        {
            trace = fixture.Spans.Where(s => s.TraceId == traceId).ToArray();
            return trace.Any(s => s.Source.Name == "Microsoft.AspNetCore");
        }, TimeSpan.FromSeconds(10)), "no server span for the request");
        output.WriteLine(TraceTree.Render(trace));

        var endpoint = Assert.Single(trace, s => s.Source.Name == "Microsoft.AspNetCore");
        Assert.Equal(ActivityKind.Server, endpoint.Kind);
        Assert.StartsWith("POST /api/v1/listings", endpoint.DisplayName, StringComparison.Ordinal);
        var grainCall = trace.Single(s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Server && s.DisplayName == "IListingGrain/CreateAsync");
        var write = trace.Single(s => s.Source.Name == MarketplaceMetrics.MeterName && s.DisplayName == "sqlite write listing");
        Assert.True(IsAncestor(endpoint, grainCall, trace), "the grain call is not under the endpoint");
        Assert.True(IsAncestor(grainCall, write, trace), "the storage write is not under the grain call");
        Assert.Equal("sqlite", write.GetTagItem("db.system.name"));
    }

    [Fact]
    public async Task Holds_PlacedAndRefused_AreCountedOnTheMarketplaceMeter()
    {
        var placed = 0L;
        var refused = new ConcurrentDictionary<string, long>();
        var meters = Server.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener
        {
            // Only this host's meter: other tests' hosts in this process have their own instances of "Marketplace".
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MarketplaceMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "marketplace.holds.placed")
            {
                Interlocked.Add(ref placed, value);
            }
            else if (instrument.Name == "marketplace.holds.refused")
            {
                var reason = tags.ToArray().Single(t => t.Key == "error.type").Value as string;
                refused.AddOrUpdate(reason!, value, (_, v) => v + value);
            }
        });
        listener.Start();

        var seller = await RegisterFirmAsync(Server, "seller");
        var buyer = await RegisterFirmAsync(Server, "buyer");
        var lot = await ActiveLotAsync(Server, seller, quantity: 10);
        using var client = Server.Client(buyer);
        await ReadAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 8 }), HttpStatusCode.Created);
        await ProblemAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 3 }), HttpStatusCode.Conflict, "hold-exceeds-available");

        Assert.Equal(1, Interlocked.Read(ref placed));
        Assert.Equal(1, refused.GetValueOrDefault("hold-exceeds-available"));
    }

    [Fact]
    public async Task Metrics_AnonymousAndFirmsRefused_PlatformAdminScrapes()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.Client().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Server.Client(firm).GetAsync("/metrics")).StatusCode);

        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        var response = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("marketplace_search_index_backlog", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.20.30.40", true)]
    [InlineData("::ffff:10.20.30.40", true)]
    [InlineData("192.168.1.1", false)]
    public async Task MetricsPolicy_CallerWithoutToken_AllowedOnlyFromConfiguredNetworks(string address, bool allowed)
    {
        var context = new DefaultHttpContext { RequestServices = Server.Services };
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        var authorization = Server.Services.GetRequiredService<IAuthorizationService>();
        var result = await authorization.AuthorizeAsync(new ClaimsPrincipal(new ClaimsIdentity()), context, TelemetrySetup.MetricsPolicy);
        Assert.Equal(allowed, result.Succeeded);
    }

    [Fact]
    public async Task Dashboard_OnlyForPlatformAdmins()
    {
        var firm = await RegisterFirmAsync(Server, "seller");
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.Address };
        var redirected = await anonymous.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.StartsWith("/account/sign-in", redirected.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Server.Client(firm).GetAsync("/dashboard/")).StatusCode);

        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        var page = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // An operations page, not the API: a client generated from the document gets none of its routes.
        var document = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.DoesNotContain("/dashboard", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlatformAdminHandler_TokenCallers_OpenNoIdentityStore()
    {
        // Authorization builds every handler for every request it authorizes: the platform-admin handler must not open
        // the identity store (a user manager over an EF Core context) for callers whose token decides alone.
        var userManagers = 0;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthorizationCore();
        services.AddScoped<IAuthorizationHandler, TelemetrySetup.PlatformAdminHandler>();
        services.AddScoped<UserManager<MarketplaceUser>>(_ =>
        {
            Interlocked.Increment(ref userManagers);
            throw new InvalidOperationException("The identity store was opened.");
        });
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var authorization = scope.ServiceProvider.GetRequiredService<IAuthorizationService>();

        var admin = new ClaimsIdentity("Bearer");
        admin.SetClaims(OpenIddictConstants.Claims.Role, [TokenClaims.PlatformAdminRole]).SetScopes(ApiScopes.Admin);
        var firm = new ClaimsIdentity("Bearer");
        firm.SetScopes(ApiScopes.ForFirms);

        Assert.True((await authorization.AuthorizeAsync(new ClaimsPrincipal(admin), null, new TelemetrySetup.PlatformAdminRequirement())).Succeeded);
        Assert.False((await authorization.AuthorizeAsync(new ClaimsPrincipal(firm), null, new TelemetrySetup.PlatformAdminRequirement())).Succeeded);
        Assert.Equal(0, userManagers);
    }

    [Fact]
    public async Task Readiness_ReportsEachDependencyAsJson()
    {
        var response = await Server.Client().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", report["status"]!.GetValue<string>());
        var checks = report["checks"]!.AsArray().ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!);
        Assert.Equal(["identity-database", "search-index", "silo-and-storage", "stripe"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(checks.Values, c => Assert.Equal("Healthy", c["status"]!.GetValue<string>()));
        Assert.Equal("Sqlite", checks["silo-and-storage"]["data"]!["storage"]!.GetValue<string>());
        Assert.Equal("Lucene", checks["search-index"]["data"]!["engine"]!.GetValue<string>());
    }

    private static bool IsAncestor(Activity ancestor, Activity span, IReadOnlyCollection<Activity> trace)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var parent = span.ParentSpanId; byId.TryGetValue(parent, out var next); parent = next.ParentSpanId)
        {
            if (next.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Prints a trace as an indented tree: one line per span with its source, kind and duration.</summary>
internal static class TraceTree
{
    public static string Render(IReadOnlyCollection<Activity> trace)
    {
        var text = new StringBuilder();
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        foreach (var root in trace.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartTimeUtc))
        {
            Write(root, 0);
        }

        return text.ToString();

        void Write(Activity span, int depth)
        {
            text.Append(' ', depth * 2).Append(span.DisplayName)
                .Append("  [").Append(span.Source.Name).Append(", ").Append(span.Kind).Append(", ")
                .Append(span.Duration.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).AppendLine(" ms]");
            foreach (var child in trace.Where(s => s.ParentSpanId == span.SpanId).OrderBy(s => s.StartTimeUtc))
            {
                Write(child, depth + 1);
            }
        }
    }
}
