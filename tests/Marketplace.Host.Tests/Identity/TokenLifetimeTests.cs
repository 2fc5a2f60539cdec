using System.Net;
using System.Net.Http.Json;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>Tokens across a restart of the host in embedded mode (SQLite identity store, keys under the data folder).</summary>
public class TokenLifetimeTests
{
    [Fact]
    public async Task TokenIssuedBeforeRestart_IsAcceptedAfterIt_RevokedTokenIsRefusedAtOnce()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-token-restart-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Sqlite",
            ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
            ["DataPath"] = folder,
            // Embedded mode runs on a fixed address (the issuer is the address), so the restarted host keeps the port.
            ["urls"] = $"http://127.0.0.1:{MarketplaceServer.FreePort()}",
            ["Cluster:ServiceId"] = "token-restart-" + Guid.NewGuid().ToString("N")[..8],
        };
        try
        {
            string kept, revoked, refresh;
            await using (var before = await MarketplaceServer.StartAsync(settings))
            {
                using var browser = new Browser(before.Address);
                await browser.RegisterAsync(Browser.NewEmail("restart"), NewBusinessId(), "Uudelleen Oy");
                var first = await browser.TokensAsync();
                kept = first["access_token"]!.GetValue<string>();
                refresh = first["refresh_token"]!.GetValue<string>();
                revoked = (await browser.TokensAsync())["access_token"]!.GetValue<string>();
                await ReadAsync(await before.BearerClient(revoked).GetAsync("/api/v1/me"), HttpStatusCode.OK);

                var revocation = await browser.Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["token"] = revoked, ["token_type_hint"] = "access_token", ["client_id"] = Browser.FirstPartyClient,
                }));
                Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);
                await ProblemAsync(await before.BearerClient(revoked).GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
            }

            Assert.True(File.Exists(Path.Combine(folder, "keys", "signing.pem")), "the signing key is kept under the data folder");

            await using var after = await MarketplaceServer.StartAsync(settings);
            var me = await ReadAsync(await after.BearerClient(kept).GetAsync("/api/v1/me"), HttpStatusCode.OK);
            Assert.Equal("person", me["kind"]!.GetValue<string>());
            await ReadAsync(await after.BearerClient(kept).PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
            await ProblemAsync(await after.BearerClient(revoked).GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");

            // The refresh token from before the restart still works after it.
            using var client = new Browser(after.Address);
            var refreshed = await client.TokenRequestAsync(CodeFlowTests.RefreshForm(refresh, Browser.FirstPartyClient, null), HttpStatusCode.OK);
            await ReadAsync(await after.BearerClient(refreshed["access_token"]!.GetValue<string>()).GetAsync("/api/v1/me"), HttpStatusCode.OK);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
