using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Matching;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>A cluster whose partitions remember at most 16 pairs (lot, demand) as stored.</summary>
public sealed class SmallPartitionMemoryClusterFixture : IAsyncLifetime
{
    /// <summary>The cap on remembered pairs of this cluster's partitions.</summary>
    public const int Cap = 16;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public RecordedMatchEvents Events { get; } = new();

    /// <summary>Calls to the sessions and refused storage writes.</summary>
    public InboxRecordCalls Calls { get; } = new();

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Matching:RememberedPairs"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Cluster = await TestClusters.StartAsync(settings, configure: silo => silo.Services.AddSingleton<IMatchEvents>(Events).AddSingleton<IIncomingGrainCallFilter>(Calls));
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// A partition remembers which pairs it stored and which rounds are open, so a lot's change sends known pairs nothing;
/// that memory is kept to the live pairs (a demand that leaves frees its room) and, past its cap, forgets a part of
/// it, never the whole.
/// </summary>
public sealed class PartitionMemoryTests(SmallPartitionMemoryClusterFixture fixture) : IClassFixture<SmallPartitionMemoryClusterFixture>
{
    private const int Cap = SmallPartitionMemoryClusterFixture.Cap;

    private IGrainFactory Grains => fixture.Cluster.Client;

    /// <summary>A place of its own for each test, 100 km from the others.</summary>
    private static GeoPoint Place(int test) => new(61.2 + (test * 0.9), 24.1 + (test * 0.9));

    private IMatchPartitionGrain PartitionAt(GeoPoint at)
        => Grains.GetGrain<IMatchPartitionGrain>(MatchPartitions.Key("concrete", Geohash.Encode(at.Latitude, at.Longitude)));

