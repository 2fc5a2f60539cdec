using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
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
        _cluster = await TestClusters.StartAsync(settings, configure: silo => silo.AddOutgoingGrainCallFilter<LostMessages>());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task DeactivatedPartition_LoadsItsBookWhenActivated_AndANewLotMeetsADemandFromBefore()
    {
        var at = new GeoPoint(62.6, 26.9);
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var demand = await MatchingGrainTests.DemandAsync(Grains, buyer, at, 50, minPart: 10, radiusKm: 5);
        Assert.True(await Eventually.TrueAsync(async () => await partition.CountsAsync() == new PartitionCounts(0, 1), TimeSpan.FromSeconds(10)));

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
        var partition = Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var demand = await MatchingGrainTests.DemandAsync(Grains, buyer, at, 50, minPart: 10, radiusKm: 5);
        Assert.True(await Eventually.TrueAsync(async () => await partition.CountsAsync() == new PartitionCounts(0, 1), TimeSpan.FromSeconds(10)));

        // The lot is stored as published, but its one-way message to the partition never arrives.
        var lot = Grains.GetGrain<Marketplace.Grains.Listings.IListingGrain>(LostMessages.Prefix + Guid.NewGuid().ToString("N"));
        await lot.CreateAsync(seller, SampleLots.CrushedConcrete(at, 20, "t"));
        await lot.PublishAsync(seller);

        var matches = await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1);
        Assert.Contains(matches, m => m.Proposal!.LotId == lot.GetPrimaryKeyString() && m.Proposal.DemandId == demand.GetPrimaryKeyString());
    }

    private async Task<bool> IsActiveAsync(IMatchPartitionGrain partition)
    {
        var id = partition.GetGrainId();
        var statistics = await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics.Any(s => s.GrainId == id);
    }

    /// <summary>Drops the one-way change messages of lots whose id starts with <see cref="Prefix"/>, as a crash right after their write would.</summary>
    private sealed class LostMessages : IOutgoingGrainCallFilter
    {
        public const string Prefix = "lost-";

        public Task Invoke(IOutgoingGrainCallContext context)
            => context.InterfaceMethod?.Name == nameof(IMatchPartitionGrain.LotChangedAsync) && context.Request.GetArgument(0) is string id && id.StartsWith(Prefix, StringComparison.Ordinal)
                ? Task.CompletedTask
                : context.Invoke();
    }
}
