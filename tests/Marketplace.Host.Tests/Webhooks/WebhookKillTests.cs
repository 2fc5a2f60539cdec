using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Marketplace.Domain.Webhooks;
using Marketplace.Host.Tests.Identity;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Webhooks;

/// <summary>
/// The host as a separate process (SQLite storage), killed with SIGKILL after a change was acknowledged and before
/// its events were delivered (the receiver refused them): after a restart they are delivered, once each, in order.
/// </summary>
public class WebhookKillTests
{
    [Fact]
    public async Task HostKilledBetweenChangeAndDelivery_AfterRestart_DeliversEachEventOnce()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-webhook-kill-").FullName;
        var address = new Uri($"http://127.0.0.1:{MarketplaceServer.FreePort()}");
        await using var receiver = await WebhookReceiver.StartAsync();
        const string name = "killed";
        receiver.Refuse(name, true);
        string[] settings =
        [
            $"--urls={address}",
            $"--DataPath={folder}",
            "--Storage:Provider=Sqlite",
            $"--Storage:Sqlite:Path={Path.Combine(folder, "marketplace.db")}",
            $"--Cluster:SiloPort={MarketplaceServer.FreePort()}",
            $"--Cluster:GatewayPort={MarketplaceServer.FreePort()}",
            $"--Identity:FirstPartyRedirectUris:0={Browser.Callback}",
            "--Webhooks:AllowDevelopmentTargets=true",
            "--Webhooks:FirstRetryDelay=00:00:00.050",
            "--Webhooks:MaxRetryDelay=00:00:00.200",
            "--Webhooks:PollInterval=00:00:00.050",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Marketplace.Grains.Webhooks=Information",
        ];
        try
        {
            string secret;
            using (var first = await HostProcess.StartAsync(settings, address))
            {
                using var browser = new Browser(address, Path.Combine(folder, "mail"));
                await browser.RegisterAsync(Browser.NewEmail("hooked"), NewBusinessId(), "Koukku Oy");
                using var api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
                api.DefaultRequestHeaders.Authorization = new("Bearer", (await browser.TokensAsync())["access_token"]!.GetValue<string>());
                var created = await ReadAsync(await api.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url(name), eventTypes = new[] { "listing.*" } }),
                    HttpStatusCode.Created);
                secret = created["secret"]!.GetValue<string>();
                var hook = created["id"]!.GetValue<string>();
                var lot = (await ReadAsync(await api.PostAsJsonAsync("/api/v1/listings", Lot(100)), HttpStatusCode.Created))["id"]!.GetValue<string>();
                await ReadAsync(await api.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);

                // Both events are queued (the second waits behind the first, which the receiver refused): stored, undelivered.
                var clock = Stopwatch.StartNew();
                while (true)
                {
                    var pending = (await ReadAsync(await api.GetAsync($"/api/v1/webhooks/{hook}/deliveries"), HttpStatusCode.OK))["pending"]!.AsArray();
                    if (pending.Count == 2 && pending[0]!["attempts"]!.GetValue<int>() >= 1)
                    {
                        break;
                    }

                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the events were not queued and attempted before the kill: {pending.ToJsonString()}");
                    await Task.Delay(20);
                }

                first.Kill();
            }

            Assert.Empty(receiver.Delivered(name));
            receiver.Refuse(name, false);
            using var second = await HostProcess.StartAsync(settings, address);
            var wait = Stopwatch.StartNew();
            while (receiver.Delivered(name).Count < 2)
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), $"after restart, {receiver.Delivered(name).Count} of 2 events delivered: {second.Output}");
                await Task.Delay(20);
            }

            await Task.Delay(300);
            var delivered = receiver.Delivered(name);
            Assert.Equal(["listing.created", "listing.published"], delivered.Select(r => r.Type));
            Assert.All(delivered, r => Assert.True(WebhookSignature.Verify(r.Signature, secret, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))));
            Assert.Matches(@"Webhooks: recovery in \d+ ms: \d+ outbox\(es\) handed over again, [1-9]\d* subscription\(s\) with queued deliveries resumed", second.Output);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
