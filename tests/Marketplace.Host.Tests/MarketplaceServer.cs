using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Identity;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Host.Tests;

/// <summary>
/// The real marketplace host on a loopback port: Kestrel, the co-hosted silo, the configured storage and the identity
/// server. Tests call the API with real tokens: firms are registered through the API by a "registrar" person who signed
/// up through the pages, and each firm's token comes from the code + PKCE flow.
/// </summary>
public sealed class MarketplaceServer : IAsyncDisposable
{
    /// <summary>Access tokens by trader id; shared by hosts that share a data folder (restarts, clusters).</summary>
    private static readonly ConcurrentDictionary<string, string> Tokens = new();

    private readonly WebApplication _app;
    private readonly bool _ownsData;
    private readonly SemaphoreSlim _registrarGate = new(1, 1);
    private Browser? _registrar;
    private string? _registrarToken;

    private MarketplaceServer(WebApplication app, Uri address, string dataPath, bool ownsData)
    {
        _app = app;
        Address = address;
        DataPath = dataPath;
        _ownsData = ownsData;
    }

    public Uri Address { get; }

    /// <summary>The host's data folder (identity store, keys, mail).</summary>
    public string DataPath { get; }

    public IServiceProvider Services => _app.Services;

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>A fresh data folder under the temp directory.</summary>
    public static string NewDataPath() => Path.Combine(Path.GetTempPath(), "marketplace-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Starts a host with memory storage and its own data folder unless the settings say otherwise.</summary>
    public static async Task<MarketplaceServer> StartAsync(Dictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? customize = null)
    {
        var ownsData = settings?.ContainsKey("DataPath") != true;
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["DataPath"] = NewDataPath(),
            ["Storage:Provider"] = "Memory",
            ["Cluster:ServiceId"] = "api-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Listings:SweepPeriod"] = "00:00:01",
            ["Identity:RateLimitPerMinute"] = "100000",
            ["Identity:ForgotPasswordPerHour"] = "100000",
            ["Identity:RegistrationsPerHour"] = "100000",
            // Tests in parallel import on the shared host (the authorization matrix as every kind of caller at once);
            // the per-host bound is tried on a host of its own (ImportsApiTests).
            ["Imports:MaxConcurrent"] = "64",
            // Tests poll the open-data feed; its per-caller and per-host bounds are tried on hosts of their own.
            ["Search:OpenDataPerMinute"] = "100000",
            ["Search:OpenDataConcurrent"] = "64",
            // One registrar person registers every firm these tests use.
            ["Identity:MaxFirmsPerPerson"] = "100000",
            ["Identity:FirstPartyRedirectUris:0"] = Browser.Callback,
            ["Identity:FirstPartyRedirectUris:1"] = Browser.Callback,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Telemetry:Dashboard"] = "false",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
            // Webhook receivers in tests listen on loopback; retries in milliseconds, not minutes.
            ["Webhooks:AllowDevelopmentTargets"] = "true",
            ["Webhooks:FirstRetryDelay"] = "00:00:00.050",
            ["Webhooks:MaxRetryDelay"] = "00:00:00.400",
            ["Webhooks:PollInterval"] = "00:00:00.050",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        if (ownsData)
        {
            TestSigningKeys.CopyInto(all["DataPath"]!, path => SigningKeys.LoadOrCreate(path));
        }

        var app = MarketplaceApp.Create(all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray(), customize);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Browser.MailFolders[new Uri(address)] = Path.Combine(all["DataPath"]!, "mail");
        return new MarketplaceServer(app, new Uri(address), all["DataPath"]!, ownsData);
    }

    /// <summary>An HTTP client acting for a firm registered by these tests (with a real token), or anonymous when <paramref name="traderId"/> is null.</summary>
    public HttpClient Client(string? traderId = null)
    {
        if (traderId is null)
        {
            return new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        }

        Assert.True(Tokens.TryGetValue(traderId, out var token), $"no token for firm {traderId}: register it with ApiDriver.RegisterFirmAsync");
        return BearerClient(token!);
    }

    /// <summary>An HTTP client sending the given access token.</summary>
    public HttpClient BearerClient(string accessToken)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    /// <summary>Remembers the token to use for a firm.</summary>
    public static void Remember(string traderId, string accessToken) => Tokens[traderId] = accessToken;

    /// <summary>
    /// The registrar: a person who signed up through the pages and registers the tests' firms through the API
    /// (becoming an admin of each), then signs in for each firm to get its token.
    /// </summary>
    public async Task<(Browser Browser, string Token)> RegistrarAsync()
    {
        await _registrarGate.WaitAsync();
        try
        {
            if (_registrar is null)
            {
                var browser = new Browser(Address);
                await browser.RegisterAsync(Browser.NewEmail("registrar"), Api.ApiDriver.NewBusinessId(), "Rekisteröijä Oy");
                _registrarToken = (await browser.TokensAsync())["access_token"]!.GetValue<string>();
                _registrar = browser;
            }

            return (_registrar, _registrarToken!);
        }
        finally
        {
            _registrarGate.Release();
        }
    }

    /// <summary>An HTTP client with the registrar's token (a person, acting for the registrar's own firm).</summary>
    public async Task<HttpClient> RegistrarClientAsync() => BearerClient((await RegistrarAsync()).Token);

    /// <summary>
    /// A person who belongs to no firm (as after every firm removed them): made directly in the store, then signed in
    /// through the pages; returns their token.
    /// </summary>
    public async Task<string> PersonWithoutFirmTokenAsync()
    {
        var email = Browser.NewEmail("lonely");
        await using (var scope = Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var created = await users.CreateAsync(new MarketplaceUser { UserName = email, Email = email, EmailConfirmed = true }, Browser.Password);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        }

        using var browser = new Browser(Address);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(email)).StatusCode);
        return (await browser.TokensAsync())["access_token"]!.GetValue<string>();
    }

    /// <summary>Registers a firm through the API as the registrar and gets a token acting for it; returns its id.</summary>
    public async Task<string> RegisterFirmAsync(JsonObject firm)
    {
        var (browser, token) = await RegistrarAsync();
        using var client = BearerClient(token);
        var response = await client.PostAsJsonAsync("/api/v1/traders", firm);
        var body = await Api.ApiDriver.ReadAsync(response, HttpStatusCode.Created);
        var id = body["id"]!.GetValue<string>();
        var tokens = await browser.TokensAsync(traderId: id);
        Remember(id, tokens["access_token"]!.GetValue<string>());
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        _registrar?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            try
            {
                Directory.Delete(DataPath, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a finishing background task; the temp folder is cleaned by the OS.
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// One host shared by the API tests that do not need a host of their own. Its card payments go to <see cref="Stripe"/>,
/// a local server answering as Stripe's API documents.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public MarketplaceServer Server { get; private set; } = null!;

    public Marketplace.Testing.Payments.StripeStub Stripe { get; } = new();

    public async Task InitializeAsync() => Server = await MarketplaceServer.StartAsync(Stripe.HostSettings());

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Stripe.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "api";
}
