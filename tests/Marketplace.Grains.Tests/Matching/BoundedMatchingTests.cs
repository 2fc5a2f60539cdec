using System.Collections.Concurrent;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Microsoft.Extensions.DependencyInjection;
using Marketplace.Grains.Storage;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>Records what each change produced, so a test knows when a round of matching is over.</summary>
public sealed class RecordedMatchEvents : IMatchEvents
{
    public ConcurrentQueue<(string Kind, string Id, int Proposals)> Rounds { get; } = new();

    public void Matched(string kind, string id, int proposals) => Rounds.Enqueue((kind, id, proposals));
}

/// <summary>A cluster with small limits: 3 proposals per round, 2 open holds and half a lot per buyer, removed versions kept 1 s.</summary>
public sealed class BoundedMatchingClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public RecordedMatchEvents Events { get; } = new();

    /// <summary>Calls to the inboxes and the sessions.</summary>
    public InboxRecordCalls Calls { get; } = new();

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Matching:MaxProposalsPerRound"] = "3";
        settings["Matching:RemovedVersionRetention"] = "00:00:01";
        settings["Listings:MaxHoldsPerBuyer"] = "2";
        settings["Listings:MaxBuyerShare"] = "0.5";
        Cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IMatchEvents>(Events).AddSingleton<IIncomingGrainCallFilter>(Calls));
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Matching stays bounded: proposals per demand per round, holds per buyer, remembered versions, and partitions that hold nothing.</summary>
public sealed class BoundedMatchingTests(BoundedMatchingClusterFixture fixture) : IClassFixture<BoundedMatchingClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    private static GeoPoint Place(int test) => new(60.3 + (test * 0.9), 23.1 + (test * 0.9));

    private IMatchPartitionGrain PartitionAt(GeoPoint at)
        => Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));

    [Fact]
    public async Task Demand_MatchingManyLots_GetsOnlyTheMaximumOfProposals_TheCheapest()
    {
        var at = Place(0);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lots = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 10);
            await lot.UpdateAsync(seller, new Domain.Listings.ListingChanges { UnitPrice = new MoneyChanges(500 + i, "EUR") });
            lots.Add(lot.GetPrimaryKeyString());
        }

        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Lots >= 6, TimeSpan.FromSeconds(10)));
        var demand = await MatchingGrainTests.DemandAsync(Grains, buyer, at, 1000, minPart: 1);
        var id = demand.GetPrimaryKeyString();

        // A demand is matched in every partition its radius reaches; the round is over when each has reported.
        var partitions = MatchPartitions.ForDemand((await demand.GetAsync())!.ToSummary()!).Count();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(fixture.Events.Rounds.Count(r => r.Id == id) == partitions), TimeSpan.FromSeconds(10)),
            "the demand was not matched in every partition");
        Assert.Equal(3, fixture.Events.Rounds.Where(r => r.Id == id).Sum(r => r.Proposals));
        var matches = await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 3);
        Assert.Equal(lots.Take(3).Order(), matches.Select(m => m.Proposal!.LotId).Order());
    }

    /// <summary>
    /// A lot meeting more open demands than the bound proposes to the bound's best ranked only (here the nearest: the
    /// same price, less transport), as a demand gets only its best lots; a change of it (a hold) reaches no further
    /// down while those rounds are open, and once one of them leaves the book the next change proposes to the next best.
    /// </summary>
    [Fact]
    public async Task Lot_MatchingMoreDemandsThanTheMaximum_ProposesToTheBestRankedOnly_AlsoWhenItChanges()
    {
        var at = Place(5);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var holder = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var buyers = new List<string>();
        var demands = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            // About 4.4 km further from the lot each, listed in reverse so that the order of posting is not the rank's.
            buyers.Add(await TestClusters.RegisterFirmAsync(Grains, "buyer"));
            var demand = await MatchingGrainTests.DemandAsync(Grains, buyers[i], new GeoPoint(at.Latitude + ((5 - i) * 0.04), at.Longitude), 10, minPart: 1);
            demands.Add(demand.GetPrimaryKeyString());
        }

        demands.Reverse();
        buyers.Reverse();
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Demands >= 6, TimeSpan.FromSeconds(10)),
            "the demands never reached the lot's partition");

        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 100);
        var lotId = lot.GetPrimaryKeyString();
        await RoundsOfAsync(lotId, 1);
        Assert.Equal(3, fixture.Events.Rounds.Where(r => r.Id == lotId).Sum(r => r.Proposals));
        Assert.Equal(new[] { true, true, true, false, false, false }, await StoredAsync());

        // A hold changes the lot: its three best pairs are open (sent nothing) and still fill the bound.
        await lot.PlaceHoldAsync(holder, "h1", 20, DateTimeOffset.UtcNow.AddDays(1));
        await RoundsOfAsync(lotId, 2);
        Assert.Equal(3, fixture.Events.Rounds.Where(r => r.Id == lotId).Sum(r => r.Proposals));
        Assert.Equal(new[] { true, true, true, false, false, false }, await StoredAsync());

        // The best demand cancelled leaves the book: the release's round proposes to the fourth, and to no other.
        await Grains.GetGrain<Grains.Demands.IDemandGrain>(demands[0]).CancelAsync(buyers[0]);
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Demands == 5, TimeSpan.FromSeconds(10)),
            "the cancelled demand never left the lot's partition");
        await lot.ReleaseHoldAsync(holder, "h1");
        await RoundsOfAsync(lotId, 3);
        Assert.Equal(4, fixture.Events.Rounds.Where(r => r.Id == lotId).Sum(r => r.Proposals));
        Assert.Equal(new[] { true, true, true, true, false, false }, await StoredAsync());
        var matches = await MatchingGrainTests.WaitForMatchesAsync(Grains, seller, 4);
        Assert.Equal(demands.Take(4).Order(), matches.Select(m => m.Proposal!.DemandId).Order());

        async Task RoundsOfAsync(string id, int count)
            => Assert.True(await Eventually.TrueAsync(() => Task.FromResult(fixture.Events.Rounds.Count(r => r.Id == id) >= count), TimeSpan.FromSeconds(10)),
                $"the lot was matched {fixture.Events.Rounds.Count(r => r.Id == id)} times, not {count}");

        // Whether each pair has a stored session (the round's event is raised once its proposals are stored).
        async Task<bool[]> StoredAsync()
        {
            var stored = new bool[demands.Count];
            for (var i = 0; i < demands.Count; i++)
            {
                stored[i] = await Grains.GetGrain<IMatchingSessionGrain>(SessionProposal.SessionId(lotId, demands[i])).GetAsync() is not null;
            }

            return stored;
        }
    }

    [Fact]
    public async Task Buyer_BeyondItsHoldsOrShareOfALot_Is409BuyerHoldLimit()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var other = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(Grains, seller, 100);
        var until = DateTimeOffset.UtcNow.AddDays(1);

        var share = await Assert.ThrowsAsync<DomainException>(() => lot.PlaceHoldAsync(buyer, "too-much", 51, until));
        await lot.PlaceHoldAsync(buyer, "h1", 10, until);
        await lot.PlaceHoldAsync(buyer, "h2", 10, until);
        var count = await Assert.ThrowsAsync<DomainException>(() => lot.PlaceHoldAsync(buyer, "h3", 10, until));

        Assert.Equal(("buyer-hold-limit", "buyer-hold-limit"), (share.Code, count.Code));
        await lot.PlaceHoldAsync(other, "h4", 50, until);
        Assert.Equal(70m, (await lot.GetAsync())!.Held);
    }

    [Fact]
    public async Task Partition_ForgetsTheVersionsOfRemovedLots()
    {
        var at = Place(1);
        var partition = PartitionAt(at);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var before = await partition.RememberedVersionsAsync();
        var lots = new List<Grains.Listings.IListingGrain>();
        for (var i = 0; i < 3; i++)
        {
            lots.Add(await MatchingGrainTests.LotAsync(Grains, seller, at, 10));
        }

        Assert.True(await Eventually.TrueAsync(async () => await partition.RememberedVersionsAsync() == before + 3, TimeSpan.FromSeconds(10)));
        foreach (var lot in lots)
        {
            await lot.WithdrawAsync(seller);
        }

        var forgotten = await Eventually.TrueAsync(async () => await partition.RememberedVersionsAsync() == before, TimeSpan.FromSeconds(15));
        Assert.True(forgotten, $"the partition remembers {await partition.RememberedVersionsAsync()} versions, {before} before the lots came and went");
    }

    /// <summary>
    /// A lot's holds and releases send nothing to the sessions of its open rounds (each would refuse being proposed
    /// again); a round that ended early (an acceptance refused for want of quantity) is proposed again at the next one.
    /// </summary>
    [Fact]
    public async Task LotChanges_SendNothingToOpenRounds_ARoundEndedEarlyIsProposedAgain()
    {
        var at = Place(4);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var (buyer, other) = (await TestClusters.RegisterFirmAsync(Grains, "buyer"), await TestClusters.RegisterFirmAsync(Grains, "buyer"));
        var (holder, second) = (await TestClusters.RegisterFirmAsync(Grains, "buyer"), await TestClusters.RegisterFirmAsync(Grains, "buyer"));
        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 100);
        await MatchingGrainTests.DemandAsync(Grains, buyer, at, 10);
        await MatchingGrainTests.DemandAsync(Grains, other, at, 10);
        var kept = (await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1))[0];
        var ended = (await MatchingGrainTests.WaitForMatchesAsync(Grains, other, 1))[0];
        var until = DateTimeOffset.UtcNow.AddDays(1);
        var callsBefore = fixture.Calls.ToSession(kept.Id);

        // 5 t left: the other buyer's acceptance of 10 t is refused and its round expires.
        await lot.PlaceHoldAsync(holder, "h1", 50, until);
        await lot.PlaceHoldAsync(second, "h2", 45, until);
        var refused = await Assert.ThrowsAsync<DomainException>(() => Grains.GetGrain<IMatchingSessionGrain>(ended.Id).AcceptAsync(other));
        Assert.Equal("match-quantity-gone", refused.Code);
        await lot.ReleaseHoldAsync(holder, "h1");

        MatchingSession? again = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            again = (await Grains.GetGrain<IMatchInboxGrain>(other).ListAsync()).Single(m => m.Id == ended.Id);
            return again.Round == 2;
        }, TimeSpan.FromSeconds(10)), $"the round ended early is {again?.Status} in round {again?.Round}, not proposed again");
        Assert.Equal(callsBefore, fixture.Calls.ToSession(kept.Id));
    }

    [Fact]
    public async Task EmptyPartition_IsCollected_ANonEmptyOneIsNot()
    {
        var emptied = Place(2);
        var kept = Place(3);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var gone = await MatchingGrainTests.LotAsync(Grains, seller, emptied, 10);
        await MatchingGrainTests.LotAsync(Grains, seller, kept, 10);
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(emptied).CountsAsync()).Lots == 1 && (await PartitionAt(kept).CountsAsync()).Lots == 1,
            TimeSpan.FromSeconds(10)));
        await gone.WithdrawAsync(seller);
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(emptied).CountsAsync()).Lots == 0, TimeSpan.FromSeconds(10)));

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var management = Grains.GetGrain<IManagementGrain>(0);
        Assert.True(await Eventually.TrueAsync(async () => await management.GetGrainActivationCount((GrainReference)PartitionAt(emptied)) == 0, TimeSpan.FromSeconds(10)),
            "the empty partition is still active");
        Assert.Equal(1, await management.GetGrainActivationCount((GrainReference)PartitionAt(kept)));
        Assert.Equal(1, (await PartitionAt(kept).CountsAsync()).Lots);
    }

    [Fact]
    public async Task InboxReads_ReadTheirSessionsFromStorageOncePerActivation_NeverTheirGrains_EvenTheOnesGone()
    {
        // An inbox naming two stored sessions and one never stored (gone): reads take them from storage, never from
        // their grains, and each activation reads each once.
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var inbox = Grains.GetGrain<IMatchInboxGrain>(trader);
        var sessions = Enumerable.Range(0, 3).Select(_ =>
        {
            var session = new MatchingSession();
            var proposal = new SessionProposal("lot-x", "seller-x", "demand-x", trader, 1, "t", 1, "t", 100, 1);
            session.Propose(SessionProposal.SessionId("lot-x", "demand-" + Guid.NewGuid().ToString("N")), proposal, DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
            return session;
        }).ToArray();
        await StoredAsync(sessions[..2]);
        // RecordAllAsync is one-way: the read that follows may be served before it, so wait until the inbox shows the
        // stored two (a read before the record lists all three from then on, as they were recorded after it).
        await inbox.RecordAllAsync(sessions);
        Assert.True(await Eventually.TrueAsync(async () => (await inbox.PageAsync(null, null, 0, 10)).Matches.Select(m => m.Id).Intersect(sessions[..2].Select(s => s.Id)).Count() == 2, TimeSpan.FromSeconds(10)),
            "the inbox never listed the two stored sessions recorded");
        var before = sessions.Select(s => fixture.Calls.StorageReads(s.Id)).ToArray();

        // Deactivated (the inbox writes its index then), read three times in the next activation.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        for (var read = 0; read < 3; read++)
        {
            Assert.Equal(sessions[..2].Select(s => s.Id).Order(), (await inbox.PageAsync(null, null, 0, 10)).Matches.Select(m => m.Id).Order());
        }

        Assert.Equal([1, 1, 1], sessions.Select((s, i) => fixture.Calls.StorageReads(s.Id) - before[i]));
        Assert.All(sessions, s => Assert.Equal(0, fixture.Calls.ToSession(s.Id)));
    }

    /// <summary>Stores sessions as their partition or grain does before any inbox records them (an inbox reads its sessions from storage).</summary>
    private async Task<IReadOnlyList<MatchingSession>> StoredAsync(IReadOnlyList<MatchingSession> sessions)
    {
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        foreach (var session in sessions)
        {
            var id = Grains.GetGrain<IMatchingSessionGrain>(session.Id).GetGrainId();
            var state = new GrainState<MatchingSession>(new MatchingSession());
            await storage.ReadStateAsync(MatchingSessionGrain.StateName, id, state);
            state.State = session;
            await storage.WriteStateAsync(MatchingSessionGrain.StateName, id, state);
        }

        return sessions;
    }

    /// <summary>
    /// A new lot asks the reminder service nothing until it has a deadline: its draft has none, and a lot never stored
    /// has no reminder to unregister. Published, it registers one; withdrawn, it looks it up and unregisters it.
    /// </summary>
    [Fact]
    public async Task NewLot_AsksTheReminderServiceNothing_UntilItHasADeadline()
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var id = "lot-" + Guid.NewGuid().ToString("N");
        var lot = Grains.GetGrain<Grains.Listings.IListingGrain>(id);

        await lot.CreateAsync(seller, SampleLots.CrushedConcrete(Place(7), 10));
        var created = fixture.Calls.ToReminders(id);
        await lot.PublishAsync(seller);
        var published = fixture.Calls.ToReminders(id);
        await lot.WithdrawAsync(seller);

        Assert.Equal((0, 1, 3), (created, published, fixture.Calls.ToReminders(id)));
    }

    [Fact]
    public async Task InboxPages_OfManySessions_ReRecordedOnesMoved_AreTheSortedFilteredList()
    {
        // 120 sessions of one firm, as buyer and as seller, of every status, at 40 distinct times (the id breaks ties).
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var inbox = Grains.GetGrain<IMatchInboxGrain>(trader);
        var random = new Random(14);
        var t0 = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var sessions = new List<MatchingSession>();
        var latest = new Dictionary<string, MatchingSession>();
        for (var i = 0; i < 120; i++)
        {
            var other = "firm-other-" + random.Next(5);
            var asBuyer = random.Next(2) == 0;
            var proposal = new SessionProposal("lot-" + i, asBuyer ? other : trader, "demand-" + i, asBuyer ? trader : other, 1, "t", 1, "t", 100, 1);
            var session = new MatchingSession();
            session.Propose(SessionProposal.SessionId(proposal.LotId, proposal.DemandId), proposal, t0.AddMinutes(random.Next(40)), TimeSpan.FromDays(1));
            var at = t0.AddMinutes(random.Next(40));
            switch (random.Next(5))
            {
                case 1:
                    session.Accepted("hold-" + i, null, at);
                    break;
                case 2:
                    session.Accepted("hold-" + i, null, at);
                    session.Confirm(proposal.SellerId, at);
                    break;
                case 3:
                    session.Decline(proposal.BuyerId, at);
                    break;
                case 4:
                    session.Expire("timed-out", at);
                    break;
            }

            sessions.Add(session);
        }

        // Records are one-way and may arrive after a later read: each stage waits until the list shows what was sent.
        await inbox.RecordAllAsync(await StoredAsync(Snapshots(sessions)));
        await ArrivedAsync("recorded");
        await AssertPagesAsync("recorded");

        // A third of them changes again, to an earlier or a later time (an open one ends, an expired one is proposed
        // again); some are re-recorded one at a time; stale versions recorded afterwards change nothing.
        var stale = new List<MatchingSession>();
        var changed = new List<MatchingSession>();
        foreach (var session in sessions.Where((_, i) => i % 3 == 0))
        {
            stale.Add(session.Snapshot());
            var at = t0.AddMinutes(random.Next(-10, 60));
            if (session.IsOpen)
            {
                session.Expire("quantity-gone", at);
            }
            else if (session.Status == MatchStatus.Expired)
            {
                session.Propose(session.Id, session.Proposal!, at, TimeSpan.FromDays(1));
            }
            else
            {
                continue;
            }

            changed.Add(session);
        }

        await inbox.RecordAllAsync(await StoredAsync(Snapshots(changed.Skip(5).ToList())));
        foreach (var session in changed.Take(5))
        {
            await inbox.RecordAsync((await StoredAsync(Snapshots([session])))[0]);
        }

        await ArrivedAsync("re-recorded");

        // Stale versions after the newer ones, in one call with a new session last: once that is listed, they were seen.
        var marker = new MatchingSession();
        marker.Propose("lot-m-demand-m", new SessionProposal("lot-m", trader, "demand-m", "firm-other-0", 1, "t", 1, "t", 100, 1), t0.AddMinutes(20), TimeSpan.FromDays(1));
        await inbox.RecordAllAsync(stale.Concat(await StoredAsync(Snapshots([marker]))).ToArray());
        await ArrivedAsync("stale versions");

        // Bad paging input is refused (the API answers it with a problem document before asking); past the end is empty.
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => inbox.PageAsync(null, null, -1, 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => inbox.PageAsync(null, null, 0, 0));
        var beyond = await inbox.PageAsync(null, null, 121, 10);
        Assert.Empty(beyond.Matches);
        Assert.Null(beyond.NextStart);
        Assert.Empty((await inbox.PageAsync("open", null, 0, 10)).Matches);

        IReadOnlyList<MatchingSession> Snapshots(List<MatchingSession> list)
        {
            var copies = list.Select(s => s.Snapshot()).ToArray();
            foreach (var copy in copies)
            {
                latest[copy.Id] = copy;
            }

            return copies;
        }

        async Task ArrivedAsync(string when)
        {
            var sorted = latest.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Select(s => (s.Id, s.Version)).ToArray();
            Assert.True(await Eventually.TrueAsync(async () => (await inbox.ListAsync()).Select(s => (s.Id, s.Version)).SequenceEqual(sorted), TimeSpan.FromSeconds(10)),
                $"{when}: the list never became the {sorted.Length} sessions sent, sorted");
            await AssertPagesAsync(when);
        }

        async Task AssertPagesAsync(string when)
        {
            // The oracle: the latest version of every session, sorted and filtered plainly.
            var sorted = latest.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToArray();
            string?[] statuses = [null, .. Enum.GetValues<MatchStatus>().Select(MatchingSession.StatusCode)];
            foreach (var status in statuses)
            {
                foreach (var role in new[] { null, "buyer", "seller" })
                {
                    var expected = sorted
                        .Where(s => (status is null || MatchingSession.StatusCode(s.Status) == status)
                            && (role is null || (s.Proposal!.BuyerId == trader ? "buyer" : "seller") == role))
                        .Select(s => (s.Id, s.Version)).ToArray();
                    foreach (var size in new[] { 4, 200 })
                    {
                        var paged = new List<(string, long)>();
                        int? start = 0;
                        while (start is { } from)
                        {
                            var page = await inbox.PageAsync(status, role, from, size);
                            Assert.InRange(page.Matches.Count, 0, size);
                            paged.AddRange(page.Matches.Select(m => (m.Id, m.Version)));
                            start = page.NextStart;
                            Assert.True(start is null || page.Matches.Count == size, $"{when}: a page short of {size} names a next start");
                        }

                        Assert.True(expected.SequenceEqual(paged), $"{when}, status {status}, role {role}, size {size}: "
                            + $"pages gave {paged.Count} [{string.Join(", ", paged.Take(8))}…], expected {expected.Length} [{string.Join(", ", expected.Take(8))}…]");
                    }
                }
            }
        }
    }
}
