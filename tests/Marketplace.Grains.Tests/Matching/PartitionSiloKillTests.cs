using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>Two silos on one SQLite file: the silo holding a partition is killed, and the survivor's activation of it has its book.</summary>
public sealed class PartitionSiloKillTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-kill-").FullName;

    [Fact]
    public async Task PartitionsSiloKilled_ANewLotInItsCell_IsProposedToADemandFromBefore()
    {
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.AddMarketplaceGrains(configuration));
        builder.ConfigureClient(client => client.Services.AddMarketplaceSerializer());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var grains = cluster.Client;

        var at = new GeoPoint(64.2, 27.7);
        var partition = grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var demand = await MatchingGrainTests.DemandAsync(grains, buyer, at, 50, minPart: 10, radiusKm: 5);
        Assert.True(await Eventually.TrueAsync(async () => await partition.CountsAsync() == new PartitionCounts(0, 1), TimeSpan.FromSeconds(10)));

        var statistics = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var host = statistics.Single(s => s.GrainId == partition.GetGrainId()).SiloAddress;
        await cluster.KillSiloAsync(cluster.Silos.Single(s => s.SiloAddress.Equals(host)));

        // Calls fail while the cluster has not yet declared the silo dead; the lot is posted once they succeed.
        Marketplace.Grains.Listings.IListingGrain? lot = null;
        var posted = await Eventually.TrueAsync(async () =>
        {
            try
            {
                lot = await MatchingGrainTests.LotAsync(grains, seller, at, 20);
                return true;
            }
            catch (Exception e) when (e is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60));
        Assert.True(posted, "no lot could be posted after the kill");

        var matches = await MatchingGrainTests.WaitForMatchesAsync(grains, buyer, 1);
        Assert.Contains(matches, m => m.Proposal!.LotId == lot!.GetPrimaryKeyString() && m.Proposal.DemandId == demand.GetPrimaryKeyString());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
