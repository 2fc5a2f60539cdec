using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Marketplace.Domain.Matching;
using Marketplace.Host.Tests.Api;
using Marketplace.Host.Tests.Identity;
using Marketplace.Identity;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Cluster;

/// <summary>
/// Three hosts as separate processes on loopback, one Orleans cluster (Azure Table membership, grain storage and
/// reminders on Azurite, identity on PostgreSQL), under a steady small load of lot writes, holds and demands through all
/// three with client-credentials tokens; one host is killed with SIGKILL. Afterwards nothing acknowledged is lost, the
/// survivors answer again within seconds (503 with Retry-After meanwhile, never 500), partitions are whole (a lot posted
/// after the kill is proposed to demands from before), short holds lapse on their reminders, and the dead host's tokens
/// are accepted by the others. <c>infra/dev/cluster-kill.sh</c> runs this test.
/// </summary>
public partial class ClusterKillTests(ITestOutputHelper output)
{
    /// <summary>Places away from the load (which writes around Helsinki), each with a demand posted before the kill.</summary>
    private static readonly (double Latitude, double Longitude)[] Places =
    [
        (61.4978, 23.7610), (60.4518, 22.2666), (65.0121, 25.4651), (62.2426, 25.7473), (62.8924, 27.6770), (63.0951, 21.6165),
    ];

    /// <summary>How long a host may take to get ready: on a 2-core machine shared with other builds a host has taken over two minutes.</summary>
    private static readonly TimeSpan Starting = TimeSpan.FromSeconds(240);

    /// <summary>Where the load's demands are: far from its lots, so that load keeps the partitions of the checked cells quiet.</summary>
    private static readonly (double Latitude, double Longitude) Rovaniemi = (66.5039, 25.7294);

    private const string Scopes = "listings.read listings.write demands.write orders.write orders.read matching.read";

    [Fact]
    public async Task OneOfThreeHostsKilled_UnderLoad_LosesNothingAndRecoversWithinSeconds()
    {
        var azurite = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite.");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var common = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["Storage:AzureStorage:ConnectionString"] = azurite,
            ["Storage:AzureStorage:TableName"] = "Kill" + suffix,
            ["Cluster:Provider"] = "AzureStorage",
            ["Cluster:ServiceId"] = "kill-" + suffix,
            ["Cluster:ClusterId"] = "kill-" + suffix,
            ["Cluster:AdvertisedAddress"] = "127.0.0.1",
            // Twice the default: this 2-core machine runs the whole suite (and other builds) beside the three hosts, and
            // thread-pool stalls over a second have made live silos miss 1 s probes.
            ["Cluster:ProbeTimeout"] = "00:00:02",
            ["Search:Provider"] = "None",
            ["Listings:SweepPeriod"] = "00:00:01",
            ["Identity:RateLimitPerMinute"] = "100000",
            ["Identity:RegistrationsPerHour"] = "100000",
            // One registrar person registers every firm these tests use.
            ["Identity:MaxFirmsPerPerson"] = "100000",
            ["Identity:FirstPartyRedirectUris:0"] = Browser.Callback,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.MembershipService"] = "Information",
            // Says which host holds which matching partition: the host to kill is the one holding most of the checked cells.
            ["Logging:LogLevel:Marketplace.Grains.Matching.MatchPartitionGrain"] = "Debug",
        };
        foreach (var (key, setting) in ClusterIdentity.Settings(suffix))
        {
            common[key] = setting;
        }

