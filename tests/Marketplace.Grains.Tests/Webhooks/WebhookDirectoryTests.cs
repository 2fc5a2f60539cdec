using Marketplace.Domain.Geo;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Tests.Matching;
using Marketplace.Grains.Webhooks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Webhooks;

/// <summary>
/// The webhook directory: the firms whose subscriptions want an event type (here asked on every change: no lease). A proposal's
/// event reaches every firm subscribed to it and no other; the directory follows subscriptions made, changed and
/// deleted; when it cannot answer, the turn's firms all get their events (their registries drop what nobody wants).
/// </summary>
public sealed class WebhookDirectoryTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    private static IWebhookDirectoryGrain Directory(IGrainFactory grains) => grains.GetGrain<IWebhookDirectoryGrain>(WebhookDirectoryGrain.Key);

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Webhooks:AllowDevelopmentTargets"] = "true";
        settings["Webhooks:FirstRetryDelay"] = "01:00:00";

        // No lease: every turn asks the directory, so closing it reaches the next turn (leases: WebhookDirectoryLeaseTests).
        settings["Webhooks:DirectoryLease"] = "00:00:00";
        _cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter, UnreachableDirectory>());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task SubscriptionsMadeChangedAndDeleted_TheDirectoryNamesExactlyTheFirmsWantingTheType()
    {
        var (a, b, c) = (await TestClusters.RegisterFirmAsync(Grains), await TestClusters.RegisterFirmAsync(Grains), await TestClusters.RegisterFirmAsync(Grains));
        string[] firms = [a, b, c];
        var byA = await SubscribeAsync(a, "match.*");
        var byC = await SubscribeAsync(c, "listing.*");
        Assert.Equal([a], await Directory(Grains).WantingAsync(firms, "match.proposed"));
        Assert.Equal([c], await Directory(Grains).WantingAsync(firms, "listing.created"));

        // A second subscription of A's for everything, then C's changed to matches: both widen.
        var allOfA = await SubscribeAsync(a, "*");
        await byC.UpdateAsync(null, ["match.proposed"], null);
        Assert.Equal([a, c], await Directory(Grains).WantingAsync(firms, "match.proposed"));
        Assert.Equal([a], await Directory(Grains).WantingAsync(firms, "listing.created"));

        // Deleted: A's "*" no longer counts; its "match.*" still does. Then none of A's.
        await allOfA.DeleteAsync();
        Assert.Empty(await Directory(Grains).WantingAsync(firms, "listing.created"));
        Assert.Equal([a, c], await Directory(Grains).WantingAsync(firms, "match.proposed"));
        await byA.DeleteAsync();
        Assert.Equal([c], await Directory(Grains).WantingAsync(firms, "match.proposed"));
    }

    [Fact]
    public async Task ALease_CarriesTheListOnlyWhenTheAskersVersionIsNotTheCurrentOne()
    {
        var firm = await TestClusters.RegisterFirmAsync(Grains);
        var first = await Directory(Grains).LeaseAsync(0);
        Assert.NotNull(first.Firms);

        // Asked again with the version held: nothing changed, so no list.
        var again = await Directory(Grains).LeaseAsync(first.Version);
        Assert.Null(again.Firms);
        Assert.Equal(first.Version, again.Version);

        // A firm's first subscription changes it: a new version, with the firm in the list.
        await SubscribeAsync(firm, "demand.*");
        var changed = await Directory(Grains).LeaseAsync(first.Version);
        Assert.NotEqual(first.Version, changed.Version);
        Assert.Equal(["demand.*"], changed.Firms![firm]);
    }

    [Fact]
    public async Task AProposal_ReachesTheSubscribedFirmsOnly_AndEveryFirmWhenTheDirectoryCannotAnswer()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var subscribed = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var other = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var sellerHook = await SubscribeAsync(seller, "match.proposed");
        var buyerHook = await SubscribeAsync(subscribed, "match.*");
        var otherHook = await SubscribeAsync(other, "listing.*");
        var at = new GeoPoint(60.1 + Random.Shared.NextDouble() * 0.2, 24.7 + Random.Shared.NextDouble() * 0.4);

        await MatchingGrainTests.LotAsync(Grains, seller, at, 1000);
        await MatchingGrainTests.DemandAsync(Grains, subscribed, at, 100);
        await MatchingGrainTests.DemandAsync(Grains, other, at, 100);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, seller, 2);
        Assert.True(await Eventually.TrueAsync(async () => Proposed(await sellerHook.DeliveriesAsync(0, 100)) == 2 && Proposed(await buyerHook.DeliveriesAsync(0, 100)) == 1, TimeSpan.FromSeconds(10)),
            $"the seller's hook has {Proposed(await sellerHook.DeliveriesAsync(0, 100))} proposals, the subscribed buyer's {Proposed(await buyerHook.DeliveriesAsync(0, 100))}");
        Assert.Equal(0, Proposed(await otherHook.DeliveriesAsync(0, 100)));

        // The directory down: a new proposal still carries its event to the subscribed firms (the turn's firms all count
        // as wanting it, and the registries of those without such a subscription drop it).
        UnreachableDirectory.Closed = true;
        try
        {
            await MatchingGrainTests.DemandAsync(Grains, subscribed, at, 200);
            Assert.True(await Eventually.TrueAsync(async () => Proposed(await sellerHook.DeliveriesAsync(0, 100)) == 3 && Proposed(await buyerHook.DeliveriesAsync(0, 100)) == 2, TimeSpan.FromSeconds(10)),
                $"with the directory down the seller's hook has {Proposed(await sellerHook.DeliveriesAsync(0, 100))} proposals, the buyer's {Proposed(await buyerHook.DeliveriesAsync(0, 100))}");
            Assert.True(UnreachableDirectory.Refused > 0, "the directory was not asked");
        }
        finally
        {
            UnreachableDirectory.Closed = false;
        }

        Assert.Equal(0, Proposed(await otherHook.DeliveriesAsync(0, 100)));
    }

    private async Task<IWebhookSubscriptionGrain> SubscribeAsync(string firm, params string[] types)
    {
        var grain = Grains.GetGrain<IWebhookSubscriptionGrain>("sub-" + Guid.NewGuid().ToString("N"));
        await grain.CreateAsync(new WebhookSubscriptionInput(firm, null, "http://127.0.0.1:9/hook", types, null));
        return grain;
    }

    private static int Proposed(WebhookDeliveriesPage s) => s.Pending.Concat(s.Recent).Count(d => d.Type == "match.proposed");

    /// <summary>Fails every question to the directory while <see cref="Closed"/>, counting them.</summary>
    private sealed class UnreachableDirectory : IIncomingGrainCallFilter
    {
        public static volatile bool Closed;
        private static int _refused;

        public static int Refused => Volatile.Read(ref _refused);

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (Closed && context.Grain is WebhookDirectoryGrain && context.InterfaceMethod.Name == nameof(IWebhookDirectoryGrain.LeaseAsync))
            {
                Interlocked.Increment(ref _refused);
                throw new InvalidOperationException("the directory is unreachable");
            }

            return context.Invoke();
        }
    }
}

