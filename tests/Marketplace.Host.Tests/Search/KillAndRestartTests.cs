using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Identity;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>
/// The host as a separate process, killed with SIGKILL in the middle of a stream of changes: after it starts again,
/// every change it had acknowledged is searchable (the index catches up with grain storage).
/// </summary>
public class KillAndRestartTests
{
    [Fact]
    public async Task HostKilledMidStream_AfterRestart_EveryAcknowledgedChangeIsSearchable()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-kill-").FullName;
        var port = MarketplaceServer.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
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
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Marketplace.Host.Search=Information",
        ];
        try
        {
            var acknowledged = new ConcurrentDictionary<string, decimal>();
            // A change sent but cut off by the kill may or may not have been stored: either answer is right.
            var maybe = new ConcurrentDictionary<string, decimal>();
            string firm;
            using (var first = await HostProcess.StartAsync(settings, address))
            {
                using var browser = new Browser(address, Path.Combine(folder, "mail"));
                await browser.RegisterAsync(Browser.NewEmail("killed"), NewBusinessId(), "Kaatuva Oy");
                var token = (await browser.TokensAsync())["access_token"]!.GetValue<string>();
                using var api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
                api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
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

            var expected = acknowledged.ToDictionary();
            using var second = await HostProcess.StartAsync(settings, address);
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
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