        var folders = new List<string>();
        var hosts = new List<ClusterHost>();
        try
        {
            ClusterHost Launch()
            {
                var folder = Directory.CreateTempSubdirectory("marketplace-cluster-").FullName;
                folders.Add(folder);
                var address = new Uri($"http://127.0.0.1:{MarketplaceServer.FreePort()}");
                var settings = new Dictionary<string, string?>(common)
                {
                    ["urls"] = address.ToString(),
                    ["DataPath"] = folder,
                    ["Cluster:SiloPort"] = MarketplaceServer.FreePort().ToString(CultureInfo.InvariantCulture),
                    ["Cluster:GatewayPort"] = MarketplaceServer.FreePort().ToString(CultureInfo.InvariantCulture),
                };
                var host = new ClusterHost(HostProcess.Start(settings.Select(kv => $"--{kv.Key}={kv.Value}")), address);
                hosts.Add(host);
                return host;
            }

            var started = Stopwatch.StartNew();
            // The identity store is migrated first, as a deployment's migration step would, so the three start together.
            await using (var identity = new PostgreSqlIdentityDb(new DbContextOptionsBuilder<PostgreSqlIdentityDb>().UseNpgsql(common["Identity:ConnectionString"]).UseOpenIddict().Options))
            {
                await identity.Database.MigrateAsync();
            }

            // One host first, then two joining together: three silos joining at once on a saturated machine have stalled
            // past their probes and one was declared dead before it was ready.
            var first = Launch();
            await first.Process.WaitReadyAsync(first.Address, Starting);
            ClusterHost[] joining = [Launch(), Launch()];
            await Task.WhenAll(joining.Select(h => h.Process.WaitReadyAsync(h.Address, Starting)));
            output.WriteLine($"three hosts ready in {started.Elapsed.TotalSeconds:F1} s");
            var ready = Stopwatch.StartNew();

            // Two firms, each with an API client; every host issues each of them a token.
            var firms = await Task.WhenAll(FirmWithClientAsync(first.Address, folders[0], "Myyjä Oy"), FirmWithClientAsync(first.Address, folders[0], "Ostaja Oy"));
            var (seller, buyer) = (firms[0], firms[1]);
            var sellerTokens = await Task.WhenAll(hosts.Select(h => TokenAsync(h.Address, seller)));
            var buyerTokens = await Task.WhenAll(hosts.Select(h => TokenAsync(h.Address, buyer)));
            var signedUp = ready.Elapsed;

            // Before the load: a demand in each of six cells, and lots for the short holds, through the three hosts in turn.
            var demandsPosted = Task.WhenAll(Places.Select(async (place, i) =>
            {
                using var client = Bearer(hosts[i % 3].Address, buyerTokens[i % 3]);
                return (await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", Demand(100, place)), HttpStatusCode.Created))["id"]!.GetValue<string>();
            }));
            var lotsPosted = Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
            {
                using var client = Bearer(hosts[i % 3].Address, sellerTokens[i % 3]);
                var lot = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot(10)), HttpStatusCode.Created))["id"]!.GetValue<string>();
                await ReadAsync(await client.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
                return lot;
            }));
            await Task.WhenAll(demandsPosted, lotsPosted);
            var demandsBefore = await demandsPosted;
            var shortHoldLots = await lotsPosted;

            // The host to kill holds the most of the six cells' partitions (a lot posted in a cell goes to that cell's partition).
            var cells = Places.Select(p => MatchPartitions.Key("masonry", Geohash.Encode(p.Latitude, p.Longitude))).ToArray();
            Assert.True(await Eventually.TrueAsync(() => cells.All(c => hosts.Any(h => h.Partitions().Contains(c))), TimeSpan.FromSeconds(15)),
                $"not every cell's partition was seen activated: {string.Join(", ", cells)}; seen {string.Join("; ", hosts.Select(h => string.Join(",", h.Partitions())))}");
            var doomedIndex = Enumerable.Range(0, 3).MaxBy(i => cells.Count(hosts[i].Partitions().Contains));
            var doomed = hosts[doomedIndex];
            var survivors = hosts.Where(h => h != doomed).ToArray();
            var doomedCells = cells.Count(doomed.Partitions().Contains);
            var (sellerToken, buyerToken) = (sellerTokens[doomedIndex], buyerTokens[doomedIndex]);

            // The load, with the tokens the doomed host issued, through all three hosts.
            var load = new Load(hosts.Select(h => h.Address).ToList(), sellerToken, buyerToken);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 3).Select(w => Task.Run(() => load.WriteAsync(w, stop.Token))).ToArray();
            try
            {
                Assert.True(await Eventually.TrueAsync(() => !load.Faults.IsEmpty || (load.Lots.Count >= 4 && !load.Holds.IsEmpty && load.Demands.Count >= 2), TimeSpan.FromSeconds(60)),
                    $"the load got only {load.Lots.Count} lots, {load.Holds.Count} holds and {load.Demands.Count} demands acknowledged in a minute: {load.Summary}");
                Assert.Empty(load.Faults);

                // Short holds whose expiry comes after the kill: their reminders must fire on the survivors.
                var shortHolds = await Task.WhenAll(shortHoldLots.Select(async (lot, i) =>
                {
                    using var client = Bearer(hosts[i % 3].Address, buyerToken);
                    var hold = await ReadAsync(await client.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new { quantity = 2, until = DateTimeOffset.UtcNow.AddSeconds(12) }), HttpStatusCode.Created);
                    return (Lot: lot, Hold: hold["hold"]!["id"]!.GetValue<string>());
                }));

                var beforeKill = load.Acknowledged;
                load.Kill(doomed.Address);
                doomed.Process.Kill();
                var killedAt = Stopwatch.StartNew();
                output.WriteLine($"killed {doomed.Address} {ready.Elapsed.TotalSeconds:F1} s after the hosts were ready (it held {doomedCells} of the {cells.Length} checked cells' partitions) after {beforeKill} acknowledged writes (the firms' sign-up and tokens took {signedUp.TotalSeconds:F1} s)");

                // Watched from the kill on: a hold first read active after the kill (a lot whose grain died is activated
                // again before its hold's expiry) and later read lapsed was lapsed by its reminder, as reads lapse nothing.
                var lapses = shortHolds.Select((h, i) => WatchLapseAsync(survivors[i % 2].Address, sellerToken, h.Lot, h.Hold)).ToArray();

                // Keep the load on the survivors until they have answered every write for 2 s, at least 4 s after the kill.
                Assert.True(await Eventually.TrueAsync(
                    () => !load.Faults.IsEmpty || (killedAt.Elapsed > TimeSpan.FromSeconds(4) && load.SinceLastFailure > TimeSpan.FromSeconds(2) && load.Acknowledged > beforeKill),
                    TimeSpan.FromSeconds(60)), $"the survivors still fail writes a minute after the kill: {load.Summary}");
                Assert.Empty(load.Faults);
                stop.Cancel();
                await Task.WhenAll(writers);
                var withoutService = load.LastFailureAfterKill is { } last ? Math.Max(0, (last - load.KilledAt!.Value).TotalSeconds) : 0;

                // Partitions are whole on the survivors: a lot posted now in each cell is proposed to the demand from before.
                var proposalDelays = await Task.WhenAll(Places.Select(async (place, i) =>
                {
                    using var sellerClient = Bearer(survivors[i % 2].Address, sellerToken);
                    using var buyerClient = Bearer(survivors[(i + 1) % 2].Address, buyerToken);
                    var posted = Stopwatch.StartNew();
                    var lot = (await ReadAsync(await sellerClient.PostAsJsonAsync("/api/v1/listings", Lot(100, place)), HttpStatusCode.Created))["id"]!.GetValue<string>();
                    await ReadAsync(await sellerClient.PostAsync($"/api/v1/listings/{lot}/publish", null), HttpStatusCode.OK);
                    await MatchAsync(buyerClient, lot, demandsBefore[i]);
                    return (AfterPost: posted.Elapsed, AfterKill: killedAt.Elapsed);
                }));

                // A token issued by the dead host is accepted by each survivor.
                foreach (var survivor in survivors)
                {
                    using var client = Bearer(survivor.Address, sellerToken);
                    Assert.Equal(seller.Firm, (await ReadAsync(await client.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>());
                }

                // Nothing acknowledged is lost: every write is read back through the survivors.
                var found = 0;
                var reads = 0;
                HttpClient SellerOnSurvivor() => Bearer(survivors[reads++ % 2].Address, sellerToken);
                foreach (var (id, published) in load.Lots)
                {
                    using var client = SellerOnSurvivor();
                    var lot = await ReadAsync(await client.GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
                    Assert.True(!published || lot["status"]!.GetValue<string>() == "active", $"lot {id} was published but is {lot["status"]}");
                    found++;
                }

                foreach (var (lotId, holdId) in load.Holds)
                {
                    using var client = SellerOnSurvivor();
                    var lot = await ReadAsync(await client.GetAsync($"/api/v1/listings/{lotId}"), HttpStatusCode.OK);
                    Assert.Contains(holdId, lot["holds"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()));
                    found++;
                }

                foreach (var id in load.Demands.Keys.Concat(demandsBefore))
                {
                    using var client = Bearer(survivors[reads++ % 2].Address, buyerToken);
                    await ReadAsync(await client.GetAsync($"/api/v1/demands/{id}"), HttpStatusCode.OK);
                    found++;
                }

                // The holds' reminders fire on the survivors: every short hold lapses and its quantity returns.
                var lapsed = await Task.WhenAll(lapses);
                foreach (var (lapse, (lotId, holdId)) in lapsed.Zip(shortHolds))
                {
                    Assert.True(lapse.FirstReadActive, $"the short hold {holdId} on lot {lotId} was already lapsed when first read after the kill ({lapse.Note}): its reminder is not shown");
                    Assert.True(lapse.Lapsed, $"the short hold {holdId} on lot {lotId} did not lapse on the survivors ({lapse.Note})");
                    Assert.Equal(10m, lapse.Available);
                }

                var acknowledged = load.Lots.Count + load.Holds.Count + load.Demands.Count + demandsBefore.Length;
                output.WriteLine($"writes acknowledged: {acknowledged} (lots {load.Lots.Count}, holds {load.Holds.Count}, demands {load.Demands.Count + demandsBefore.Length}); writes found: {found}; lost: {acknowledged - found}");
                output.WriteLine($"seconds without service: {withoutService:F1} ({load.Summary})");
                output.WriteLine($"proposals after the kill: {proposalDelays.Length} of {Places.Length} cells; first {proposalDelays.Min(d => d.AfterKill).TotalSeconds:F1} s after the kill, "
                                 + $"each {proposalDelays.Max(d => d.AfterPost).TotalSeconds:F1} s at most after its lot was posted");
                output.WriteLine($"short holds lapsed by their reminders on the survivors: {lapsed.Count(l => l.Lapsed)} of {shortHolds.Length}; whole run {started.Elapsed.TotalSeconds:F1} s, {ready.Elapsed.TotalSeconds:F1} s of it after the hosts were ready");
                Assert.Empty(load.ServerErrors);
                Assert.Equal(0, load.UnavailableWithoutRetryAfter);
                Assert.Equal(acknowledged, found);
                Assert.True(withoutService < 10, $"the survivors answered again only after {withoutService:F1} s");
            }
            finally
            {
                stop.Cancel();
                await Task.WhenAll(writers);
            }
        }
        catch (Exception) when (Diagnose(hosts))
        {
            throw;
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.Process.Dispose();
            }

            foreach (var folder in folders)
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>On a failure, the end of each host's log goes to the test's output.</summary>
    private bool Diagnose(List<ClusterHost> hosts)
    {
        foreach (var host in hosts)
        {
            var log = host.Process.Output;
            output.WriteLine($"--- {host.Address} (exited: {host.Process.HasExited}) ---");
            output.WriteLine(log[^Math.Min(log.Length, 4000)..]);
        }

        return false;
    }

    /// <summary>
    /// Reads a lot through a survivor from the kill on until the hold is lapsed (at most a minute): whether the first
    /// answer after the kill still had it active, whether it lapsed, and the lot's available quantity then.
    /// </summary>
    private static async Task<(bool FirstReadActive, bool Lapsed, decimal Available, string Note)> WatchLapseAsync(Uri survivor, string token, string lotId, string holdId)
    {
        using var client = Bearer(survivor, token);
        var watch = Stopwatch.StartNew();
        bool? firstActive = null;
        var note = "no answer";
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                using var response = await client.GetAsync($"/api/v1/listings/{lotId}");
                note = $"{(int)response.StatusCode} after {watch.Elapsed.TotalSeconds:F1} s";
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var lot = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    var status = lot["holds"]!.AsArray().Single(h => h!["id"]!.GetValue<string>() == holdId)!["status"]!.GetValue<string>();
                    firstActive ??= status == "active";
                    if (status == "lapsed")
                    {
                        return (firstActive.Value, true, lot["quantities"]!["available"]!.GetValue<decimal>(), note);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                note = e.GetType().Name;
            }

            await Task.Delay(200);
        }

        return (firstActive ?? false, false, 0, note);
    }

    /// <summary>
    /// A client with a bearer token. Requests outside the load may take long on a saturated machine (a demand's first
    /// write activates and stores several partitions: over 10 s has been seen at a load average of 30), so they wait
    /// up to 30 s; the load's own clients give up after 10 s and count that as no service.
    /// </summary>
    private static HttpClient Bearer(Uri address, string token, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A person signs up with a new firm through the pages and creates an API client for it.</summary>
    private static async Task<ApiClient> FirmWithClientAsync(Uri address, string dataFolder, string name)
    {
        using var browser = new Browser(address, Path.Combine(dataFolder, "mail"));
        await browser.RegisterAsync(Browser.NewEmail("cluster"), NewBusinessId(), name);
        using var admin = Bearer(address, (await browser.TokensAsync())["access_token"]!.GetValue<string>());
        var firm = (await ReadAsync(await admin.GetAsync("/api/v1/me"), HttpStatusCode.OK))["traderId"]!.GetValue<string>();
        var created = await ReadAsync(await admin.PostAsJsonAsync($"/api/v1/traders/{firm}/clients", new { name = "load", scopes = Scopes }), HttpStatusCode.Created);
        return new ApiClient(firm, created["clientId"]!.GetValue<string>(), created["clientSecret"]!.GetValue<string>());
    }

    /// <summary>A client-credentials token issued by the host at <paramref name="address"/>.</summary>
    private static async Task<string> TokenAsync(Uri address, ApiClient client)
    {
        using var browser = new Browser(address);
        var token = await browser.TokenRequestAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.Secret,
            ["scope"] = Scopes,
        }, HttpStatusCode.OK);
        return token["access_token"]!.GetValue<string>();
    }

    private sealed record ApiClient(string Firm, string ClientId, string Secret);

    /// <summary>A host process and its address.</summary>
    private sealed partial record ClusterHost(HostProcess Process, Uri Address)
    {
        /// <summary>The matching partitions this host's log says were activated on it.</summary>
        public HashSet<string> Partitions() => PartitionActivated().Matches(Process.Output).Select(m => m.Groups["key"].Value).ToHashSet(StringComparer.Ordinal);

        [GeneratedRegex(@"Partition (?<key>\S+) activated")]
        private static partial Regex PartitionActivated();
    }

    /// <summary>
    /// The load: each writer in turn creates and publishes a lot, posts a demand, and holds one unit of a lot, through
    /// the live hosts in turn, and records what was acknowledged and how each refusal looked.
    /// </summary>
    private sealed class Load(List<Uri> hosts, string sellerToken, string buyerToken)
    {
        /// <summary>How long a writer waits for an answer before it counts the host as out of service.</summary>
        private static readonly TimeSpan NoAnswer = TimeSpan.FromSeconds(10);

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly ConcurrentDictionary<Uri, byte> _dead = new();
        private long _lastFailureTicks;
        private int _unavailable;
        private int _unavailableWithoutRetryAfter;
        private int _noAnswer;
        private int _refused;

        /// <summary>Acknowledged lots: id → whether its publication was acknowledged too.</summary>
        public ConcurrentDictionary<string, bool> Lots { get; } = new();

        /// <summary>Acknowledged holds: (lot id, hold id).</summary>
        public ConcurrentBag<(string Lot, string Hold)> Holds { get; } = [];

        /// <summary>Acknowledged demands.</summary>
        public ConcurrentDictionary<string, byte> Demands { get; } = new();

        public ConcurrentBag<string> ServerErrors { get; } = [];

        /// <summary>Failures of the driver itself (an answer of an unexpected shape, say): the test stops at the first.</summary>
        public ConcurrentQueue<string> Faults { get; } = new();

        /// <summary>How the answers looked, for the figures and for failure messages.</summary>
        public string Summary => $"503 answers {_unavailable}, each with Retry-After unless counted here: {_unavailableWithoutRetryAfter}; no answer from a live host {_noAnswer}; "
                                 + $"refusals 409/422 {_refused}; 500 answers {ServerErrors.Count}: {string.Join("; ", ServerErrors.Take(3))}; driver faults: {string.Join("; ", Faults.Take(3))}";

        public int Acknowledged => Lots.Count + Holds.Count + Demands.Count;

        public int Unavailable => _unavailable;

        public int UnavailableWithoutRetryAfter => _unavailableWithoutRetryAfter;

        public int Refused => _refused;

        public TimeSpan? KilledAt { get; private set; }

        /// <summary>When a survivor last failed a write after the kill (a 503 or no answer).</summary>
        public TimeSpan? LastFailureAfterKill => KilledAt is { } killed && Interlocked.Read(ref _lastFailureTicks) is var ticks && ticks > killed.Ticks ? TimeSpan.FromTicks(ticks) : null;

        public TimeSpan SinceLastFailure => _clock.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref _lastFailureTicks));

        /// <summary>Takes the host out of the rotation (as a load balancer would once it stops answering).</summary>
        public void Kill(Uri host)
        {
            _dead[host] = 0;
            KilledAt = _clock.Elapsed;
        }

        public async Task WriteAsync(int writer, CancellationToken stop)
        {
            var clients = hosts.ToDictionary(h => h, h => (Seller: Bearer(h, sellerToken, NoAnswer), Buyer: Bearer(h, buyerToken, NoAnswer)));
            try
            {
                for (var i = writer; !stop.IsCancellationRequested; i++)
                {
                    var live = hosts.Where(h => !_dead.ContainsKey(h)).ToList();
                    var host = live[i % live.Count];
                    var (seller, buyer) = clients[host];
                    try
                    {
                        switch (i % 3)
                        {
                            case 0:
                                var created = await SendAsync(host, stop, () => seller.PostAsJsonAsync("/api/v1/listings", Lot(100), stop));
                                if (created?["id"]?.GetValue<string>() is { } lotId)
                                {
                                    Lots[lotId] = false;
                                    if (await SendAsync(host, stop, () => seller.PostAsync($"/api/v1/listings/{lotId}/publish", null, stop)) is not null)
                                    {
                                        Lots[lotId] = true;
                                    }
                                }

                                break;
                            case 1:
                                if (await SendAsync(host, stop, () => buyer.PostAsJsonAsync("/api/v1/demands", Demand(50, Rovaniemi), stop)) is { } demand)
                                {
                                    Demands[demand["id"]!.GetValue<string>()] = 0;
                                }

                                break;
                            default:
                                var published = Lots.Where(l => l.Value).Select(l => l.Key).ToArray();
                                if (published.Length > 0)
                                {
                                    var target = published[Random.Shared.Next(published.Length)];
                                    if (await SendAsync(host, stop, () => buyer.PostAsJsonAsync($"/api/v1/listings/{target}/holds", new { quantity = 1 }, stop)) is { } hold)
                                    {
                                        Holds.Add((target, hold["hold"]!["id"]!.GetValue<string>()));
                                    }
                                }

                                break;
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                    }
                    catch (Exception e)
                    {
                        // The driver's own failure: recorded for the test to stop on, instead of silently ending this writer.
                        Faults.Enqueue(e.ToString());
                        return;
                    }

                    // A steady, small load: about ten writes a second per writer.
                    await Task.Delay(100, CancellationToken.None);
                }
            }
            finally
            {
                foreach (var (seller, buyer) in clients.Values)
                {
                    seller.Dispose();
                    buyer.Dispose();
                }
            }
        }

        /// <summary>Sends one write; returns its body when acknowledged (2xx), null otherwise, recording what the refusal was.</summary>
        private async Task<JsonObject?> SendAsync(Uri host, CancellationToken stop, Func<Task<HttpResponseMessage>> send)
        {
            HttpResponseMessage response;
            try
            {
                response = await send();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The test stopped the load.
                return null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_dead.ContainsKey(host))
            {
                // No answer from a live host: service is out.
                Interlocked.Increment(ref _noAnswer);
                Failed();
                return null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The killed host: whatever was in flight was never acknowledged.
                return null;
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync();
                switch ((int)response.StatusCode)
                {
                    case >= 200 and < 300:
                        return JsonNode.Parse(text)!.AsObject();
                    case 503:
                        Interlocked.Increment(ref _unavailable);
                        if (response.Headers.RetryAfter is null)
                        {
                            Interlocked.Increment(ref _unavailableWithoutRetryAfter);
                        }

                        Failed();
                        return null;
                    case >= 500:
                        ServerErrors.Add($"{(int)response.StatusCode} from {host}: {text}");
                        Failed();
                        return null;
                    default:
                        // A domain refusal (a buyer's hold limit on a lot, say): the write was answered, not lost.
                        Interlocked.Increment(ref _refused);
                        return null;
                }
            }
        }

        private void Failed() => Interlocked.Exchange(ref _lastFailureTicks, _clock.Elapsed.Ticks);
    }
}
