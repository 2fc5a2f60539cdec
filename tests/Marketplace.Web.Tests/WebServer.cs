using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Marketplace.Host;
using Marketplace.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Web.Tests;

/// <summary>A firm the tests made: its person's sign-in, its id and a token acting for it.</summary>
/// <param name="Email">The person's address (their password is <see cref="WebServer.Password"/>).</param>
/// <param name="TraderId">The firm.</param>
/// <param name="Token">An access token of the person acting for the firm, for set-up through the API.</param>
public sealed record TestFirm(string Email, string TraderId, string Token);

/// <summary>
/// The real marketplace host on a loopback port (Kestrel, the co-hosted silo in memory, the identity server), its
/// first-party client's redirect URI registered for that port, so a browser signs in as a person would.
/// </summary>
public sealed partial class WebServer : IAsyncDisposable
{
    /// <summary>The password of every person the tests make.</summary>
    public const string Password = "correct horse battery staple";

    private static int _businessSerial = Random.Shared.Next(1_000_000, 5_000_000);
    private readonly WebApplication _app;
    private readonly string _dataPath;

    private WebServer(WebApplication app, Uri address, string dataPath)
    {
        _app = app;
        Address = address;
        _dataPath = dataPath;
    }

    /// <summary>Where the host listens, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a host with memory storage and a fresh data folder; <paramref name="settings"/> override the defaults.</summary>
    public static async Task<WebServer> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        var dataPath = Path.Combine(Path.GetTempPath(), "marketplace-web-tests", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string?>
        {
            ["urls"] = address,
            ["DataPath"] = dataPath,
            ["Storage:Provider"] = "Memory",
            ["Cluster:ServiceId"] = "web-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Identity:RateLimitPerMinute"] = "100000",
            ["Identity:RegistrationsPerHour"] = "100000",
            // Tests in parallel import on the shared host.
            ["Imports:MaxConcurrent"] = "64",
            // One registrar person registers every firm these tests use.
            ["Identity:MaxFirmsPerPerson"] = "100000",
            ["Identity:FirstPartyRedirectUris:0"] = address + "/signin-callback",
            ["Identity:FirstPartyRedirectUris:1"] = address + "/callback",
            ["Search:RateLimitPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        if (settings?.ContainsKey("DataPath") != true)
        {
            TestSigningKeys.CopyInto(dataPath, path => Marketplace.Identity.SigningKeys.LoadOrCreate(path));
        }

        var app = MarketplaceApp.Create(all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray());
        await app.StartAsync();
        return new WebServer(app, new Uri(address + "/"), dataPath);
    }

    /// <summary>
    /// A firm with one person, its admin: the person is made in the identity store (address confirmed), signs in over
    /// HTTP through the code + PKCE flow and registers the firm through the API, as the register page would.
    /// </summary>
    public async Task<TestFirm> FirmAsync(string name, string displayName, params string[] roles)
    {
        var email = $"{displayName.ToLowerInvariant().Replace(' ', '.')}-{Guid.NewGuid():N}@firm.example";
        await using (var scope = Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
            var created = await users.CreateAsync(new MarketplaceUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName }, Password);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        }

        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        var signInPage = await http.GetStringAsync("/account/sign-in");
        var form = new Dictionary<string, string>
        {
            ["Email"] = email, ["Password"] = Password, ["ReturnUrl"] = "/",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(Antiforgery().Match(signInPage).Groups[1].Value),
        };
        using (var signedIn = await http.PostAsync("/account/sign-in", new FormUrlEncodedContent(form)))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        var personal = await TokenAsync(http, null);
        using var api = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", personal);
        using var registered = await api.PostAsJsonAsync("/api/v1/traders", new JsonObject
        {
            ["name"] = name, ["businessId"] = NewBusinessId(), ["municipality"] = "Vantaa",
            ["contact"] = new JsonObject { ["person"] = displayName, ["email"] = email, ["phone"] = "+358 40 123 4567" },
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray()),
        });
        var body = await registered.Content.ReadAsStringAsync();
        Assert.True(registered.StatusCode == HttpStatusCode.Created, body);
        var traderId = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        return new TestFirm(email, traderId, await TokenAsync(http, traderId));
    }

    /// <summary>An HTTP client calling the API for a firm.</summary>
    public HttpClient Api(TestFirm firm)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", firm.Token);
        return client;
    }

    /// <summary>Creates and publishes a lot through the API as the seller; returns its id.</summary>
    public async Task<string> ActiveLotAsync(TestFirm seller, JsonObject lot)
    {
        using var client = Api(seller);
        using var created = await client.PostAsJsonAsync("/api/v1/listings", lot);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        using var published = await client.PostAsync($"/api/v1/listings/{id}/publish", null);
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync());
        return id;
    }

    /// <summary>A lot of reclaimed bricks at a place, with today inside its window.</summary>
    public static JsonObject Bricks(string title, double latitude, double longitude, string municipality, decimal quantity = 1000, long centsPerUnit = 45) => new()
    {
        ["title"] = title,
        ["description"] = "Cleaned red clay bricks from a 1950s facade, on pallets of 500.",
        ["category"] = "masonry/bricks",
        ["quantity"] = quantity,
        ["unit"] = "pcs",
        ["condition"] = "A",
        ["unitPrice"] = new JsonObject { ["minorUnits"] = centsPerUnit, ["currency"] = "EUR" },
        ["location"] = new JsonObject { ["latitude"] = latitude, ["longitude"] = longitude, ["address"] = "Tikkurilantie 10", ["municipality"] = municipality },
        ["pickup"] = true,
        ["delivery"] = true,
        ["availability"] = new JsonObject
        {
            ["from"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(60)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        },
    };

    private async Task<string> TokenAsync(HttpClient http, string? traderId)
    {
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var challenge = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var redirect = new Uri(Address, "/callback").ToString();
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = IdentityDatabaseInitializer.FirstPartyClientId, ["redirect_uri"] = redirect, ["response_type"] = "code",
            ["scope"] = "openid profile email offline_access " + string.Join(' ', ApiScopes.All), ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256", ["state"] = "s", ["trader_id"] = traderId,
        };
        using var authorized = await http.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", query.Where(kv => kv.Value is not null)));
        var location = authorized.Headers.Location ?? throw new InvalidOperationException($"authorize answered {(int)authorized.StatusCode}");
        var code = QueryHelpers.ParseQuery(location.Query)["code"].ToString();
        using var token = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier,
            ["client_id"] = IdentityDatabaseInitializer.FirstPartyClientId, ["redirect_uri"] = redirect,
        }));
        var text = await token.Content.ReadAsStringAsync();
        Assert.True(token.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }

    private static string NewBusinessId()
    {
        while (true)
        {
            var digits = Interlocked.Increment(ref _businessSerial).ToString("D7", CultureInfo.InvariantCulture);
            if (Domain.Traders.BusinessId.CheckDigitFor(digits) is { } check)
            {
                return $"{digits}-{check}";
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Bounded: open event streams or a stuck grain call must not keep the test run from ending.
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try
            {
                await _app.StopAsync(stopping.Token).WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
                // The process ends after the run in any case; the host was told to stop.
            }
        }

        try
        {
            await _app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // As above.
        }

        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing background task; the temp folder is cleaned by the OS.
        }
    }
}