/// <summary>
/// A silo keeps the directory's firms and filters for a lease instead of asking on every change and matching turn, and
/// a firm's first match subscription answers only once the leases lent before it ran out.
/// </summary>
public sealed class WebhookDirectoryLeaseTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Webhooks:AllowDevelopmentTargets"] = "true";
        settings["Webhooks:FirstRetryDelay"] = "01:00:00";

        // Long enough that the steps of a test run inside one lease, short enough that a subscription's wait is brief.
        settings["Webhooks:DirectoryLease"] = "00:00:03";
        _cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter, LeaseCounter>());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task AFirmsFirstMatchSubscription_AnswersAfterThePartitionsLease_SoTheNextProposalCarriesItsEvent()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var (first, second) = (await TestClusters.RegisterFirmAsync(Grains, "buyer"), await TestClusters.RegisterFirmAsync(Grains, "buyer"));
        var at = new GeoPoint(60.1 + Random.Shared.NextDouble() * 0.2, 24.7 + Random.Shared.NextDouble() * 0.4);
        await MatchingGrainTests.LotAsync(Grains, seller, at, 1000);
        await MatchingGrainTests.DemandAsync(Grains, first, at, 100);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, seller, 1);

        // The silo now holds a list without the seller, for up to a lease. The subscription answers after it ran out.
        var hook = Grains.GetGrain<IWebhookSubscriptionGrain>("sub-" + Guid.NewGuid().ToString("N"));
        await hook.CreateAsync(new WebhookSubscriptionInput(seller, null, "http://127.0.0.1:9/hook", ["match.proposed"], null));

        await MatchingGrainTests.DemandAsync(Grains, second, at, 100);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, seller, 2);
        Assert.True(await Eventually.TrueAsync(async () => Proposed(await hook.DeliveriesAsync(0, 100)) == 1, TimeSpan.FromSeconds(10)),
            $"the proposal made after the subscription answered carried no event to it ({Proposed(await hook.DeliveriesAsync(0, 100))} match.proposed)");
    }

    [Fact]
    public async Task ChangesAndTurnsInsideOneLease_AskTheDirectoryOnceForTheSilo()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var at = new GeoPoint(60.1 + Random.Shared.NextDouble() * 0.2, 24.7 + Random.Shared.NextDouble() * 0.4);
        await MatchingGrainTests.LotAsync(Grains, seller, at, 10_000);
        var before = LeaseCounter.Asked;
        for (var i = 1; i <= 5; i++)
        {
            await MatchingGrainTests.DemandAsync(Grains, await TestClusters.RegisterFirmAsync(Grains, "buyer"), at, 100);
            await MatchingGrainTests.WaitForMatchesAsync(Grains, seller, i);
        }

        // Five new firms, demands and proposing turns: at most one ask (none when the lot's lease still runs), two when
        // the five took longer than a lease on a slow machine. Asking per change or per turn would be 10 or more.
        var asked = LeaseCounter.Asked - before;
        Assert.True(asked <= 2, $"five demands and their turns asked the directory {asked} times");
    }

    [Fact]
    public async Task AChangesEvents_AreMadeForTheFirmsWantingThemOnly_AndNoneWhenNobodyDoes()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var hook = Grains.GetGrain<IWebhookSubscriptionGrain>("sub-" + Guid.NewGuid().ToString("N"));
        await hook.CreateAsync(new WebhookSubscriptionInput(buyer, null, "http://127.0.0.1:9/hook", ["hold.*"], null));
        var at = new GeoPoint(60.1 + Random.Shared.NextDouble() * 0.2, 24.7 + Random.Shared.NextDouble() * 0.4);

        // The lot's created and published events want nobody; the hold's event wants the buyer only.
        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 100);
        await lot.PlaceHoldAsync(buyer, "hold-" + Guid.NewGuid().ToString("N"), 5, DateTimeOffset.UtcNow.AddHours(1));
        Assert.True(await Eventually.TrueAsync(async () => (await hook.DeliveriesAsync(0, 100)) is var page && page.Pending.Concat(page.Recent).Any(d => d.Type == "hold.placed"), TimeSpan.FromSeconds(10)),
            "the buyer's hold.* subscription got no hold.placed");
        Assert.Equal(0, LeaseCounter.HandedTo(seller));
        Assert.Equal(1, LeaseCounter.HandedTo(buyer));
    }

    [Fact]
    public async Task ADirectoryThatDoesNotAnswer_HoldsNoChangeUp_ItsEventsGoToAllItsFirms()
    {
        var at = new GeoPoint(60.1 + Random.Shared.NextDouble() * 0.2, 24.7 + Random.Shared.NextDouble() * 0.4);
        LeaseCounter.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // Until the silo's lease runs out and its question reaches the (now silent) directory.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (LeaseCounter.Held == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no question reached the directory in 30 s");
                await MatchingGrainTests.LotAsync(Grains, await TestClusters.RegisterFirmAsync(Grains, "seller"), at, 10).WaitAsync(TimeSpan.FromSeconds(30));
            }

            // The question hangs: a new lot is still created (not held until the directory answers), and its events,
            // with nobody known to want them or not, go to its seller's registry.
            var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
            await MatchingGrainTests.LotAsync(Grains, seller, at, 10).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(LeaseCounter.HandedTo(seller) > 0, "a lot created while the directory was silent handed no events over");
        }
        finally
        {
            LeaseCounter.Gate.TrySetResult();
        }
    }

    private static int Proposed(WebhookDeliveriesPage s) => s.Pending.Concat(s.Recent).Count(d => d.Type == "match.proposed");

    /// <summary>Counts the silo's questions to the directory, and the events handed to each firm's registry.</summary>
    private sealed class LeaseCounter : IIncomingGrainCallFilter
    {
        private static int _asked;
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Handed = new();

        public static int Asked => Volatile.Read(ref _asked);

        private static int _held;

        /// <summary>While not completed, questions to the directory wait for it (counted in <see cref="Held"/>).</summary>
        public static TaskCompletionSource Gate { get; set; } = CompletedGate();

        public static int Held => Volatile.Read(ref _held);

        public static int HandedTo(string firm) => Handed.GetValueOrDefault(firm);

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.Grain is WebhookDirectoryGrain && context.InterfaceMethod.Name == nameof(IWebhookDirectoryGrain.LeaseAsync))
            {
                Interlocked.Increment(ref _asked);
                if (!Gate.Task.IsCompleted)
                {
                    Interlocked.Increment(ref _held);
                    await Gate.Task;
                }
            }

            if (context.Grain is WebhookFirmGrain firm && context.InterfaceMethod.Name == nameof(IWebhookFirmGrain.PublishAsync))
            {
                var events = (OutboxEvent[])context.Request.GetArgument(0)!;
                Handed.AddOrUpdate(firm.GetPrimaryKeyString(), events.Length, (_, n) => n + events.Length);
            }

            await context.Invoke();
        }

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }
    }
}

