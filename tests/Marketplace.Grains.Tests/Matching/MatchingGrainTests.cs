using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>One memory-storage cluster whose proposals expire after 3 s, shared by the matching grain tests.</summary>
public sealed class MatchingClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Matching:SessionLifetime"] = "00:00:03";
        // Pages of 512 (the default is 2,048): a cell of 1,100 members is laid out in pages, whose test then reads fewer members.
        settings["Matching:MembershipPageSize"] = "512";
        Cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter>(InboxCalls));
    }

    /// <summary>Calls that recorded sessions in an inbox, by trader.</summary>
    public InboxRecordCalls InboxCalls { get; } = new();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Counts the calls that record sessions in each trader's inbox.</summary>
public sealed class InboxRecordCalls : IIncomingGrainCallFilter
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _sessionCalls = new(StringComparer.Ordinal);

    /// <summary>Record calls the trader's inbox has received.</summary>
    public int To(string trader) => _calls.GetValueOrDefault(trader);

    /// <summary>Calls a match's session grain has received, its reminder's ticks left out.</summary>
    public int ToSession(string matchId) => _sessionCalls.GetValueOrDefault(matchId);

    /// <summary>Writes of a state the memory storage refused (the record existed, or its ETag was stale), by the written key.</summary>
    public int RefusedWrites(string keyPart) => _refused.Where(k => k.Key.Contains(keyPart, StringComparison.Ordinal)).Sum(k => k.Value);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _refused = new(StringComparer.Ordinal);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _reminderCalls = new(StringComparer.Ordinal);

    /// <summary>Calls to the reminder service (register, look up, unregister) about a grain whose id contains <paramref name="keyPart"/>.</summary>
    public int ToReminders(string keyPart) => _reminderCalls.Where(k => k.Key.Contains(keyPart, StringComparison.Ordinal)).Sum(k => k.Value);

    /// <summary>Bytes of the state writes the memory storage accepted whose key contains <paramref name="keyPart"/>.</summary>
    public long WrittenBytes(string keyPart) => _written.Where(k => k.Key.Contains(keyPart, StringComparison.Ordinal)).Sum(k => k.Value);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);

    /// <summary>Reads the memory storage served whose key contains <paramref name="keyPart"/>.</summary>
    public int StorageReads(string keyPart) => _storageReads.Where(k => k.Key.Contains(keyPart, StringComparison.Ordinal)).Sum(k => k.Value);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _storageReads = new(StringComparer.Ordinal);

    /// <summary>How often each lot whose id starts with <paramref name="prefix"/> has been read by its standing (as a partition reads its members).</summary>
    public Dictionary<string, int> StandingReads(string prefix)
        => _standingReads.Where(r => r.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _standingReads = new(StringComparer.Ordinal);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceName.EndsWith(".IReminderService", StringComparison.Ordinal) && context.Request.GetArgumentCount() > 0)
        {
            _reminderCalls.AddOrUpdate(context.Request.GetArgument(0)?.ToString() ?? "", 1, (_, n) => n + 1);
        }

        if (context.Grain.GetType().Name.StartsWith("MemoryStorageGrain", StringComparison.Ordinal) && context.InterfaceMethod.Name == "ReadStateAsync")
        {
            var key = string.Join('|', Enumerable.Range(0, context.Request.GetArgumentCount()).Select(i => context.Request.GetArgument(i) as string ?? ""));
            _storageReads.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        if (context.Grain.GetType().Name.StartsWith("MemoryStorageGrain", StringComparison.Ordinal) && context.InterfaceMethod.Name == "WriteStateAsync")
        {
            try
            {
                await context.Invoke();
                var arguments = Enumerable.Range(0, context.Request.GetArgumentCount()).Select(i => context.Request.GetArgument(i)).ToArray();
                var bytes = arguments.Sum(a => a?.GetType().GetProperty("State")?.GetValue(a) switch
                {
                    ReadOnlyMemory<byte> memory => memory.Length,
                    byte[] array => array.Length,
                    BinaryData data => data.ToMemory().Length,
                    _ => 0L,
                });
                _written.AddOrUpdate(string.Join('|', arguments.Select(a => a as string ?? "")), bytes, (_, n) => n + bytes);
            }
            catch (Exception e) when (e is InconsistentStateException || e.GetType().Name.Contains("EtagMismatch", StringComparison.Ordinal))
            {
                // The memory storage grain refuses with its own ETag-mismatch exception, which its provider turns into an InconsistentStateException.
                _refused.AddOrUpdate(string.Join('|', Enumerable.Range(0, context.Request.GetArgumentCount()).Select(i => context.Request.GetArgument(i) as string ?? "")), 1, (_, n) => n + 1);
                throw;
            }

            return;
        }

        if (context.Grain is MatchInboxGrain && context.InterfaceMethod.Name.StartsWith("Record", StringComparison.Ordinal))
        {
            _calls.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
        }
        else if (context.Grain is MatchingSessionGrain && context.InterfaceMethod.Name != nameof(IRemindable.ReceiveReminder))
        {
            _sessionCalls.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
        }
        else if (context.Grain is ListingGrain && context.InterfaceMethod.Name == nameof(IListingGrain.StandingAsync))
        {
            _standingReads.AddOrUpdate(context.TargetId.Key.ToString()!, 1, (_, n) => n + 1);
        }

        await context.Invoke();
    }
}