    /// <summary>
    /// 12 demands paired with a lot, 8 of them cancelled, 12 more: 24 pairs stored, 16 live, within the cap of 16
    /// only because the cancelled demands' pairs were forgotten. A hold on the lot then proposes the 16 again and sends
    /// none of them anywhere: no write refused, no session called.
    /// </summary>
    [Fact]
    public async Task RemovedDemands_FreeTheirRoom_ALotChangeSendsTheOpenPairsNothing()
    {
        var at = Place(0);
        var (lot, buyer, holder) = await LotAsync(at);
        var lotId = lot.GetPrimaryKeyString();

        var first = await DemandsAsync(buyer, at, 12);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 12);
        foreach (var demand in first.Take(8))
        {
            await demand.CancelAsync(buyer);
        }

        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Demands == 4, TimeSpan.FromSeconds(10)),
            "the cancelled demands never left the partition");
        var second = await DemandsAsync(buyer, at, 12);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 24);
        var open = first.Skip(8).Concat(second).Select(d => SessionProposal.SessionId(lotId, d.GetPrimaryKeyString())).ToArray();
        Assert.Equal(Cap, open.Length);

        var (refused, calls) = await LotChangeAsync(lot, holder, open);

        Assert.Equal((0, 0), (refused, calls));
    }

    /// <summary>
    /// 20 demands paired with a lot, past the cap of 16: the partition forgot some pairs, not all. A hold on the lot
    /// sends only the forgotten ones again (a refused write and a session call each), at most the pairs past the cap
    /// and the one pair room is made for at a time at this cap (a 64th of it, at least one), and the proposals are
    /// what they were: one open round per pair.
    /// </summary>
    [Fact]
    public async Task PastTheCap_ALotChange_SendsOnlyTheForgottenPairsAgain_AndTheProposalsStay()
    {
        const int Demands = 20;
        var at = Place(1);
        var (lot, buyer, holder) = await LotAsync(at);
        var lotId = lot.GetPrimaryKeyString();

        var demands = await DemandsAsync(buyer, at, Demands);
        var before = await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, Demands);
        var sessions = demands.Select(d => SessionProposal.SessionId(lotId, d.GetPrimaryKeyString())).ToArray();

        var (refused, calls) = await LotChangeAsync(lot, holder, sessions);

        Assert.InRange(refused, 1, Demands - Cap + 1);
        Assert.Equal(refused, calls);
        var after = await Grains.GetGrain<IMatchInboxGrain>(buyer).ListAsync();
        Assert.Equal(sessions.Order(StringComparer.Ordinal), after.Select(s => s.Id).Order(StringComparer.Ordinal));
        Assert.All(after, s => Assert.Equal((MatchStatus.Proposed, 1), (s.Status, s.Round)));
        Assert.Equal(before.Select(s => (s.Id, s.Version)).Order(), after.Select(s => (s.Id, s.Version)).Order());
    }

    /// <summary>
    /// A demand that moves away forgets its pairs; moved back, its open pair is proposed again, unknown: one refused
    /// write and one call to its session, which answers that the round is open and until when. A hold on the lot then
    /// sends the pair nothing (remembered only as stored, it would call its session at every change of the lot).
    /// </summary>
    [Fact]
    public async Task ADemandBack_ItsOpenPairAskedOnce_IsThenKnownOpen()
    {
        var at = Place(2);
        var (lot, buyer, holder) = await LotAsync(at);
        var demand = (await DemandsAsync(buyer, at, 1))[0];
        var demandId = demand.GetPrimaryKeyString();
        var session = SessionProposal.SessionId(lot.GetPrimaryKeyString(), demandId);
        await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1);

        await demand.UpdateAsync(buyer, new Domain.Demands.DemandChanges { Location = new Domain.Common.PointChanges(at.Latitude + 0.5, null) });
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Demands == 0, TimeSpan.FromSeconds(10)),
            "the demand moved away never left the lot's partition");
        var (refused, calls, rounds) = (fixture.Calls.RefusedWrites(session), fixture.Calls.ToSession(session), fixture.Events.Rounds.Count(r => r.Id == demandId));
        var back = await demand.UpdateAsync(buyer, new Domain.Demands.DemandChanges { Location = new Domain.Common.PointChanges(at.Latitude, null) });
        var partitions = MatchPartitions.ForDemand(back.ToSummary()!).Count();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(fixture.Events.Rounds.Count(r => r.Id == demandId) >= rounds + partitions), TimeSpan.FromSeconds(10)),
            "the demand moved back was not matched in every partition it reaches");
        Assert.Equal((1, 1), (fixture.Calls.RefusedWrites(session) - refused, fixture.Calls.ToSession(session) - calls));

        Assert.Equal((0, 0), await LotChangeAsync(lot, holder, [session]));
        var match = Assert.Single(await Grains.GetGrain<IMatchInboxGrain>(buyer).ListAsync());
        Assert.Equal((MatchStatus.Proposed, 1), (match.Status, match.Round));
    }

    /// <summary>A lot of 10,000 t at a point, in its partition's book, and two buyers: one for demands, one for holds.</summary>
    private async Task<(Grains.Listings.IListingGrain Lot, string Buyer, string Holder)> LotAsync(GeoPoint at)
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var holder = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await MatchingGrainTests.LotAsync(Grains, seller, at, 10_000);
        Assert.True(await Eventually.TrueAsync(async () => (await PartitionAt(at).CountsAsync()).Lots == 1, TimeSpan.FromSeconds(10)),
            "the lot never reached its partition");
        return (lot, buyer, holder);
    }

    /// <summary>Demands for 10 t of concrete at a point, created one after another.</summary>
    private async Task<List<IDemandGrain>> DemandsAsync(string buyer, GeoPoint at, int count)
    {
        var demands = new List<IDemandGrain>();
        for (var i = 0; i < count; i++)
        {
            demands.Add(await MatchingGrainTests.DemandAsync(Grains, buyer, at, 10, radiusKm: 5));
        }

        return demands;
    }

    /// <summary>
    /// Places a hold on the lot and waits for its partition to report the change's round: the writes the storage
    /// refused for the lot's sessions meanwhile, and the calls the given sessions received meanwhile.
    /// </summary>
    private async Task<(int Refused, int Calls)> LotChangeAsync(Grains.Listings.IListingGrain lot, string holder, IReadOnlyList<string> sessions)
    {
        var lotId = lot.GetPrimaryKeyString();
        var refused = fixture.Calls.RefusedWrites(lotId);
        var calls = sessions.Sum(fixture.Calls.ToSession);
        var rounds = fixture.Events.Rounds.Count(r => r.Id == lotId);
        await lot.PlaceHoldAsync(holder, "a-look", 1, DateTimeOffset.UtcNow.AddDays(1));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(fixture.Events.Rounds.Count(r => r.Id == lotId) > rounds), TimeSpan.FromSeconds(10)),
            "the hold's change never reached the lot's partition");
        return (fixture.Calls.RefusedWrites(lotId) - refused, sessions.Sum(fixture.Calls.ToSession) - calls);
    }
}