/// <summary>A database from before the directory: its first activation builds it from the stored registries.</summary>
public sealed class WebhookDirectoryBuildTests : IDisposable
{
    private readonly string _folder = System.IO.Directory.CreateTempSubdirectory("marketplace-directory-").FullName;

    [Fact]
    public async Task RegistriesStoredWithoutADirectory_AfterRestart_TheDirectoryNamesTheirFirms()
    {
        var settings = TestClusters.Settings("Sqlite");
        var database = Path.Combine(_folder, "marketplace.db");
        settings["Storage:Sqlite:Path"] = database;
        settings["Webhooks:AllowDevelopmentTargets"] = "true";
        var serviceId = "directory-" + Guid.NewGuid().ToString("N")[..8];
        string matching, listing, none;
        await using (var before = await TestClusters.StartAsync(settings, serviceId))
        {
            (matching, listing, none) = (await TestClusters.RegisterFirmAsync(before.Client), await TestClusters.RegisterFirmAsync(before.Client), await TestClusters.RegisterFirmAsync(before.Client));
            foreach (var (firm, type) in new[] { (matching, "match.*"), (listing, "listing.created") })
            {
                await before.Client.GetGrain<IWebhookSubscriptionGrain>("sub-" + Guid.NewGuid().ToString("N"))
                    .CreateAsync(new WebhookSubscriptionInput(firm, null, "http://127.0.0.1:9/hook", [type], null));
            }
        }

        SqliteConnection.ClearAllPools();
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM grain_state WHERE state_name = 'webhook-directory'";
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        SqliteConnection.ClearAllPools();
        await using var after = await TestClusters.StartAsync(settings, serviceId);
        Assert.Equal([matching], await Directory(after.Client).WantingAsync([matching, listing, none], "match.proposed"));
        Assert.Equal([listing], await Directory(after.Client).WantingAsync([matching, listing, none], "listing.created"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(_folder, recursive: true);
    }

    private static IWebhookDirectoryGrain Directory(IGrainFactory grains) => grains.GetGrain<IWebhookDirectoryGrain>(WebhookDirectoryGrain.Key);
}
