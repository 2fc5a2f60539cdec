using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Tests;

/// <summary>
/// The real marketplace host on a loopback port: Kestrel, the co-hosted silo and the configured storage. Tests sign in
/// with a test-only scheme (header <c>X-Test-Trader</c>) that only this test project registers.
/// </summary>
public sealed class MarketplaceServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MarketplaceServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Starts a host with memory storage unless the settings say otherwise.</summary>
    public static async Task<MarketplaceServer> StartAsync(Dictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? customize = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Storage:Provider"] = "Memory",
            ["Cluster:ServiceId"] = "api-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Listings:SweepPeriod"] = "00:00:01",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var app = MarketplaceApp.Create(all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray(), builder =>
        {
            builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, TestSignIn>(TestSignIn.SchemeName, _ => { });
            builder.Services.Configure<AuthenticationOptions>(o => o.DefaultAuthenticateScheme = TestSignIn.SchemeName);
            customize?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MarketplaceServer(app, new Uri(address));
    }

    /// <summary>An HTTP client acting for a firm, or anonymous when <paramref name="traderId"/> is null.</summary>
    public HttpClient Client(string? traderId = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (traderId is not null)
        {
            client.DefaultRequestHeaders.Add(TestSignIn.TraderHeader, traderId);
        }

        return client;
    }

    /// <summary>A client signed in as a user that acts for no firm yet.</summary>
    public HttpClient UserClient(string subject)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(TestSignIn.UserHeader, subject);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Test-only sign-in: trusts headers, so it exists only in this test project.</summary>
    private sealed class TestSignIn(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "Test";
        public const string TraderHeader = "X-Test-Trader";
        public const string UserHeader = "X-Test-User";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var claims = new List<Claim>();
            if (Request.Headers.TryGetValue(TraderHeader, out var trader))
            {
                claims.Add(new Claim("sub", "user-of-" + trader));
                claims.Add(new Claim("trader_id", trader.ToString()));
            }
            else if (Request.Headers.TryGetValue(UserHeader, out var user))
            {
                claims.Add(new Claim("sub", user.ToString()));
            }
            else
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
        }
    }
}

/// <summary>One host shared by the API tests that do not need a host of their own.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public MarketplaceServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await MarketplaceServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "api";
}
