using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The operator's command line (<c>clients create|list|revoke</c>, <c>users make-admin</c>) on the same stores as the host.</summary>
public class OperatorCommandTests
{
    [Fact]
    public async Task ClientsCreate_PrintsIdAndSecretOnce_TheClientActsForTheFirm()
    {
        await using var store = new CliStore();
        var settings = store.Settings;
        string firm;
        await using (var server = await MarketplaceServer.StartAsync(settings))
        {
            firm = await RegisterFirmAsync(server, "seller", "operator");
        }

        var hostSettings = store.CommandArgs();
        var (rc, output, error) = await RunAsync(["clients", "create", "--trader", firm, "--name", "Kierto API", "--scopes", "listings.read listings.write", .. hostSettings]);
        Assert.True(rc == 0, error);
        var clientId = Value(output, "client_id:");
        var secret = Value(output, "client_secret:");
        Assert.Contains("shown only now", output, StringComparison.Ordinal);

        var (listRc, listed, _) = await RunAsync(["clients", "list", "--trader", firm, .. hostSettings]);
        Assert.Equal(0, listRc);
        Assert.Contains(clientId, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);

        var (unknownRc, _, unknownError) = await RunAsync(["clients", "create", "--trader", "no-such-firm", "--name", "x", "--scopes", "listings.read", .. hostSettings]);
        Assert.Equal(1, unknownRc);
        Assert.Contains("No trader with id 'no-such-firm'", unknownError, StringComparison.Ordinal);
        var (badScopeRc, _, badScopeError) = await RunAsync(["clients", "create", "--trader", firm, "--name", "x", "--scopes", "admin", .. hostSettings]);
        Assert.Equal(1, badScopeRc);
        Assert.Contains("not allowed scope", badScopeError, StringComparison.Ordinal);

        await using var again = await MarketplaceServer.StartAsync(settings);
        using var http = again.Client();
        var token = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "listings.write",
        }));
        var body = JsonNode.Parse(await token.Content.ReadAsStringAsync())!;
        Assert.True(token.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        using var api = again.BearerClient(body["access_token"]!.GetValue<string>());
        var lot = await ReadAsync(await api.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        Assert.Equal(firm, lot["sellerId"]!.GetValue<string>());
    }

    [Fact]
    public async Task UsersMakeAdmin_RefusesAnAccountWhoseAddressIsNotConfirmed()
    {
        await using var store = new CliStore();
        var settings = store.Settings;
        var unconfirmed = Browser.NewEmail("squatter");
        var confirmed = Browser.NewEmail("operator");
        await using (var server = await MarketplaceServer.StartAsync(settings))
        {
            await using var scope = server.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<MarketplaceUser>>();
            Assert.True((await users.CreateAsync(new MarketplaceUser { UserName = unconfirmed, Email = unconfirmed }, Browser.Password)).Succeeded);
            Assert.True((await users.CreateAsync(new MarketplaceUser { UserName = confirmed, Email = confirmed, EmailConfirmed = true }, Browser.Password)).Succeeded);
        }

        var hostSettings = store.CommandArgs();
        var (refusedRc, _, refusedError) = await RunAsync(["users", "make-admin", "--email", unconfirmed, .. hostSettings]);
        Assert.Equal(1, refusedRc);
        Assert.Contains("has not confirmed the address", refusedError, StringComparison.Ordinal);

        // Without --email the refusal says what to give, once, as a usage error.
        var (noEmailRc, _, noEmailError) = await RunAsync(["users", "make-admin", .. hostSettings]);
        Assert.Equal(2, noEmailRc);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(noEmailError, "Name the person with --email"));

        var (rc, output, error) = await RunAsync(["users", "make-admin", "--email", confirmed, .. hostSettings]);
        Assert.True(rc == 0, error);
        Assert.Contains("is now a platform admin", output, StringComparison.Ordinal);
    }

    /// <summary>A demo firm (or one registered through the API) gets a person who signs in to the pages for it.</summary>
    [Fact]
    public async Task UsersAdd_MakesAPersonOfTheFirm_WhoSignsInAndActsForIt()
    {
        await using var store = new CliStore();
        var settings = store.Settings;
        string firm;
        await using (var server = await MarketplaceServer.StartAsync(settings))
        {
            firm = await RegisterFirmAsync(server, "seller", "buyer");
        }

        var hostSettings = store.CommandArgs();
        var email = Browser.NewEmail("demo");
        var (shortRc, _, shortError) = await RunAsync(["users", "add", "--trader", firm, "--email", email, "--password", "short", .. hostSettings]);
        Assert.Equal(1, shortRc);
        Assert.Contains("password", shortError, StringComparison.OrdinalIgnoreCase);
        var (badRoleRc, _, badRoleError) = await RunAsync(["users", "add", "--trader", firm, "--email", email, "--password", Browser.Password, "--role", "owner", .. hostSettings]);
        Assert.Equal(1, badRoleRc);
        Assert.Contains("trader-admin", badRoleError, StringComparison.Ordinal);

        var (rc, output, error) = await RunAsync(["users", "add", "--trader", firm, "--email", email, "--password", Browser.Password, .. hostSettings]);
        Assert.True(rc == 0, error);
        Assert.Contains($"is a trader-admin of {firm}", output, StringComparison.Ordinal);

        await using var again = await MarketplaceServer.StartAsync(settings);
        using var person = new Browser(again.Address);
        await person.SignInAsync(email);
        var token = (await person.TokensAsync())["access_token"]!.GetValue<string>();
        var me = await ReadAsync(await again.BearerClient(token).GetAsync("/api/v1/me"), HttpStatusCode.OK);
        Assert.Equal(firm, me["traderId"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownCommand_PrintsUsage_WithExitCode2()
    {
        var (rc, _, error) = await RunAsync(["clients"]);
        Assert.Equal(2, rc);
        Assert.Contains("clients create --trader", error, StringComparison.Ordinal);
    }

    private static async Task<(int Rc, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var rc = await IdentityCommands.RunAsync(args, silo => silo.AddMarketplaceCommandSilo(), output, error);
        return (rc, output.ToString(), error.ToString());
    }

    private static string Value(string output, string label)
        => output.Split('\n').Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();

    /// <summary>A data folder of its own with SQLite stores, shared by a test's hosts and commands; deleted at the end.</summary>
    private sealed class CliStore : IAsyncDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-cli-").FullName;

        public CliStore() => Settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db"),
            ["DataPath"] = _folder,
            ["Cluster:ServiceId"] = "cli-" + Guid.NewGuid().ToString("N")[..8],
        };

        /// <summary>The host's settings for these stores.</summary>
        public Dictionary<string, string?> Settings { get; }

        /// <summary>The settings as a command's arguments, with free silo ports of its own.</summary>
        public string[] CommandArgs() => Settings.Select(kv => $"--{kv.Key}={kv.Value}")
            .Concat([$"--Cluster:SiloPort={MarketplaceServer.FreePort()}", $"--Cluster:GatewayPort={MarketplaceServer.FreePort()}"]).ToArray();

        public ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Plain HTTP to the identity endpoints from another machine is refused; it needs only a host's services, so the API collection's shared host serves it.</summary>
[Collection(ApiCollection.Name)]
public class LoopbackHttpOnlyTests(ServerFixture fixture)
{
    [Fact]
    public async Task PlainHttpFromAnotherMachine_ToSignInOrToken_IsRefusedWithAProblem()
    {
        var server = fixture.Server;
        foreach (var (path, remote, expected) in new[]
        {
            ("/connect/token", "10.1.2.3", 400),
            ("/account/sign-in", "192.168.1.20", 400),
            ("/connect/token", "127.0.0.1", 200),
            ("/api/v1/materials", "10.1.2.3", 200),
        })
        {
            var context = new DefaultHttpContext { RequestServices = server.Services };
            context.Request.Scheme = "http";
            context.Request.Path = path;
            context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
            context.Response.Body = new MemoryStream();
            var passed = false;
            await IdentitySetup.LoopbackHttpOnly(context, _ =>
            {
                passed = true;
                return Task.CompletedTask;
            });
            Assert.Equal(expected == 200, passed);
            if (expected != 200)
            {
                Assert.Equal(expected, context.Response.StatusCode);
                context.Response.Body.Position = 0;
                Assert.Contains("https-required", await new StreamReader(context.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
            }
        }
    }
}
