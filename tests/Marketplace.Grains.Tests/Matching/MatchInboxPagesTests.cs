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
/// order its entries were first recorded: a write stores the pages whose entries changed and the last page, not the
/// whole inbox; every entry reads back after deactivation; an inbox stored the old way (one dictionary and its changes)
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
        var trader = "firm-" + Guid.NewGuid().ToString("N");
        var inbox = Cluster.Client.GetGrain<IMatchInboxGrain>(trader);
        var latest = new Dictionary<string, MatchingSession>(StringComparer.Ordinal);

        // 400 matches (six full pages and 16 in the seventh), stored as their sessions and recorded; the deactivation
        // writes the inbox, laid out in pages.
        var first = await SessionsAsync(trader, 0, 400, latest);
        await inbox.RecordAllAsync(first);
        await ListedAsync(inbox, latest, "recorded");
        await ReactivatedAsync(inbox, latest, "after its first write");

        // A new match and a change of the first one: the seventh page and the first are written, nothing else.
        Storage.Written.Clear();
        var one = await SessionsAsync(trader, 400, 1, latest);
        var changed = latest[first[0].Id].Snapshot();
        changed.Expire("quantity-gone", T0.AddHours(2));
        await StoreAsync(changed);
        latest[changed.Id] = changed;
        await inbox.RecordAllAsync([one[0], changed.Snapshot()]);
        var written = await InboxWritesAsync(2);
        var whole = MarketplaceStorageSerializer.Instance.Serialize(latest.ToDictionary(s => s.Key, s => new InboxEntry(s.Value.Version, s.Value.UpdatedAt))).ToMemory().Length;
        Assert.True(written.All(w => w.StateName == "inbox-page"), "the write stored " + Describe(written));
        Assert.True(written.Sum(w => w.Bytes) < whole / 3, $"two changed entries wrote {Describe(written)}; the whole inbox is {whole:N0} bytes");

        // 48 more fill the seventh page and start an eighth: those two pages, then the record that counts eight.
        Storage.Written.Clear();
        var more = await SessionsAsync(trader, 401, 48, latest);
        await inbox.RecordAllAsync(more);
        written = await InboxWritesAsync(3);
        Assert.Equal(["inbox", "inbox-page", "inbox-page"], written.Select(w => w.StateName).Order(StringComparer.Ordinal));
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
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.True(await Eventually.TrueAsync(async () => !(await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Any(s => s.GrainId.ToString().EndsWith(trader, StringComparison.Ordinal)), TimeSpan.FromSeconds(10)), $"{stage}: the inbox or its sessions were not deactivated");
        var listed = (await inbox.ListAsync()).Select(s => (s.Id, s.Version)).ToArray();
        var expected = Expected(latest);
        var lost = expected.Except(listed).ToArray();
        Assert.True(listed.SequenceEqual(expected),
            $"{stage}: a new activation listed {listed.Length} sessions ({listed.Length - listed.Distinct().Count()} twice), expected {expected.Length}; missing e.g. {string.Join(", ", lost.Take(3))}");
    }

    private static (string, long)[] Expected(Dictionary<string, MatchingSession> latest)
        => latest.Values.OrderByDescending(s => s.UpdatedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Select(s => (s.Id, s.Version)).ToArray();

    /// <summary>Waits for the inbox's next write of <paramref name="count"/> records (its timer writes within about a second).</summary>
    private async Task<(string StateName, int Bytes)[]> InboxWritesAsync(int count)
    {
        (string StateName, int Bytes)[] written = [];
        await Eventually.TrueAsync(() =>
        {
            written = Storage.Written.Where(w => w.StateName.StartsWith("inbox", StringComparison.Ordinal)).ToArray();
            return Task.FromResult(written.Length >= count);
        }, TimeSpan.FromSeconds(10));
        return written;
    }

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
