using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
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

    /// <summary>The built host (<c>Marketplace.Host.dll</c>) running in its own process.</summary>
    internal sealed class HostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private HostProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<HostProcess> StartAsync(string[] settings, Uri address)
        {
            var folder = HostOutputFolder();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(folder, "Marketplace.Host.dll"));
            foreach (var setting in settings)
            {
                start.ArgumentList.Add(setting);
            }

            var host = new HostProcess(Process.Start(start)!);
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(host._process.HasExited, $"the host exited: {host.Output}");
                try
                {
                    if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"the host did not get ready: {host.Output}");
                await Task.Delay(100);
            }
        }

        /// <summary>SIGKILL: no shutdown, no flush, no commit.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }

        /// <summary>The host project's own build output (same configuration as these tests).</summary>
        private static string HostOutputFolder()
        {
            var testFolder = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            var configuration = new DirectoryInfo(testFolder).Parent!.Name;
            var root = new DirectoryInfo(testFolder);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Marketplace.sln")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            var folder = Path.Combine(root!.FullName, "src", "Marketplace.Host", "bin", configuration, "net10.0");
            Assert.True(File.Exists(Path.Combine(folder, "Marketplace.Host.dll")), $"build the host first: no {folder}/Marketplace.Host.dll");
            return folder;
        }
    }
}
