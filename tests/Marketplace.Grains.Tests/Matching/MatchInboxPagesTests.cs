using System.Text.Json.Nodes;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>
/// A firm's match inbox past <see cref="MatchingOptions.InboxPageSize"/> entries (64 here) is stored in pages in the
/// order its entries were first recorded, with the entries changed since its pages were last written in its changes
/// record: a write stores that record alone until it passes √64 = 8 entries, then the pages holding them, not the
/// whole inbox; every entry reads back after deactivation, and a stale changes record replays harmlessly; an inbox stored the old way (one dictionary and its changes)
/// still loads, and is laid out in pages by its next write.
/// </summary>
public sealed class MatchInboxPagesTests() : CountingSqliteCluster("inbox-pages")
{
    private const int PageSize = 64;

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Pages of 64 entries, bound from configuration as the host binds its options.</summary>
    protected override void Configure(ISiloBuilder silo)
        => silo.Services.AddSingleton<IConfigureOptions<MatchingOptions>>(new ConfigureFromConfigurationOptions<MatchingOptions>(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["InboxPageSize"] = $"{PageSize}" }).Build()));

    [Fact]
    public async Task Inbox_PastThePageSize_WritesOnlyTheChangedPages_AndReloadsTheSame()
    {
        // 400 matches (six full pages and 16 in the seventh), laid out in pages.
        var (trader, inbox, latest, first) = await LaidOutAsync(400);

        // A new match and a change of the first one: two changes, under the bound, so the changes record alone.
        Storage.Written.Clear();
        var one = await SessionsAsync(trader, 400, 1, latest);
        var changed = latest[first[0].Id].Snapshot();
        changed.Expire("quantity-gone", T0.AddHours(2));
        await StoreAsync(changed);
        latest[changed.Id] = changed;
        await inbox.RecordAllAsync([one[0], changed.Snapshot()]);
        var written = await ChangesWrittenAsync();
        var whole = MarketplaceStorageSerializer.Instance.Serialize(latest.ToDictionary(s => s.Key, s => new InboxEntry(s.Value.Version, s.Value.UpdatedAt))).ToMemory().Length;
        Assert.True(written is [("inbox-changes", < 400)], "the write stored " + Describe(written));

        // 48 more fill the seventh page and start an eighth: 50 changes, past the bound, so the pages holding them (the
        // first, the seventh and the eighth), then the record that counts eight, then the changes emptied.
        Storage.Written.Clear();
        var more = await SessionsAsync(trader, 401, 48, latest);
        await inbox.RecordAllAsync(more);
        written = await ChangesWrittenAsync();
        Assert.Equal(["inbox", "inbox-changes", "inbox-page", "inbox-page", "inbox-page"], written.Select(w => w.StateName).Order(StringComparer.Ordinal));
        Assert.True(written.Sum(w => w.Bytes) < whole / 3, $"48 new entries wrote {Describe(written)}; the whole inbox is {whole:N0} bytes");
        // The storage notes a write as it starts it: the record may land a moment later.
        Assert.True(await Eventually.TrueAsync(async () => (await StoredRecordAsync(trader))["pages"]?.GetValue<int>() == 8, TimeSpan.FromSeconds(10)),
            "the stored record never counted eight pages");

        await ListedAsync(inbox, latest, "recorded past a page");
        await ReactivatedAsync(inbox, latest, "after the pages' writes");
    }

    [Fact]
    public async Task Inbox_StoredAsOneDictionaryAndItsChanges_Loads_AndIsLaidOutInPagesByItsNextWrite()
    {
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var inbox = Cluster.Client.GetGrain<IMatchInboxGrain>(trader);
        var latest = new Dictionary<string, MatchingSession>(StringComparer.Ordinal);
        var sessions = await SessionsAsync(trader, 0, 100, latest);

        // As the code before pages stored it: a dictionary of 98 entries (no schema version), and changes holding two
        // entries more and a newer version of one of the 98.
        var changed = sessions[5].Snapshot();
        changed.Expire("quantity-gone", T0.AddHours(2));
        await StoreAsync(changed);
        latest[changed.Id] = changed;
        static InboxEntry Entry(MatchingSession s) => new(s.Version, s.UpdatedAt);
        var index = sessions.Take(98).ToDictionary(s => s.Id, Entry, StringComparer.Ordinal);
        var changes = sessions.Skip(98).Append(changed).ToDictionary(s => s.Id, Entry, StringComparer.Ordinal);
        var id = GrainId.Create("matchinbox", trader);
        await Storage.WriteStateAsync("inbox", id, new GrainState<Dictionary<string, InboxEntry>>(index));
        await Storage.WriteStateAsync("inbox-changes", id, new GrainState<Dictionary<string, InboxEntry>>(changes));

        await ListedAsync(inbox, latest, "read from the old record");

        // The stored change of session 5 is known: recording its older version again changes nothing.
        await inbox.RecordAsync(sessions[5]);
        var extra = await SessionsAsync(trader, 100, 1, latest);
        await inbox.RecordAsync(extra[0]);
        await ListedAsync(inbox, latest, "one more recorded");
        await ReactivatedAsync(inbox, latest, "after the old record's first write");
        Assert.Equal(2, (await StoredRecordAsync(trader))["pages"]?.GetValue<int>());
    }

    /// <summary>Changed entries an inbox in pages of 64 gathers in its changes record before its pages are written: √64.</summary>
    private const int ChangesBound = 8;

    [Fact]
    public async Task InboxInPages_GainingOneEntryPerWrite_StoresOnlyItsChanges_UntilTheyPassTheBound_ThenItsPages()
    {
        // 400 entries, laid out in seven pages (the last holding 16).
        var (trader, inbox, latest, _) = await LaidOutAsync(400);

        // One new entry a write, two rounds: the first eight writes store the changes record alone (1 to 8 entries),
        // the ninth passes the bound and stores the seventh page (where the nine went), then the changes emptied.
        var writes = new List<(string StateName, int Bytes)[]>();
        for (var i = 0; i < 2 * (ChangesBound + 1); i++)
        {
            Storage.Written.Clear();
            await inbox.RecordAsync((await SessionsAsync(trader, 400 + i, 1, latest))[0]);
            writes.Add(await ChangesWrittenAsync());
        }

        // Against the seventh page alone on every write (the pages' own layout): 17 to 34 entries, 2 to 4 KB.
        var perEntry = writes.Sum(w => w.Sum(x => x.Bytes)) / writes.Count;
        var page = MarketplaceStorageSerializer.Instance.Serialize(new MatchInboxIndex
        {
            Entries = latest.Values.Take(25).ToDictionary(s => s.Id, s => new InboxEntry(s.Version, s.UpdatedAt), StringComparer.Ordinal),
        }).ToMemory().Length;
        Console.WriteLine($"One entry per write, pages of {PageSize}: {perEntry:N0} bytes written per new entry (a page of 25 entries: {page:N0} bytes)");
        for (var i = 0; i < writes.Count; i++)
        {
            var round = i % (ChangesBound + 1);
            if (round < ChangesBound)
            {
                Assert.True(writes[i] is [("inbox-changes", _)], $"write {i + 1} ({round + 1} changes) stored {Describe(writes[i])}");
            }
            else
            {
                Assert.True(writes[i].Select(w => w.StateName).SequenceEqual(["inbox-page", "inbox-changes"]) && writes[i][^1].Bytes < 10,
                    $"write {i + 1} ({round + 1} changes, past the bound) stored {Describe(writes[i])}");
            }
        }

        Assert.True(perEntry < page / 2, $"{perEntry:N0} bytes written per new entry; a page of 25 entries is {page:N0}");
        await ReactivatedAsync(inbox, latest, "after the writes");
    }

    [Fact]
    public async Task InboxInPages_ReloadedAfterAnyRunOfWritesAndDeactivations_ListsEveryEntryOnceAtItsLatestVersion()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var (trader, inbox, latest, _) = await LaidOutAsync(70);
        var next = 70;

        // Each step records new entries (a few, or past the bound) and new versions of open ones, then either lets the
        // timer write them or deactivates the inbox (which writes them) and checks what a new activation lists.
        for (var step = 0; step < 12; step++)
        {
            var recorded = (await SessionsAsync(trader, next, random.Next(0, 3) == 0 ? random.Next(9, 40) : random.Next(1, 5), latest)).ToList();
            next += recorded.Count;
            foreach (var open in latest.Values.Where(s => s.Status == MatchStatus.Proposed).OrderBy(_ => random.Next()).Take(random.Next(0, 4)).ToArray())
            {
                var changed = open.Snapshot();
                changed.Expire("quantity-gone", T0.AddHours(2));
                await StoreAsync(changed);
                latest[changed.Id] = changed;
                recorded.Add(changed.Snapshot());
            }

            Storage.Written.Clear();
            await inbox.RecordAllAsync(recorded.OrderBy(_ => random.Next()).ToArray());
            if (random.Next(2) == 0)
            {
                await ReactivatedAsync(inbox, latest, $"seed {seed}, step {step}");
            }
            else
            {
                await ChangesWrittenAsync();
            }
        }

        await ReactivatedAsync(inbox, latest, $"seed {seed}, at the end");
    }

    [Fact]
    public async Task InboxInPages_UnderAStaleChangesRecord_ListsItsPagesNewerVersions()
    {
        var (trader, inbox, latest, sessions) = await LaidOutAsync(100);

        // New versions of ten entries and twenty new ones: past the bound, so the pages hold them and the changes are emptied.
        var changed = sessions.Take(10).Select(s =>
        {
            var c = s.Snapshot();
            c.Expire("quantity-gone", T0.AddHours(2));
            return c;
        }).ToArray();
        foreach (var c in changed)
        {
            await StoreAsync(c);
            latest[c.Id] = c;
        }

        var added = await SessionsAsync(trader, 100, 20, latest);
        await inbox.RecordAllAsync([.. changed.Select(c => c.Snapshot()), .. added]);
        await ReactivatedAsync(inbox, latest, "after the pages' write");

        // A changes record as a crash before its clearing would leave it: the ten at their older versions, five of the
        // new ones as stored in the pages. The pages' versions win, and no entry is listed twice.
        var id = GrainId.Create("matchinbox", trader);
        var stored = new GrainState<Dictionary<string, InboxEntry>>(new Dictionary<string, InboxEntry>());
        await Storage.Inner.ReadStateAsync("inbox-changes", id, stored);
        var stale = sessions.Take(10).Concat(added.Take(5)).ToDictionary(s => s.Id, s => new InboxEntry(s.Version, s.UpdatedAt), StringComparer.Ordinal);
        await Storage.Inner.WriteStateAsync("inbox-changes", id, new GrainState<Dictionary<string, InboxEntry>>(stale) { ETag = stored.ETag });
        await ReactivatedAsync(inbox, latest, "under the stale changes");

        // And the inbox goes on: one more entry, written and read back.
        await inbox.RecordAsync((await SessionsAsync(trader, 120, 1, latest))[0]);
        await ReactivatedAsync(inbox, latest, "one more after the stale changes");
    }

    /// <summary>Waits for the inbox's next write to store its changes record (its last record), and returns what that write stored.</summary>
    private async Task<(string StateName, int Bytes)[]> ChangesWrittenAsync()
    {
        (string StateName, int Bytes)[] written = [];
        Assert.True(await Eventually.TrueAsync(() =>
        {
            written = Storage.Written.Where(w => w.StateName.StartsWith("inbox", StringComparison.Ordinal)).ToArray();
            return Task.FromResult(written.Any(w => w.StateName == "inbox-changes"));
        }, TimeSpan.FromSeconds(10)), "the inbox never wrote its changes; it wrote " + Describe(written));
        return written;
    }

    /// <summary>
    /// A new firm's inbox of <paramref name="count"/> matches (more than a page), stored as their sessions and recorded,
    /// then deactivated (whose write lays it out in pages) and checked to list the same after.
    /// </summary>
    private async Task<(string Trader, IMatchInboxGrain Inbox, Dictionary<string, MatchingSession> Latest, MatchingSession[] Sessions)> LaidOutAsync(int count)
    {
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var inbox = Cluster.Client.GetGrain<IMatchInboxGrain>(trader);
        var latest = new Dictionary<string, MatchingSession>(StringComparer.Ordinal);
        var sessions = await SessionsAsync(trader, 0, count, latest);
        await inbox.RecordAllAsync(sessions);
        await ListedAsync(inbox, latest, "recorded");
        await ReactivatedAsync(inbox, latest, "laid out in pages");
        return (trader, inbox, latest, sessions);
    }

    /// <summary>Sessions <paramref name="from"/> on of the trader as buyer, a minute apart, each stored as its grain's record.</summary>
    private async Task<MatchingSession[]> SessionsAsync(string trader, int from, int count, Dictionary<string, MatchingSession> latest)
    {
        var sessions = Enumerable.Range(from, count).Select(i =>
        {
            var proposal = new SessionProposal("lot-" + i, "seller-x", "demand-" + i, trader, 1, "t", 1, "t", 100, 1);
            var session = new MatchingSession();
            session.Propose(SessionProposal.SessionId(proposal.LotId, proposal.DemandId + "-" + trader), proposal, T0.AddMinutes(i), TimeSpan.FromDays(1));
            return session;
        }).ToArray();
        foreach (var session in sessions)
        {
            await StoreAsync(session);
            latest[session.Id] = session;
        }

        return sessions.Select(s => s.Snapshot()).ToArray();
    }

    /// <summary>Stores a session's state as its grain's record (over the one stored, if any).</summary>
    private async Task StoreAsync(MatchingSession session)
    {
        var id = GrainId.Create("matchingsession", session.Id);
        var stored = new GrainState<MatchingSession>(new MatchingSession());
        await Storage.Inner.ReadStateAsync("match", id, stored);
        await Storage.Inner.WriteStateAsync("match", id, new GrainState<MatchingSession>(session.Snapshot()) { ETag = stored.ETag });
    }

    /// <summary>Waits until the inbox lists exactly the latest versions, newest first (records are one-way).</summary>
    private static async Task ListedAsync(IMatchInboxGrain inbox, Dictionary<string, MatchingSession> latest, string stage)
    {
        var expected = Expected(latest);
        IReadOnlyList<(string, long)> listed = [];
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            listed = (await inbox.ListAsync()).Select(s => (s.Id, s.Version)).ToArray();
            return listed.SequenceEqual(expected);
        }, TimeSpan.FromSeconds(20)), $"{stage}: the inbox listed {listed.Count} sessions, expected {expected.Length}");
    }

    /// <summary>Deactivates the inbox (which writes what it has not) and checks that a new activation lists the same.</summary>
    private async Task ReactivatedAsync(IMatchInboxGrain inbox, Dictionary<string, MatchingSession> latest, string stage)
    {
        // The sessions' grains too (ids ending in the trader's), so that the new activation reads their stored states.
        var trader = inbox.GetPrimaryKeyString();
        // Records are one-way: the old activation must hold them all before it goes, or a record still on its way
        // reaches the next activation instead (or none, if it lands mid-deactivation) and the reload proves nothing.
        var held = Expected(latest);
        Assert.True(await Eventually.TrueAsync(async () => (await inbox.ListAsync()).Select(s => (s.Id, s.Version)).ToArray().SequenceEqual(held),
            TimeSpan.FromSeconds(10)), $"{stage}: the inbox never held what was recorded, before its deactivation");
        // Asked again while any is left: a grain busy (writing, say) when asked is not collected.
        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            await management.ForceActivationCollection(TimeSpan.Zero);
            return !(await management.GetDetailedGrainStatistics()).Any(s => s.GrainId.ToString().EndsWith(trader, StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(10)), $"{stage}: the inbox or its sessions were not deactivated");
        var listed = (await inbox.ListAsync()).Select(s => (s.Id, s.Version)).ToArray();
        var expected = Expected(latest);
        var lost = expected.Except(listed).ToArray();
        if (!listed.SequenceEqual(expected))
        {
            var stored = new GrainState<Dictionary<string, InboxEntry>>(new Dictionary<string, InboxEntry>());
            await Storage.Inner.ReadStateAsync("inbox-changes", GrainId.Create("matchinbox", trader), stored);
            var record = await StoredRecordAsync(trader);
            Assert.Fail($"{stage}: a new activation listed {listed.Length} sessions ({listed.Length - listed.Distinct().Count()} twice), expected {expected.Length}; missing e.g. {string.Join(", ", lost.Take(3))}; "
                + $"stored changes {stored.State?.Count} (holding the first missing: {lost.Length > 0 && stored.State?.ContainsKey(lost[0].Item1) == true}), record {record.ToJsonString()[..Math.Min(200, record.ToJsonString().Length)]}; written {Describe(Storage.Written)}");
        }
    }

    private static (string, long)[] Expected(Dictionary<string, MatchingSession> latest)
        => latest.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Select(s => (s.Id, s.Version)).ToArray();

    /// <summary>The inbox's stored record, as JSON.</summary>
    private async Task<JsonObject> StoredRecordAsync(string trader)
    {
        var record = new GrainState<JsonObject>(new JsonObject());
        await Storage.Inner.ReadStateAsync("inbox", GrainId.Create("matchinbox", trader), record);
        return record.State ?? new JsonObject();
    }

    private static string Describe(IEnumerable<(string StateName, int Bytes)> written)
        => string.Join(", ", written.GroupBy(w => w.StateName).Select(g => $"{g.Key} {g.Count()}× {g.Sum(w => w.Bytes):N0} B"));
}
