using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Marketplace.Domain.Webhooks;
using Marketplace.Host.Tests.Identity;
using Marketplace.Host.Tests.Webhooks;
using Xunit.Abstractions;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>
/// The host as a separate process (SQLite storage), killed with SIGKILL and started again; one kill and one restart
/// prove two recoveries (each costs a host start, so they share them):
/// <list type="bullet">
/// <item>search: the kill comes in the middle of a stream of changes, and after the restart every change the host had
/// acknowledged is searchable (the index catches up with grain storage);</item>
/// <item>webhooks: another firm's change was acknowledged and its events not delivered (the receiver refused them)
/// before the kill; after the restart they are delivered, once each, in order.</item>
/// </list>
/// </summary>
public class KillAndRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HostKilledMidStream_AfterRestart_EveryAcknowledgedChangeIsSearchable_AndUndeliveredEventsArriveOnce()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-kill-").FullName;
        var port = MarketplaceServer.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
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
            // Never commit the index while running: after the kill, what was indexed since start is not on disk.
            "--Search:CommitInterval=01:00:00",
            $"--Identity:FirstPartyRedirectUris:0={Browser.Callback}",
            "--Webhooks:AllowDevelopmentTargets=true",
            "--Webhooks:FirstRetryDelay=00:00:00.050",
            "--Webhooks:MaxRetryDelay=00:00:00.200",
            "--Webhooks:PollInterval=00:00:00.050",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Marketplace.Host.Search=Information",
            "--Logging:LogLevel:Marketplace.Grains.Webhooks=Information",
        ];
        var clock = Stopwatch.StartNew();
        try
        {
            var acknowledged = new ConcurrentDictionary<string, decimal>();
            // A change sent but cut off by the kill may or may not have been stored: either answer is right.
            var maybe = new ConcurrentDictionary<string, decimal>();
            string firm;
            string secret;
            using (var first = await HostProcess.StartAsync(settings, address))
            {
                output.WriteLine($"first start ready after {clock.Elapsed.TotalSeconds:F1} s");
                // The webhooks' firm: its lot's two events are stored and refused (undelivered) before the stream starts.
                using (var hooked = await SignedInAsync(address, folder, "hooked", "Koukku Oy"))
                {
                    var created = await ReadAsync(await hooked.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url(name), eventTypes = new[] { "listing.*" } }),
                        HttpStatusCode.Created);
                    secret = created["secret"]!.GetValue<string>();
                    var hook = created["id"]!.GetValue<string>();
                    var hookedLot = (await ReadAsync(await hooked.PostAsJsonAsync("/api/v1/listings", Lot(100)), HttpStatusCode.Created))["id"]!.GetValue<string>();
                    await ReadAsync(await hooked.PostAsync($"/api/v1/listings/{hookedLot}/publish", null), HttpStatusCode.OK);

                    // Both events are queued (the second waits behind the first, which the receiver refused): stored, undelivered.
                    var queued = Stopwatch.StartNew();
                    while (true)
                    {
                        var pending = (await ReadAsync(await hooked.GetAsync($"/api/v1/webhooks/{hook}/deliveries"), HttpStatusCode.OK))["pending"]!.AsArray();
                        if (pending.Count == 2 && pending[0]!["attempts"]!.GetValue<int>() >= 1)
                        {
                            break;
                        }

                        Assert.True(queued.Elapsed < TimeSpan.FromSeconds(20), $"the events were not queued and attempted before the kill: {pending.ToJsonString()}");
                        await Task.Delay(20);
                    }
                }

                // The search stream's firm.
                using var api = await SignedInAsync(address, folder, "killed", "Kaatuva Oy");
                firm = (await ReadAsync(await api.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();

                // Two writers stream lots (create, publish; every third also changes its quantity) until the kill.
                using var stop = new CancellationTokenSource();
                async Task StreamAsync()
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        try
                        {
                            var created = await api.PostAsJsonAsync("/api/v1/listings", Lot(100), stop.Token);
                            if (created.StatusCode != HttpStatusCode.Created)
                            {
                                continue;
                            }

                            var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
                            if ((await api.PostAsync($"/api/v1/listings/{id}/publish", null, stop.Token)).StatusCode != HttpStatusCode.OK)
                            {
                                continue;
                            }

                            acknowledged[id] = 100;
                            if (i % 3 == 0)
                            {
                                maybe[id] = 250;
                                if ((await api.PatchAsJsonAsync($"/api/v1/listings/{id}", new { quantity = 250 }, stop.Token)).StatusCode == HttpStatusCode.OK)
                                {
                                    acknowledged[id] = 250;
                                }
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TaskCanceledException)
                        {
                            // The host is gone: requests in flight were never acknowledged.
                        }
                    }
                }

                var writers = new[] { Task.Run(StreamAsync), Task.Run(StreamAsync) };
                var deadline = Stopwatch.StartNew();
                while (acknowledged.Count < 30)
                {
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"only {acknowledged.Count} lots acknowledged in a minute");
                    await Task.Delay(10);
                }

                first.Kill();
                await Task.Delay(200);
                stop.Cancel();
                await Task.WhenAll(writers);
            }

            output.WriteLine($"killed after {clock.Elapsed.TotalSeconds:F1} s with {acknowledged.Count} lots acknowledged");
            Assert.Empty(receiver.Delivered(name));
            receiver.Refuse(name, false);
            var expected = acknowledged.ToDictionary();
            clock.Restart();
            using var second = await HostProcess.StartAsync(settings, address);
            output.WriteLine($"second start ready after {clock.Elapsed.TotalSeconds:F1} s");
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            var found = new Dictionary<string, decimal>();
            var wait = Stopwatch.StartNew();
            while (true)
            {
                found.Clear();
                string? cursor = null;
                do
                {
                    var page = await ReadAsync(await client.GetAsync($"/api/v1/listings/search?seller={firm}&sort=newest&limit=100" + (cursor is null ? "" : "&cursor=" + cursor)), HttpStatusCode.OK);
                    foreach (var hit in page["hits"]!.AsArray())
                    {
                        found[hit!["id"]!.GetValue<string>()] = hit["available"]!.GetValue<decimal>();
                    }

                    cursor = page["nextCursor"]?.GetValue<string>();
                }
                while (cursor is not null);

                bool Right(KeyValuePair<string, decimal> e)
                    => found.TryGetValue(e.Key, out var available) && (available == e.Value || (maybe.TryGetValue(e.Key, out var m) && available == m));
                if (expected.All(Right))
                {
                    break;
                }

                var wrong = expected.Where(e => !Right(e)).ToArray();
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(60),
                    $"after restart, {wrong.Length} of {expected.Count} acknowledged lots are missing or stale, e.g. {string.Join(", ", wrong.Take(5).Select(w => $"{w.Key} expected {w.Value}, found {(found.TryGetValue(w.Key, out var f) ? f : "nothing")}"))}");
                await Task.Delay(100);
            }

            // The catch-up, not luck, brought them back: the index on disk had none of them.
            var log = second.Output;
            Assert.Matches(@"caught up in \d+ ms: (\d+) lots re-indexed", log);
            var reindexed = int.Parse(System.Text.RegularExpressions.Regex.Match(log, @"caught up in \d+ ms: (\d+) lots re-indexed").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(reindexed >= expected.Count, $"the catch-up re-indexed {reindexed} lots, fewer than the {expected.Count} acknowledged");
            output.WriteLine($"every acknowledged lot searchable {clock.Elapsed.TotalSeconds:F1} s after the restart began");

            // The webhooks' events, refused before the kill, are delivered after the restart, once each, in order.
            var delivering = Stopwatch.StartNew();
            while (receiver.Delivered(name).Count < 2)
            {
                Assert.True(delivering.Elapsed < TimeSpan.FromSeconds(30), $"after restart, {receiver.Delivered(name).Count} of 2 events delivered: {second.Output}");
                await Task.Delay(20);
            }

            await Task.Delay(300);
            var delivered = receiver.Delivered(name);
            Assert.Equal(["listing.created", "listing.published"], delivered.Select(r => r.Type));
            Assert.All(delivered, r => Assert.True(WebhookSignature.Verify(r.Signature, secret, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))));
            // The events were either still in the lot's outbox (handed over again, and then often delivered before the
            // sweep reads the subscriptions) or already queued at the subscription (resumed): the sweep did one or both.
            var recovery = Regex.Match(second.Output, @"Webhooks: recovery in \d+ ms: (\d+) outbox\(es\) handed over again, (\d+) subscription\(s\) with queued deliveries resumed");
            Assert.True(recovery.Success, $"no recovery line: {second.Output}");
            Assert.True(int.Parse(recovery.Groups[1].Value, CultureInfo.InvariantCulture) + int.Parse(recovery.Groups[2].Value, CultureInfo.InvariantCulture) > 0, recovery.Value);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A person signs up with a new firm through the pages; a client with the person's access token.</summary>
    private static async Task<HttpClient> SignedInAsync(Uri address, string folder, string who, string firmName)
    {
        using var browser = new Browser(address, Path.Combine(folder, "mail"));
        await browser.RegisterAsync(Browser.NewEmail(who), NewBusinessId(), firmName);
        var api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await browser.TokensAsync())["access_token"]!.GetValue<string>());
        return api;
    }
}
