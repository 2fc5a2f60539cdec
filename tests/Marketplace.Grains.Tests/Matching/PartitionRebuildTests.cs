using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>
/// A partition's book is derived state: after a restart it holds every open lot and demand again, read from storage; its
/// expiry calendar is stored, so a proposal made before the restart still expires on time after it.
/// </summary>
public sealed class PartitionRebuildTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-rebuild-").FullName;

    [Fact]
    public async Task AfterRestart_PartitionsHoldTheOpenLotsAndDemandsAgain_AndANewLotMeetsAnOldDemand_AndTheOldProposalExpires()
    {
        // The market's clock, shared by both hosts: moved past the proposals' lifetime after the restart.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        var serviceId = "rebuild-" + Guid.NewGuid().ToString("N")[..8];
        var at = new GeoPoint(60.2055, 24.6559);
        var far = new GeoPoint(60.30, 25.36);
        var home = MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude));
        var farCell = MatchPartitions.Key("concrete", Geohash.Encode(far.Latitude, far.Longitude));
        string seller, buyer, demandId;
        MatchingSession proposed;

        await using (var before = await TestClusters.StartAsync(settings, serviceId, TestClusters.MarketClock(clock)))
        {
            seller = await TestClusters.RegisterFirmAsync(before.Client, "seller");
            buyer = await TestClusters.RegisterFirmAsync(before.Client, "buyer");
            await MatchingGrainTests.LotAsync(before.Client, seller, at, 100);
            var withdrawn = await MatchingGrainTests.LotAsync(before.Client, seller, at, 100);
            await withdrawn.WithdrawAsync(seller);

            // Needs 500 t: the 100 t lot is proposed, and the demand stays open for the lot posted after the restart.
            var demand = await MatchingGrainTests.DemandAsync(before.Client, buyer, at, 500, minPart: 50, radiusKm: 60);
            demandId = demand.GetPrimaryKeyString();
            proposed = (await MatchingGrainTests.WaitForMatchesAsync(before.Client, buyer, 1))[0];
            Assert.Equal(new PartitionCounts(1, 1), await before.Client.GetGrain<IMatchPartitionGrain>(home).CountsAsync());

            // The inbox is written within about a second of a change, while its grain stays active.
            var written = await Eventually.TrueAsync(async () => await StoredInboxAsync(settings["Storage:Sqlite:Path"]!, serviceId, buyer), TimeSpan.FromSeconds(10));
            Assert.True(written, "the buyer's inbox was not written to storage");
        }

        SqliteConnection.ClearAllPools();
        await using var after = await TestClusters.StartAsync(settings, serviceId, TestClusters.MarketClock(clock));
        var homePartition = after.Client.GetGrain<IMatchPartitionGrain>(home);
        var rebuilt = await Eventually.TrueAsync(async () => await homePartition.CountsAsync() == new PartitionCounts(1, 1), TimeSpan.FromSeconds(30));
        Assert.True(rebuilt, $"the partition holds {await homePartition.CountsAsync()} after the restart, expected 1 lot and 1 demand");

        // The demand's 60 km radius reaches the neighbouring cell too; a new lot there meets it without the demand changing.
        Assert.NotEqual(home, farCell);
        Assert.Equal(1, (await after.Client.GetGrain<IMatchPartitionGrain>(farCell).CountsAsync()).Demands);
        var newLot = await MatchingGrainTests.LotAsync(after.Client, seller, far, 200);
        var matches = await MatchingGrainTests.WaitForMatchesAsync(after.Client, buyer, 2);
        Assert.Contains(matches, m => m.Proposal!.LotId == newLot.GetPrimaryKeyString() && m.Proposal.DemandId == demandId);

        // The proposal from before (stored by its partition, its session never activated) is read from storage, once.
        var session = await after.Client.GetGrain<IMatchingSessionGrain>(proposed.Id).GetAsync();
        Assert.Equal((proposed.Proposal, MatchStatus.Proposed, 1), (session!.Proposal, session.Status, session.Round));
        Assert.Equal(2, (await after.Client.GetGrain<IMatchInboxGrain>(buyer).ListAsync()).Count);

        // Its expiry, stored before the restart (in its partition's calendar), fires after it once the time has come.
        clock.Advance(new MatchingOptions().SessionLifetime + TimeSpan.FromMinutes(1));
        MatchingSession? now = null;
        var expired = await Eventually.TrueAsync(async () =>
        {
            now = await after.Client.GetGrain<IMatchingSessionGrain>(proposed.Id).GetAsync();
            return now!.Status == MatchStatus.Expired || now.Round > 1;
        }, TimeSpan.FromSeconds(30));
        Assert.True(expired, $"the proposal made before the restart is {now?.Status} in round {now?.Round} past its expiry");
    }

    private static async Task<bool> StoredInboxAsync(string database, string serviceId, string trader)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // The index written whole, or the changes since (a small inbox writes only those).
        command.CommandText = "SELECT count(*) FROM grain_state WHERE service_id = $s AND state_name IN ('inbox', 'inbox-changes') AND grain_id = $g";
        command.Parameters.AddWithValue("$s", serviceId);
        command.Parameters.AddWithValue("$g", $"matchinbox/{trader}");
        return (long)(await command.ExecuteScalarAsync())! >= 1;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
