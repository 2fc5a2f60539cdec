using System.Collections.Concurrent;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Tests.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>A cluster on storage that fails on demand, whose proposals expire after 3 s.</summary>
public sealed class FlakyMatchingClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public FlakyGrainStorage Storage => FlakyGrainStorage.Of(Cluster);

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Matching:SessionLifetime"] = "00:00:03";
        Cluster = await TestClusters.StartAsync(settings, configure: FlakyGrainStorage.Use);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// A match and the hold it placed never tell different stories, whatever write fails: the session changes only after
/// the lot answered, a sold hold is never expired, a match's hold changes only through the match, and an inbox whose
/// write failed writes again.
/// </summary>
public sealed class MatchesAndHoldsAgreeTests(FlakyMatchingClusterFixture fixture) : IClassFixture<FlakyMatchingClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    private FlakyGrainStorage Storage => fixture.Storage;

    /// <summary>A place of its own for each test, far from the others'.</summary>
    private static GeoPoint Place(int test) => new(60.1 + (test * 0.9), 21.5 + (test * 0.9));

    /// <summary>A seller's lot of 100 t, a buyer's demand for 30 t, and the buyer's accepted match.</summary>
    private async Task<(string Seller, string Buyer, IListingGrain Lot, IMatchingSessionGrain Session, MatchingSession Accepted)> AcceptedAsync(int test)
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await MatchingGrainTests.LotAsync(Grains, seller, Place(test), 100);
        await MatchingGrainTests.DemandAsync(Grains, buyer, Place(test), 30);
        var session = Grains.GetGrain<IMatchingSessionGrain>((await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1))[0].Id);
        return (seller, buyer, lot, session, await session.AcceptAsync(buyer));
    }

    [Fact]
    public async Task Decline_WhenTheLotCannotReleaseTheHold_LeavesTheMatchAccepted_AndALaterDeclineReleasesIt()
    {
        var (_, buyer, lot, session, _) = await AcceptedAsync(0);
        var lotId = lot.GetGrainId();
        Storage.FailWrites = (name, grain, _) => name == "listing" && grain == lotId;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => session.DeclineAsync(buyer));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        Assert.Equal(MatchStatus.Accepted, (await session.GetAsync())!.Status);
        Assert.Equal(30m, (await lot.GetAsync())!.Held);

        var declined = await session.DeclineAsync(buyer);
        Assert.Equal(MatchStatus.Declined, declined.Status);
        Assert.Equal((100m, 0m), ((await lot.GetAsync())!.Available, (await lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task Confirm_WhoseSaveFails_EndsConfirmed_AndTheSoldHoldIsNeverExpired()
    {
        var (seller, _, lot, session, accepted) = await AcceptedAsync(1);
        var sessionId = session.GetGrainId();
        Storage.FailWrites = (name, grain, _) => name == "match" && grain == sessionId;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => session.ConfirmAsync(seller));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        // The lot sold the hold; the match's save failed. Its expiry (3 s) must find the sale, not expire it.
        Assert.Equal(30m, (await lot.GetAsync())!.Sold);
        var settled = await Eventually.TrueAsync(async () => (await session.GetAsync())!.Status != MatchStatus.Accepted, TimeSpan.FromSeconds(30));
        Assert.True(settled, "the match stayed accepted past its expiry");
        Assert.Equal(MatchStatus.Confirmed, (await session.GetAsync())!.Status);
        Assert.Equal((70m, 0m, 30m), ((await lot.GetAsync())!.Available, (await lot.GetAsync())!.Held, (await lot.GetAsync())!.Sold));
        Assert.NotNull(accepted.HoldId);
    }

    [Fact]
    public async Task HoldOfAMatch_IsNeitherReleasedNorConfirmedOutsideTheMatchAndItsOrder()
    {
        var (seller, buyer, lot, session, accepted) = await AcceptedAsync(2);

        var release = await Assert.ThrowsAsync<DomainException>(() => lot.ReleaseHoldAsync(buyer, accepted.HoldId!, accepted.Id));
        var confirm = await Assert.ThrowsAsync<DomainException>(() => lot.ConfirmHoldAsync(seller, accepted.HoldId!));

        // The acceptance placed the match's order, which now speaks for the hold (and so for the match).
        Assert.Equal(("hold-belongs-to-order", "hold-belongs-to-order"), (release.Code, confirm.Code));
        Assert.Equal(30m, (await lot.GetAsync())!.Held);
        Assert.Equal(MatchStatus.Confirmed, (await session.ConfirmAsync(seller)).Status);
        Assert.Equal(30m, (await lot.GetAsync())!.Sold);
    }

    [Fact]
    public async Task Inbox_WhoseWriteFails_WritesAgainLater()
    {
        var (trader, inbox, session) = Inbox();
        var failures = 0;
        Storage.FailWrites = (name, grain, _) => name.StartsWith("inbox", StringComparison.Ordinal) && grain == inbox.GetGrainId() && Interlocked.Increment(ref failures) > 0;
        try
        {
            await inbox.RecordAsync(session);
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref failures) > 0), TimeSpan.FromSeconds(10)), "the inbox never tried to write");
        }
        finally
        {
            Storage.FailWrites = null;
        }

        var written = await Eventually.TrueAsync(() => Task.FromResult(StoredHas(inbox, session.Id)), TimeSpan.FromSeconds(20));
        Assert.True(written, $"the inbox of {trader} was not written after storage recovered");
    }

    [Fact]
    public async Task Inbox_DeactivatedAfterAFailedWrite_WritesOnDeactivation()
    {
        var (trader, inbox, session) = Inbox();
        var failures = 0;
        Storage.FailWrites = (name, grain, _) => name.StartsWith("inbox", StringComparison.Ordinal) && grain == inbox.GetGrainId() && Interlocked.Increment(ref failures) > 0;
        DateTime failedAt;
        try
        {
            await inbox.RecordAsync(session);
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref failures) > 0), TimeSpan.FromSeconds(10)), "the inbox never tried to write");
            failedAt = DateTime.UtcNow;
        }
        finally
        {
            Storage.FailWrites = null;
        }

        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // Before the retry would write it: only the deactivation can have.
        var deadline = failedAt + MatchInboxGrain.RetryDelay - TimeSpan.FromSeconds(1) - DateTime.UtcNow;
        var written = await Eventually.TrueAsync(() => Task.FromResult(StoredHas(inbox, session.Id)), deadline);
        Assert.True(written, $"the inbox of {trader} lost its change when it deactivated");
    }

    [Fact]
    public async Task Inbox_OfManyMatches_WritesOnlyWhatChanged_AndKeepsEveryMatchAcrossActivations()
    {
        var (trader, inbox, _) = Inbox();
        var inboxId = inbox.GetGrainId();
        var writes = new ConcurrentQueue<(string State, int Entries)>();
        Storage.FailWrites = (name, grain, state) =>
        {
            if (grain == inboxId && state is Dictionary<string, InboxEntry> entries)
            {
                writes.Enqueue((name, entries.Count));
            }
            else if (grain == inboxId && state is MatchInboxIndex index)
            {
                writes.Enqueue((name, index.Entries.Count));
            }

            return false;
        };
        try
        {
            var first = Sessions(trader, 100);
            await inbox.RecordAllAsync(first);
            await WrittenOnDeactivationAsync(inbox, first[^1]);

            // One more match, in a new activation: its write carries the change, not the 100 before it.
            writes.Clear();
            var one = Sessions(trader, 1);
            await inbox.RecordAsync(one[0]);
            await WrittenOnDeactivationAsync(inbox, one[0]);
            Assert.NotEmpty(writes);
            Assert.All(writes, w => Assert.InRange(w.Entries, 0, MatchInboxGrain.MinCompactionThreshold));

            // Enough in a third activation to rewrite the index whole: the change stored by the second is in it.
            var more = Sessions(trader, MatchInboxGrain.MinCompactionThreshold + 1);
            await inbox.RecordAllAsync(more);
            await WrittenOnDeactivationAsync(inbox, more[^1]);
            Assert.Contains(writes, w => w.State == "inbox");
            Assert.All(first.Concat(one).Concat(more), s => Assert.True(StoredHas(inbox, s.Id), $"{s.Id} is not stored"));
        }
        finally
        {
            Storage.FailWrites = null;
        }
    }

    /// <summary>
    /// An inbox in pages (500 entries a page) whose record fails to be written after its pages were (a crash between
    /// the writes, as far as storage knows): the next activation lists every entry of the pages the record counts once,
    /// ignores the page beyond its count, and a later write puts the entries recorded again there over it.
    /// </summary>
    [Fact]
    public async Task InboxInPages_WhoseRecordFailsAfterItsPages_NeitherLosesNorRepeatsAStoredEntry()
    {
        var (trader, inbox, _) = Inbox();
        var inboxId = inbox.GetGrainId();
        var latest = new List<MatchingSession>();

        // 510 entries: pages 0 (500) and 1 (10), and the record that counts two.
        await RecordStoredAsync(inbox, Sessions(trader, 510), latest);
        await WrittenOnDeactivationAsync(inbox, latest[^1]);

        // 495 more fill page 1 and start page 2; the record never stores three pages, so the five in page 2 are lost
        // with the activation (the rebuild at start would record them again), the 490 in page 1 are stored.
        var failed = 0;
        Storage.FailWrites = (name, grain, _) => name == "inbox" && grain == inboxId && Interlocked.Increment(ref failed) > 0;
        try
        {
            await RecordStoredAsync(inbox, Sessions(trader, 495), latest);
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref failed) > 0), TimeSpan.FromSeconds(10)), "the inbox never wrote its record");
            await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
            Assert.True(await Eventually.TrueAsync(async () => !(await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics()).Any(s => s.GrainId == inboxId),
                TimeSpan.FromSeconds(10)), "the inbox was not deactivated");
        }
        finally
        {
            Storage.FailWrites = null;
        }

        var stored = latest.Take(1_000).Select(s => s.Id).Order(StringComparer.Ordinal).ToArray();
        var listed = (await inbox.ListAsync()).Select(s => s.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(stored, listed);

        // The five recorded again, and 30 more (past the changes' bound of √500 = 22, so the pages are written): they go to
        // page 2, written over the one left, and the record counts three.
        var more = await StoreSessionsAsync(Sessions(trader, 30));
        var again = latest.Skip(1_000).Concat(more).ToArray();
        latest.AddRange(more);
        await inbox.RecordAllAsync(again);
        await WrittenOnDeactivationAsync(inbox, again[^1]);
        listed = (await inbox.ListAsync()).Select(s => s.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(latest.Select(s => s.Id).Order(StringComparer.Ordinal), listed);
        Assert.Equal(3, Storage.Stored<MatchInboxIndex>("inbox", inboxId)?.Pages);
    }

    /// <summary>Stores the sessions as their grains' records, records them in the inbox and waits until it lists them all.</summary>
    private async Task RecordStoredAsync(IMatchInboxGrain inbox, MatchingSession[] sessions, List<MatchingSession> latest)
    {
        latest.AddRange(await StoreSessionsAsync(sessions));
        await inbox.RecordAllAsync(sessions);
        Assert.True(await Eventually.TrueAsync(async () => (await inbox.ListAsync()).Count == latest.Count, TimeSpan.FromSeconds(10)),
            $"the inbox never listed the {latest.Count} sessions recorded");
    }

    private async Task<MatchingSession[]> StoreSessionsAsync(MatchingSession[] sessions)
    {
        foreach (var session in sessions)
        {
            await Storage.WriteStateAsync("match", GrainId.Create("matchingsession", session.Id), new GrainState<MatchingSession>(session));
        }

        return sessions;
    }

    /// <summary>Deactivates the idle grains (the inbox writes on deactivation) and waits for the session to be stored.</summary>
    private async Task WrittenOnDeactivationAsync(IMatchInboxGrain inbox, MatchingSession last)
    {
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.True(await Eventually.TrueAsync(() => StoredHas(inbox, last.Id), TimeSpan.FromSeconds(10)), $"{last.Id} was not written");
    }

    private static MatchingSession[] Sessions(string trader, int count) => Enumerable.Range(0, count).Select(_ =>
    {
        var session = new MatchingSession();
        var proposal = new SessionProposal("lot-x", "seller-x", "demand-x", trader, 1, "t", 1, "t", 100, 1);
        session.Propose(SessionProposal.SessionId("lot-x", "demand-" + Guid.NewGuid().ToString("N")), proposal, DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        return session;
    }).ToArray();

    private (string Trader, IMatchInboxGrain Inbox, MatchingSession Session) Inbox()
    {
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var session = new MatchingSession();
        var proposal = new SessionProposal("lot-x", "seller-x", "demand-x", trader, 1, "t", 1, "t", 100, 1);
        session.Propose(SessionProposal.SessionId("lot-x", "demand-" + Guid.NewGuid().ToString("N")), proposal, DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        return (trader, Grains.GetGrain<IMatchInboxGrain>(trader), session);
    }

    /// <summary>True when the inbox's stored record, its changes or one of the pages its record counts holds the session.</summary>
    private bool StoredHas(IMatchInboxGrain inbox, string sessionId)
    {
        var record = Storage.Stored<MatchInboxIndex>("inbox", inbox.GetGrainId());
        return record?.Entries.ContainsKey(sessionId) == true
           || Storage.Stored<Dictionary<string, InboxEntry>>("inbox-changes", inbox.GetGrainId())?.ContainsKey(sessionId) == true
           || Enumerable.Range(0, record?.Pages ?? 0).Any(i => Storage.Stored<MatchInboxIndex>(
               "inbox-page", GrainId.Create("matchinbox", $"{inbox.GetPrimaryKeyString()}/pages/{i}"))?.Entries.ContainsKey(sessionId) == true);
    }
}