/// <summary>
/// Listing and demand changes reach their partitions, proposals become sessions in both inboxes, and sessions end in a
/// hold that is confirmed, released, or never more than the lot has.
/// </summary>
public sealed class MatchingGrainTests(MatchingClusterFixture fixture) : IClassFixture<MatchingClusterFixture>
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private IGrainFactory Grains => fixture.Cluster.Client;

    /// <summary>A place of its own for each test, 100 km from the others, so tests sharing the cluster never match each other's lots.</summary>
    private static GeoPoint Place(int test) => new(59.6 + (test * 0.9), 22.5 + (test * 0.9));

    /// <summary>A lot of crushed concrete at a point, published.</summary>
    internal static async Task<IListingGrain> LotAsync(IGrainFactory grains, string seller, GeoPoint at, decimal quantity, string unit = "t")
    {
        var grain = grains.GetGrain<IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
        await grain.CreateAsync(seller, SampleLots.CrushedConcrete(at, quantity, unit));
        await grain.PublishAsync(seller);
        return grain;
    }

    /// <summary>A demand for concrete (any kind) around a point.</summary>
    internal static async Task<IDemandGrain> DemandAsync(IGrainFactory grains, string buyer, GeoPoint at, decimal quantity, decimal? minPart = null, double radiusKm = 40)
    {
        var grain = grains.GetGrain<IDemandGrain>("demand-" + Guid.NewGuid().ToString("N"));
        await grain.CreateAsync(buyer, SampleDemands.Concrete(at, quantity, minPart, radiusKm));
        return grain;
    }

    internal static async Task<IReadOnlyList<MatchingSession>> WaitForMatchesAsync(IGrainFactory grains, string trader, int count)
    {
        IReadOnlyList<MatchingSession> matches = [];
        var found = await Eventually.TrueAsync(async () =>
        {
            matches = await grains.GetGrain<IMatchInboxGrain>(trader).ListAsync();
            return matches.Count >= count;
        }, TimeSpan.FromSeconds(20));
        Assert.True(found, $"{trader} has {matches.Count} matches, expected {count}");
        return matches;
    }

    /// <summary>
    /// Every proposal makes grain references (session, inboxes, firms' registries); Orleans 10.4 read the interface's
    /// attributes again for each one. After the first, resolving an interface allocates nothing and gives the same type.
    /// </summary>
    [Fact]
    public void GrainInterfaceType_AfterTheFirst_IsRememberedWithoutAllocating()
    {
        var resolver = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredService<Orleans.Metadata.GrainInterfaceTypeResolver>();
        var first = resolver.GetGrainInterfaceType(typeof(IMatchingSessionGrain));

        // The fewest bytes of five rounds count, as the runtime's tiering can allocate on the thread during one round;
        // the old resolver allocated 968 bytes on every call.
        var same = 0;
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1_000; i++)
            {
                same += resolver.GetGrainInterfaceType(typeof(IMatchingSessionGrain)).Equals(first) ? 1 : 0;
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.InRange(fewest, 0, 1_024);
        Assert.Equal(5_000, same);
        Assert.Equal(resolver.GetGrainInterfaceTypeByConvention(typeof(IMatchingSessionGrain)), first);
        Assert.Equal(resolver.GetGrainInterfaceTypeByConvention(typeof(IMatchInboxGrain)), resolver.GetGrainInterfaceType(typeof(IMatchInboxGrain)));
    }

    [Fact]
    public async Task LotAndDemand5KmApart_InDifferentCells_Match_AndBothInboxesHaveTheProposal()
    {
        // Either side of the 25.3125° E cell border, about 5 km apart.
        var lotAt = new GeoPoint(63.90, 25.26);
        var demandAt = new GeoPoint(63.90, 25.36);
        Assert.NotEqual(Geohash.Encode(lotAt.Latitude, lotAt.Longitude), Geohash.Encode(demandAt.Latitude, demandAt.Longitude));
        Assert.InRange(lotAt.DistanceKm(demandAt), 4.5, 5.5);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");

        var demand = await DemandAsync(Grains, buyer, demandAt, 30, radiusKm: 10);
        var lot = await LotAsync(Grains, seller, lotAt, 100);

        var proposal = Assert.Single(await WaitForMatchesAsync(Grains, buyer, 1));
        Assert.Equal((lot.GetPrimaryKeyString(), demand.GetPrimaryKeyString(), 30m, MatchStatus.Proposed),
            (proposal.Proposal!.LotId, proposal.Proposal.DemandId, proposal.Proposal.Quantity, proposal.Status));
        Assert.InRange(proposal.Proposal.DistanceKm, 4.5, 5.5);
        Assert.Equal(proposal.Id, Assert.Single(await WaitForMatchesAsync(Grains, seller, 1)).Id);

        // The inbox reaches storage within about a second, while its grain stays active.
        var storage = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        var stored = await Eventually.TrueAsync(async () =>
        {
            // The index written whole, or the changes since.
            var inbox = new GrainState<MatchInboxIndex>(new MatchInboxIndex());
            var changes = new GrainState<Dictionary<string, InboxEntry>>(new Dictionary<string, InboxEntry>());
            await storage.ReadStateAsync("inbox", GrainId.Create("matchinbox", buyer), inbox);
            await storage.ReadStateAsync("inbox-changes", GrainId.Create("matchinbox", buyer), changes);
            return inbox.State?.Entries.ContainsKey(proposal.Id) == true || changes.State?.ContainsKey(proposal.Id) == true;
        }, TimeSpan.FromSeconds(10));
        Assert.True(stored, "the buyer's inbox was not written to storage");
    }

    [Fact]
    public async Task Accept_HoldsTheQuantity_Confirm_SellsIt_AndTheDemandRecordsThePurchase()
    {
        var at = Place(0);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await LotAsync(Grains, seller, at, 100);
        var demand = await DemandAsync(Grains, buyer, at, 30);
        var session = Grains.GetGrain<IMatchingSessionGrain>((await WaitForMatchesAsync(Grains, buyer, 1))[0].Id);

        Assert.Equal("seller-only", (await Assert.ThrowsAsync<DomainException>(() => session.ConfirmAsync(buyer))).Code);
        Assert.Equal("buyer-only", (await Assert.ThrowsAsync<DomainException>(() => session.AcceptAsync(seller))).Code);
        Assert.Equal("match-not-found", (await Assert.ThrowsAsync<DomainException>(() => session.AcceptAsync("someone-else"))).Code);
        var accepted = await session.AcceptAsync(buyer);
        Assert.Equal(MatchStatus.Accepted, accepted.Status);
        Assert.Equal((70m, 30m), ((await lot.GetAsync())!.Available, (await lot.GetAsync())!.Held));

        var confirmed = await session.ConfirmAsync(seller);
        Assert.Equal(MatchStatus.Confirmed, confirmed.Status);
        var listing = (await lot.GetAsync())!;
        Assert.Equal((70m, 0m, 30m), (listing.Available, listing.Held, listing.Sold));
        Assert.Equal(DemandStatus.Fulfilled, (await demand.GetAsync())!.Status);
        Assert.Equal(MatchStatus.Confirmed, (await WaitForStatusAsync(Grains, seller, confirmed.Id, MatchStatus.Confirmed)).Status);
    }

    /// <summary>
    /// The inbox answers one page at a time, filtered by status and role, in the order of the whole list; the pages
    /// together are the whole filtered list, each once.
    /// </summary>
    /// <summary>
    /// A demand covered by three lots of one seller in one partition turn: each trader's inbox hears of the three in one
    /// call (it took three calls to each, one per session, before the partition batched them).
    /// </summary>
    [Fact]
    public async Task DemandProposedThreeLotsOfOneSeller_EachInboxIsCalledOnce_WithAllThree()
    {
        var at = Place(7);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        for (var i = 0; i < 3; i++)
        {
            await LotAsync(Grains, seller, at, 10);
        }

        await DemandAsync(Grains, buyer, at, 30, minPart: 10);

        Assert.Equal(3, (await WaitForMatchesAsync(Grains, buyer, 3)).Count);
        Assert.Equal(3, (await WaitForMatchesAsync(Grains, seller, 3)).Count);
        Assert.Equal((1, 1), (fixture.InboxCalls.To(buyer), fixture.InboxCalls.To(seller)));
    }

    /// <summary>
    /// A new pair's proposal is stored by its partition: its session grain gets no call (no activation, no state read)
    /// until the match is read, yet the proposal is in grain storage, in both inboxes, and a read of the match finds it.
    /// </summary>
    [Fact]
    public async Task NewProposal_IsStoredWithoutCallingItsSession_AndReadsBackFromStorage()
    {
        var at = Place(8);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        await LotAsync(Grains, seller, at, 10);
        await DemandAsync(Grains, buyer, at, 10);
        var match = (await WaitForMatchesAsync(Grains, buyer, 1))[0];
        Assert.Equal(match.Id, (await WaitForMatchesAsync(Grains, seller, 1))[0].Id);

        Assert.Equal(0, fixture.InboxCalls.ToSession(match.Id));
        var services = fixture.Cluster.Silos[0].SiloHost.Services;
        var grainId = Grains.GetGrain<IMatchingSessionGrain>(match.Id).GetGrainId();
        var stored = new GrainState<MatchingSession>();
        await services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName).ReadStateAsync("match", grainId, stored);
        Assert.True(stored.RecordExists, "the proposal is not in grain storage");
        Assert.Equal((match.Proposal, 1), (stored.State!.Proposal, stored.State.Round));

        var read = await Grains.GetGrain<IMatchingSessionGrain>(match.Id).GetAsync();
        Assert.Equal((match.Proposal, 1), (read!.Proposal, read.Round));
    }

    /// <summary>
    /// A proposal its partition stored gets no reminder of its own (a reminder table write per proposal): its expiry is
    /// in the partition's calendar, one page per turn, whose reminder expires it on time (sessions live 3 s here), and the
    /// expiry reaches both inboxes as before.
    /// </summary>
    [Fact]
    public async Task NewProposal_HasNoReminderOfItsOwn_AndExpiresFromItsPartitionsCalendar()
    {
        var at = Place(10);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        await LotAsync(Grains, seller, at, 10);
        await DemandAsync(Grains, buyer, at, 10);
        var match = (await WaitForMatchesAsync(Grains, buyer, 1))[0];

        var reminders = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredService<IReminderTable>();
        Assert.Null(await reminders.ReadRow(Grains.GetGrain<IMatchingSessionGrain>(match.Id).GetGrainId(), MatchingSessionGrain.ExpiryReminder));

        // Expired in both inboxes (or proposed again in a new round, which only follows an expiry).
        foreach (var firm in (string[])[buyer, seller])
        {
            MatchingSession? seen = null;
            var expired = await Eventually.TrueAsync(async () =>
            {
                seen = (await Grains.GetGrain<IMatchInboxGrain>(firm).ListAsync()).Single(m => m.Id == match.Id);
                return seen.Status == MatchStatus.Expired || seen.Round > 1;
            }, TimeSpan.FromSeconds(20));
            Assert.True(expired, $"{firm}'s inbox shows the match {seen?.Status} in round {seen?.Round}");
        }

        // Its page settled (deleted, the record moved past it), the partition lets its reminder go.
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude))).GetGrainId();
        var released = await Eventually.TrueAsync(async () => await reminders.ReadRow(partition, MatchPartitionGrain.ExpiryReminder) is null, TimeSpan.FromSeconds(20));
        Assert.True(released, "the partition still has its expiry reminder after its only proposal expired");
    }

    /// <summary>
    /// A lot changed after its pair's round ended early (an acceptance refused for want of quantity, then a release) is
    /// matched again and proposes the pair again: the partition knows the session is stored and asks the session grain,
    /// which starts a new round, instead of a new-record write that the storage refuses first.
    /// </summary>
    [Fact]
    public async Task PairProposedAgain_AfterALotChange_GoesToItsSession_WithoutARefusedWrite()
    {
        var at = Place(9);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var holder = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await LotAsync(Grains, seller, at, 100);
        await DemandAsync(Grains, buyer, at, 10);
        var match = (await WaitForMatchesAsync(Grains, buyer, 1))[0];

        await lot.PlaceHoldAsync(holder, "a-look", 95, DateTimeOffset.UtcNow.AddDays(1));
        await Assert.ThrowsAsync<DomainException>(() => Grains.GetGrain<IMatchingSessionGrain>(match.Id).AcceptAsync(buyer));
        await lot.ReleaseHoldAsync(holder, "a-look");

        MatchingSession? again = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            again = (await Grains.GetGrain<IMatchInboxGrain>(buyer).ListAsync()).Single(m => m.Id == match.Id);
            return again.Round >= 2;
        }, TimeSpan.FromSeconds(10)), $"the pair is {again?.Status} in round {again?.Round}, not proposed again");
        Assert.Equal(0, fixture.InboxCalls.RefusedWrites(match.Id));
    }

    /// <summary>
    /// A partition whose changed members pass the threshold writes its membership record whole and empties its changes.
    /// In this class's cluster (default reconciliation: the first after 30 s), not in <see cref="PartitionFailoverTests"/>,
    /// which reconciles every second and so dropped these summaries (no lot behind them) while a slow flush was due.
    /// </summary>
    [Fact]
    public async Task ManyChangedMembers_AreFoldedIntoTheRecord_AndTheChangesEmptied()
    {
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(60.9, 26.1)));
        var lots = Enumerable.Range(0, 100).Select(i => new VersionedLot(1, new LotSummary($"fold-{i}", "seller", "concrete", Marketplace.Domain.Materials.Unit.T,
            10, null, 2, 1000, new GeoPoint(60.9, 26.1), new DateWindow(DateOnly.FromDateTime(DateTime.UtcNow), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30))))).ToArray();

        await partition.LoadAsync(lots, []);

        // Written by the partition's periodic flush: past the threshold, the record whole and no changes left over.
        var storage = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        async Task<T> StoredAsync<T>(string stateName)
            where T : new()
        {
            var state = new GrainState<T>(new T());
            await storage.ReadStateAsync(stateName, partition.GetGrainId(), state);
            return state.State!;
        }

        Assert.True(await Eventually.TrueAsync(async () => (await StoredAsync<CellMembership>("cell")).Lots.Count == 100, TimeSpan.FromSeconds(10)));
        Assert.True(await Eventually.TrueAsync(async () => (await StoredAsync<CellChanges>("cell-changes")).Members.Count == 0, TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// A cell of more than twice <see cref="MatchingOptions.MembershipPageSize"/> members (512 in this cluster) is kept in pages: each join writes its
    /// page's changes (and now and then that page whole), never a changes record of the whole cell nor the whole cell; a
    /// cell stored the old way (one record) is laid out in pages by its first write past that size; and the next
    /// activation reads every member again, those loaded and those only recorded as joining.
    /// </summary>
    [Fact]
    public async Task JoinsInALargeCell_WriteBoundedRecords_AndEveryMemberIsReadByTheNextActivation()
    {
        var at = new GeoPoint(61.3, 28.9);
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var prefix = $"paged-{Guid.NewGuid():N}"[..14] + "-";
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var lots = Enumerable.Range(0, 1_100).Select(i => new VersionedLot(1, new LotSummary($"{prefix}{i}", "seller", "concrete", Marketplace.Domain.Materials.Unit.T,
            10, null, 2, 1000, at, new DateWindow(today, today.AddDays(30))))).ToArray();
        var storage = fixture.Cluster.Silos[0].SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        var record = new GrainState<CellMembership>(new CellMembership());

        // A cell of 1,000 members is stored the old way, one record; a join's write also stores the loaded lots (a write
        // stores every change so far). 100 more, and the next join's write lays the cell out in pages.
        await partition.LoadAsync(lots[..1_000], []);
        await partition.LotJoiningAsync(prefix + "join-0");
        await storage.ReadStateAsync("cell", partition.GetGrainId(), record);
        Assert.Equal(1_000, record.State!.Lots.Count);
        await partition.LoadAsync(lots[1_000..], []);
        await partition.LotJoiningAsync(prefix + "join-1");
        var keyPart = partition.GetGrainId().ToString();
        Assert.True(fixture.InboxCalls.WrittenBytes(keyPart) > 20_000, "the cell's writes were not counted");

        // The next 80 joins, each measured.
        long largest = 0, total = 0;
        for (var i = 2; i <= 81; i++)
        {
            var before = fixture.InboxCalls.WrittenBytes(keyPart);
            await partition.LotJoiningAsync($"{prefix}join-{i}");
            var written = fixture.InboxCalls.WrittenBytes(keyPart) - before;
            (largest, total) = (Math.Max(largest, written), total + written);
        }

        // The whole cell is about 25 KB of ids, its changes about 100 bytes a member: one record of all changes grew
        // to 64 entries (6 KB) and then the cell was rewritten whole; a page of about 300 members is about 6 KB.
        Assert.True(largest <= 10_000, $"a join wrote {largest:N0} bytes");
        Assert.True(total / 80 <= 2_000, $"a join wrote {total / 80:N0} bytes on average");

        var readBefore = fixture.InboxCalls.StandingReads(prefix);
        await partition.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.True(await Eventually.TrueAsync(async () => !(await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics()).Any(s => s.GrainId == partition.GetGrainId()),
            TimeSpan.FromSeconds(10)), "the partition was not deactivated");
        await partition.CountsAsync();
        var readAfter = fixture.InboxCalls.StandingReads(prefix);
        var members = lots.Select(l => l.Lot.Id).Concat(Enumerable.Range(0, 82).Select(i => $"{prefix}join-{i}")).ToArray();
        var unread = members.Where(id => readAfter.GetValueOrDefault(id) <= readBefore.GetValueOrDefault(id)).ToArray();
        Assert.True(unread.Length == 0, $"{unread.Length} of {members.Length} members were not read by the new activation, e.g. {string.Join(", ", unread.Take(3))} (a join wrote at most {largest:N0} bytes, {total / 80:N0} on average)");
    }

    [Fact]
    public async Task InboxPages_FilteredByStatusAndRole_TogetherAreTheFilteredList()
    {
        var at = Place(6);
        var trader = await TestClusters.RegisterFirmAsync(Grains);
        var other = await TestClusters.RegisterFirmAsync(Grains);
        await LotAsync(Grains, other, at, 1000);
        for (var i = 0; i < 3; i++)
        {
            await DemandAsync(Grains, trader, at, 10 + i);
        }

        // The firm's lot far from the others, so that the third firm's demand has exactly one candidate (at the same
        // place, other's lot could cover that demand first, and whether the firm's lot was proposed depended on the
        // order of random ids).
        var apart = new GeoPoint(66.5, 25.7);
        await LotAsync(Grains, trader, apart, 500);
        await DemandAsync(Grains, await TestClusters.RegisterFirmAsync(Grains), apart, 20);
        IReadOnlyList<MatchingSession> all = [];
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            all = await Grains.GetGrain<IMatchInboxGrain>(trader).ListAsync();
            return all.Count(m => m.Proposal!.BuyerId == trader) >= 3 && all.Any(m => m.Proposal!.SellerId == trader);
        }, TimeSpan.FromSeconds(20)), $"{trader} has {all.Count} matches, expected 3 as buyer and 1 as seller");
        var declined = await Grains.GetGrain<IMatchingSessionGrain>(all.First(m => m.Proposal!.BuyerId == trader).Id).DeclineAsync(trader);
        Assert.Equal(MatchStatus.Declined, declined.Status);

        // Proposals may still arrive while the pages are read (the cell's other lots and demands), so each filter is
        // compared with the whole list read before and after its pages; they are read again until the list held still.
        var inbox = Grains.GetGrain<IMatchInboxGrain>(trader);
        foreach (var (status, role) in new[] { ((string?)null, (string?)null), ("proposed", null), ("declined", null), (null, "buyer"), (null, "seller"), ("proposed", "buyer") })
        {
            string[] expected = [];
            var paged = new List<string>();
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                var before = await inbox.ListAsync();
                expected = Filtered(before);
                paged.Clear();
                int? start = 0;
                while (start is { } from)
                {
                    var page = await inbox.PageAsync(status, role, from, 2);
                    Assert.InRange(page.Matches.Count, 0, 2);
                    paged.AddRange(page.Matches.Select(m => m.Id));
                    start = page.NextStart;
                }

                return Filtered(await inbox.ListAsync()).SequenceEqual(expected) && paged.SequenceEqual(expected);
            }, TimeSpan.FromSeconds(20)), $"status {status}, role {role}: pages gave [{string.Join(", ", paged)}], the list [{string.Join(", ", expected)}]");
            Assert.True(expected.Length > 0, $"no match with status {status} and role {role}");

            string[] Filtered(IReadOnlyList<MatchingSession> list) => list
                .Where(m => (status is null || MatchingSession.StatusCode(m.Status) == status)
                    && (role is null || (m.Proposal!.BuyerId == trader ? "buyer" : "seller") == role))
                .Select(m => m.Id).ToArray();
        }
    }

    [Fact]
    public async Task Decline_ReleasesTheHold_AndThePairIsNotProposedAgain()
    {
        var at = Place(1);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await LotAsync(Grains, seller, at, 100);
        var demand = await DemandAsync(Grains, buyer, at, 30);
        var session = Grains.GetGrain<IMatchingSessionGrain>((await WaitForMatchesAsync(Grains, buyer, 1))[0].Id);
        await session.AcceptAsync(buyer);

        var declined = await session.DeclineAsync(seller);

        Assert.Equal((MatchStatus.Declined, "declined-by-seller"), (declined.Status, declined.Reason));
        Assert.Equal(100m, (await lot.GetAsync())!.Available);
        Assert.Equal(new ProposalAnswer(null, null), await session.ProposeAsync(declined.Proposal!));

        // A change to the demand re-runs matching against the lot; the declined pair stays declined.
        await demand.UpdateAsync(buyer, new DemandChanges { RadiusKm = 45 });
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        Assert.True(await Eventually.TrueAsync(async () => (await partition.CountsAsync()).Demands > 0, TimeSpan.FromSeconds(10)));
        Assert.Equal((MatchStatus.Declined, 1), ((await session.GetAsync())!.Status, (await session.GetAsync())!.Round));
    }

    [Fact]
    public async Task AcceptedSession_Expires_AndItsHoldIsReleased_WithoutAnyRequest()
    {
        var at = Place(2);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await LotAsync(Grains, seller, at, 100);
        await DemandAsync(Grains, buyer, at, 30);
        var session = Grains.GetGrain<IMatchingSessionGrain>((await WaitForMatchesAsync(Grains, buyer, 1))[0].Id);
        await session.AcceptAsync(buyer);
        Assert.Equal(30m, (await lot.GetAsync())!.Held);

        // Sessions live 3 s in this cluster; the reminder ends it with nothing touching it. The released quantity may
        // be proposed to the pair again at once (a new round, possible only after an expiry).
        MatchingSession? seen = null;
        var expired = await Eventually.TrueAsync(async () =>
        {
            seen = await session.GetAsync();
            return seen!.Status == MatchStatus.Expired || seen.Round > 1;
        }, TimeSpan.FromSeconds(30));

        Assert.True(expired, "the accepted session did not expire");
        Assert.Equal("timed-out", seen!.Round > 1 ? "timed-out" : seen.Reason);
        Assert.Equal((100m, 0m), ((await lot.GetAsync())!.Available, (await lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task TwentyBuyersAcceptingAtOnce_AgainstTenUnits_NeverHoldMoreThanTen()
    {
        var at = Place(3);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var lot = await LotAsync(Grains, seller, at, 10);
        var buyers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => TestClusters.RegisterFirmAsync(Grains, "buyer")));
        await Task.WhenAll(buyers.Select(b => DemandAsync(Grains, b, at, 3)));
        var sessions = await Task.WhenAll(buyers.Select(async b => (Buyer: b, Match: (await WaitForMatchesAsync(Grains, b, 1))[0])));
        Assert.All(sessions, s => Assert.Equal(3m, s.Match.Proposal!.Quantity));

        var outcomes = await Task.WhenAll(sessions.Select(async s =>
        {
            try
            {
                return (await Grains.GetGrain<IMatchingSessionGrain>(s.Match.Id).AcceptAsync(s.Buyer)).Status;
            }
            catch (DomainException e) when (e.Code == "match-quantity-gone")
            {
                return MatchStatus.Expired;
            }
        }));

        var listing = (await lot.GetAsync())!;
        Assert.Equal(3, outcomes.Count(o => o == MatchStatus.Accepted));
        Assert.Equal(17, outcomes.Count(o => o == MatchStatus.Expired));
        Assert.Equal((9m, 1m), (listing.Held, listing.Available));
        Assert.True(listing.Held + listing.Sold <= 10m);
    }

    [Fact]
    public async Task ListingAndDemandChanges_ReachTheirPartitions()
    {
        var at = Place(4);
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");

        // Partitions are large: other tests' demands may reach this one's cell too, so count from what is there now.
        var before = await partition.CountsAsync();
        async Task ExpectAsync(int lots, int demands, string after)
        {
            var expected = new PartitionCounts(before.Lots + lots, before.Demands + demands);
            Assert.True(await Eventually.TrueAsync(async () => await partition.CountsAsync() == expected, TimeSpan.FromSeconds(10)),
                $"after {after} the partition holds {await partition.CountsAsync()}, expected {expected}");
        }

        var lot = await LotAsync(Grains, seller, at, 10);
        await ExpectAsync(1, 0, "publishing");
        await lot.PlaceHoldAsync(buyer, "all-of-it", 10, DateTimeOffset.UtcNow.AddDays(1));
        await ExpectAsync(0, 0, "a hold on everything");
        await lot.ReleaseHoldAsync(buyer, "all-of-it");
        await ExpectAsync(1, 0, "releasing the hold");
        var demand = await DemandAsync(Grains, buyer, at, 500, minPart: 50, radiusKm: 20);
        await ExpectAsync(1, 1, "posting a demand");
        await demand.UpdateAsync(buyer, new DemandChanges { Location = new PointChanges(at.Latitude + 0.5, at.Longitude), RadiusKm = 5 });
        await ExpectAsync(1, 0, "moving the demand out of the cell");
        await demand.UpdateAsync(buyer, new DemandChanges { Location = new PointChanges(at.Latitude, at.Longitude) });
        await ExpectAsync(1, 1, "moving it back");
        await demand.CancelAsync(buyer);
        await ExpectAsync(1, 0, "cancelling the demand");
        await lot.WithdrawAsync(seller);
        await ExpectAsync(0, 0, "withdrawing the lot");
    }

    [Fact]
    public async Task IdlePartition_IsNotCollected_SoItsBookSurvivesQuietHours()
    {
        var at = Place(5);
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var before = await partition.CountsAsync();
        await LotAsync(Grains, seller, at, 10);
        Assert.True(await Eventually.TrueAsync(async () => (await partition.CountsAsync()).Lots == before.Lots + 1, TimeSpan.FromSeconds(10)));

        // Collect every activation idle for any time at all, as Orleans does to idle grains after their age limit.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal(before.Lots + 1, (await partition.CountsAsync()).Lots);
    }

    [Fact]
    public async Task KgDemand_AgainstATonneLot_IsProposedAQuantityTheBuyerCanAccept()
    {
        // 700.25 kg would be 0.70025 t, which no hold accepts: the proposal is rounded down to 700 kg (0.7 t).
        var at = new GeoPoint(61.0, 29.5);
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = Grains.GetGrain<IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
        await lot.CreateAsync(seller, SampleLots.SteelBeams(SampleLots.Open(60)) with
        {
            Quantity = 5,
            Unit = "t",
            UnitPrice = Money.Eur(90_000),
            Location = new ListingLocation(at.Latitude, at.Longitude, null, "Joensuu"),
        });
        await lot.PublishAsync(seller);
        await Grains.GetGrain<IDemandGrain>("demand-" + Guid.NewGuid().ToString("N")).CreateAsync(buyer, new DemandDetails
        {
            Category = "metals",
            Quantity = 700.25m,
            Unit = "kg",
            MinPart = 500,
            Location = at,
            RadiusKm = 20,
            Window = new DateWindow(Today.AddDays(5), Today.AddDays(30)),
        });

        var proposal = Assert.Single(await WaitForMatchesAsync(Grains, buyer, 1));
        Assert.Equal((700m, 0.7m), (proposal.Proposal!.Quantity, proposal.Proposal.LotQuantity));
        var accepted = await Grains.GetGrain<IMatchingSessionGrain>(proposal.Id).AcceptAsync(buyer);

        Assert.Equal(MatchStatus.Accepted, accepted.Status);
        Assert.Equal(0.7m, (await lot.GetAsync())!.Held);
    }

    internal static async Task<MatchingSession> WaitForStatusAsync(IGrainFactory grains, string trader, string id, MatchStatus status)
    {
        MatchingSession? match = null;
        await Eventually.TrueAsync(async () =>
        {
            match = (await grains.GetGrain<IMatchInboxGrain>(trader).ListAsync()).FirstOrDefault(m => m.Id == id);
            return match?.Status == status;
        }, TimeSpan.FromSeconds(10));
        return match ?? throw new InvalidOperationException($"{id} is not in {trader}'s inbox");
    }
}
