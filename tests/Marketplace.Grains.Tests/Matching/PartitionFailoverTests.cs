using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Matching;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>
/// A partition activated anywhere at any time has its book: after a deactivation (as after a failover) it loads its
/// cell's lots and demands before it answers, and a change whose one-way message was lost is repaired without a restart.
/// </summary>
public sealed class PartitionFailoverTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Matching:ReconcileInterval"] = "00:00:01";
        settings["Matching:ReconcileSweepPeriod"] = "00:01:40";
        _cluster = await TestClusters.StartAsync(settings, configure: silo => silo.AddOutgoingGrainCallFilter<LostMessages>().AddOutgoingGrainCallFilter<MemberReads>());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task DeactivatedPartition_LoadsItsBookWhenActivated_AndANewLotMeetsADemandFromBefore()
    {
        var at = new GeoPoint(62.6, 26.9);
        var (partition, seller, buyer, demand) = await CellWithADemandAsync(at);

        // Gone as when its silo dies: the next call activates it afresh (here, on the same silo).
        await partition.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.True(await Eventually.TrueAsync(async () => !await IsActiveAsync(partition), TimeSpan.FromSeconds(10)), "the partition was not deactivated");

        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 20);
        var matches = await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1);
        Assert.Contains(matches, m => m.Proposal!.LotId == lot.GetPrimaryKeyString() && m.Proposal.DemandId == demand.GetPrimaryKeyString());
        Assert.Equal(new PartitionCounts(1, 1), await partition.CountsAsync());
    }

    [Fact]
    public async Task LotWhoseChangeMessageIsLost_IsProposedByTheReconciliation_WithoutARestart()
    {
        var at = new GeoPoint(63.1, 27.7);
        var (partition, seller, buyer, demand) = await CellWithADemandAsync(at);

        // The lot is stored as published, but its one-way message to the partition never arrives.
        var lot = Grains.GetGrain<Marketplace.Grains.Listings.IListingGrain>(LostMessages.Prefix + Guid.NewGuid().ToString("N"));
        await lot.CreateAsync(seller, SampleLots.CrushedConcrete(at, 20, "t"));
        await lot.PublishAsync(seller);

        var matches = await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1);
        Assert.Contains(matches, m => m.Proposal!.LotId == lot.GetPrimaryKeyString() && m.Proposal.DemandId == demand.GetPrimaryKeyString());
    }

    [Fact]
    public async Task JoinInACellWithMembers_StoresOnlyTheChange_AndTheCellLoadsWithIt()
    {
        var at = new GeoPoint(61.9, 25.7);
        var (partition, seller, buyer, demand) = await CellWithADemandAsync(at);
        var before = await StoredAsync<CellMembership>(partition, "cell");

        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 20);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1);

        // The lot's join was stored before its publish answered, as a change: the record itself was not rewritten.
        var after = await StoredAsync<CellMembership>(partition, "cell");
        var changes = await StoredAsync<CellChanges>(partition, "cell-changes");
        Assert.Equal(before.ETag, after.ETag);
        Assert.True(changes.State!.Members.ContainsKey("lot:" + lot.GetPrimaryKeyString()));

        await partition.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.True(await Eventually.TrueAsync(async () => !await IsActiveAsync(partition), TimeSpan.FromSeconds(10)), "the partition was not deactivated");
        Assert.Equal(new PartitionCounts(1, 1), await partition.CountsAsync());
        Assert.Equal(demand.GetPrimaryKeyString(), (await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1))[0].Proposal!.DemandId);
    }

    [Fact]
    public async Task Reconciliation_ReadsASliceOfTheCellPerSweepPeriod_AndOnlyTheMembersStanding()
    {
        // 300 members, each re-read once per 100 s at one reconciliation a second: 3 a round, where a fixed slice read
        // 100 a round (64 started at once).
        var at = new GeoPoint(60.7, 25.3);
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var lots = Enumerable.Range(0, 300).Select(i => new VersionedLot(1, new LotSummary($"{MemberReads.Prefix}{i}", "seller", "concrete",
            Marketplace.Domain.Materials.Unit.T, 10, null, 2, 1000, at, new Marketplace.Domain.Common.DateWindow(today, today.AddDays(30))))).ToArray();

        await partition.LoadAsync(lots, []);

        Assert.True(await Eventually.TrueAsync(() => MemberReads.Count >= 6, TimeSpan.FromSeconds(20)), "the sweep read fewer than 6 members");
        // Ten rounds' worth of slack for a slow poll under load; a fixed slice starts 64 reads at once.
        var read = MemberReads.Count;
        Assert.True(read <= 30, $"{read} members read by the time 6 were: more than a slice per round");
        Assert.Equal([nameof(Marketplace.Grains.Listings.IListingGrain.StandingAsync)], MemberReads.Methods);
    }

    private async Task<IGrainState<T>> StoredAsync<T>(IMatchPartitionGrain partition, string stateName)
        where T : new()
    {
        var storage = _cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(Marketplace.Grains.Storage.StorageOptions.StoreName);
        var state = new GrainState<T>(new T());
        await storage.ReadStateAsync(stateName, partition.GetGrainId(), state);
        return state;
    }

    private async Task<bool> IsActiveAsync(IMatchPartitionGrain partition)
    {
        var id = partition.GetGrainId();
        var statistics = await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics.Any(s => s.GrainId == id);
    }

    /// <summary>Counts the calls to lots whose id starts with <see cref="Prefix"/>, and which methods they were.</summary>
    private sealed class MemberReads : IOutgoingGrainCallFilter
    {
        public const string Prefix = "sweep-";

        private static int _count;
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _methods = new();

        public static int Count => Volatile.Read(ref _count);

        public static string[] Methods => _methods.Keys.Order(StringComparer.Ordinal).ToArray();

        public Task Invoke(IOutgoingGrainCallContext context)
        {
            if (context.InterfaceMethod?.DeclaringType == typeof(Marketplace.Grains.Listings.IListingGrain)
                && context.TargetId.Key.ToString()!.StartsWith(Prefix, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
                _methods[context.InterfaceMethod.Name] = true;
            }

            return context.Invoke();
        }
    }

    /// <summary>Drops the one-way change messages of lots whose id starts with <see cref="Prefix"/>, as a crash right after their write would.</summary>
    private sealed class LostMessages : IOutgoingGrainCallFilter
    {
        public const string Prefix = "lost-";

        public Task Invoke(IOutgoingGrainCallContext context)
            => context.InterfaceMethod?.Name == nameof(IMatchPartitionGrain.LotChangedAsync) && context.Request.GetArgument(0) is string id && id.StartsWith(Prefix, StringComparison.Ordinal)
                ? Task.CompletedTask
                : context.Invoke();
    }    /// <summary>A seller and a buyer, and the buyer's demand for 50 t of crushed concrete at <paramref name="at"/>, joined to its cell's partition.</summary>
    private async Task<(IMatchPartitionGrain Partition, string Seller, string Buyer, IDemandGrain Demand)> CellWithADemandAsync(GeoPoint at)
    {
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var demand = await MatchingGrainTests.DemandAsync(Grains, buyer, at, 50, minPart: 10, radiusKm: 5);
        Assert.True(await Eventually.TrueAsync(async () => await partition.CountsAsync() == new PartitionCounts(0, 1), TimeSpan.FromSeconds(10)));
        return (partition, seller, buyer, demand);
    }


}
