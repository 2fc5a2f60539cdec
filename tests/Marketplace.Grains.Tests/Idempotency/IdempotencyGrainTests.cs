using Marketplace.Grains.Idempotency;
using Marketplace.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Idempotency;

public sealed class IdempotencyGrainTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var settings = TestClusters.Settings("Memory");
        settings["Idempotency:Retention"] = "00:00:02";
        _cluster = await TestClusters.StartAsync(settings);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Begin_SameFingerprint_ReplaysStoredAnswer_OtherFingerprint_IsMismatch()
    {
        var grain = _cluster.Client.GetGrain<IIdempotencyGrain>("caller/key-1");
        Assert.Equal(IdempotencyOutcome.Proceed, (await grain.BeginAsync("A")).Outcome);
        Assert.Equal(IdempotencyOutcome.InProgress, (await grain.BeginAsync("A")).Outcome);

        await grain.CompleteAsync("A", new StoredResponse(201, "application/json", "/x/1", [1, 2, 3]));

        var replay = await grain.BeginAsync("A");
        Assert.Equal(IdempotencyOutcome.Replay, replay.Outcome);
        Assert.Equal((201, "/x/1"), (replay.Response!.StatusCode, replay.Response.Location));
        Assert.Equal(IdempotencyOutcome.Mismatch, (await grain.BeginAsync("B")).Outcome);
    }

    [Fact]
    public async Task Begin_AClaimOfAHostThatRestartedSince_IsTakenOverAtOnce_ALiveHostsClaimIsNot()
    {
        var live = _cluster.Silos[0].SiloAddress;
        // The same host before its restart: the same address, an older generation, no longer in the membership.
        var before = SiloAddress.New(live.Endpoint, live.Generation - 1);
        var elsewhere = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.1"), live.Endpoint.Port), live.Generation);

        var restarted = _cluster.Client.GetGrain<IIdempotencyGrain>("caller/key-restarted");
        Assert.Equal(IdempotencyOutcome.Proceed, (await restarted.BeginAsync("A", before.ToParsableString())).Outcome);
        // Before, a retry waited out the minute's lease after its host died (probe 27).
        Assert.Equal(IdempotencyOutcome.Proceed, (await restarted.BeginAsync("A", live.ToParsableString())).Outcome);

        var running = _cluster.Client.GetGrain<IIdempotencyGrain>("caller/key-running");
        Assert.Equal(IdempotencyOutcome.Proceed, (await running.BeginAsync("A", live.ToParsableString())).Outcome);
        Assert.Equal(IdempotencyOutcome.InProgress, (await running.BeginAsync("A", live.ToParsableString())).Outcome);

        // A silo the membership does not know, and no newer one at its address: not taken for dead.
        var unknown = _cluster.Client.GetGrain<IIdempotencyGrain>("caller/key-unknown");
        Assert.Equal(IdempotencyOutcome.Proceed, (await unknown.BeginAsync("A", elsewhere.ToParsableString())).Outcome);
        Assert.Equal(IdempotencyOutcome.InProgress, (await unknown.BeginAsync("A", live.ToParsableString())).Outcome);
    }

    [Fact]
    public async Task Abandon_FreesTheKeyForARetry()
    {
        var grain = _cluster.Client.GetGrain<IIdempotencyGrain>("caller/key-2");
        await grain.BeginAsync("A");
        await grain.AbandonAsync("A");
        Assert.Equal(IdempotencyOutcome.Proceed, (await grain.BeginAsync("A")).Outcome);
    }

    [Fact]
    public async Task CompletedKey_IsDeletedFromStorage_AfterRetention()
    {
        const string key = "caller/key-3";
        var grain = _cluster.Client.GetGrain<IIdempotencyGrain>(key);
        await grain.BeginAsync("A");
        await grain.CompleteAsync("A", new StoredResponse(201, null, null, []));
        var storage = _cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
        var grainId = grain.GetGrainId();

        async Task<bool> StoredAsync()
        {
            var state = new GrainState<IdempotencyRecord>();
            await storage.ReadStateAsync("idempotency", grainId, state);
            return state.RecordExists && state.State?.Fingerprint is not null;
        }

        Assert.True(await StoredAsync());
        Assert.True(await Eventually.TrueAsync(async () => !await StoredAsync(), TimeSpan.FromSeconds(30)),
            "the completed key was still stored 30 s after its 2 s retention");
    }
}
