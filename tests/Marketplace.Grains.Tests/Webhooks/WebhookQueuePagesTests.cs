using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Tests.Storage;
using Marketplace.Grains.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Tests.Webhooks;

/// <summary>
/// A subscription's queue is stored in pages apart from its record: with thousands of deliveries waiting for a receiver
/// that is down, an event queued writes its page and its subject's bucket of marks, not every envelope queued; a new
/// activation reads the same queue back; finished deliveries empty their pages out of the index; a record stored with
/// its queue inside (before pages) is read and moved into pages.
/// </summary>
public sealed class WebhookQueuePagesTests() : CountingSqliteCluster("webhook-queue"), IDisposable
{
    /// <summary>Accepts connections and never answers: at most one delivery is in flight, and none reports back during a test.</summary>
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);

    protected override void Configure(ISiloBuilder silo)
    {
        _silent.Start();
        silo.Services.Configure<WebhookOptions>(o =>
        {
            o.AllowDevelopmentTargets = true;
            o.MaxConcurrentDeliveries = 1;
            o.Timeout = TimeSpan.FromSeconds(60);
        });
    }

    public void Dispose() => _silent.Dispose();

    private string Target => $"http://127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}/hook";

    [Fact]
    public async Task Enqueue_WithHundredsQueued_WritesOnlyItsPageAndBucket_AndANewActivationReadsTheSameQueue()
    {
        var (subscription, _) = await SubscribeAsync();
        var now = DateTimeOffset.UtcNow;
        for (var batch = 0; batch < 50; batch++)
        {
            await subscription.EnqueueAsync(Enumerable.Range(0, 5).Select(i => Event($"lot/{batch % 25}", batch / 25 * 5 + i + 1, now)).ToArray());
        }

        Storage.Written.Clear();
        await subscription.EnqueueAsync([Event("lot/new", 1, now)]);
        var written = Storage.Written.ToArray();
        var whole = (await subscription.DeliveriesAsync(0, 1_000)).Pending.Sum(d => d.Body.Length);
        Assert.Equal(new[] { WebhookQueueStore.PageStateName, WebhookQueueStore.MarkStateName }.Order(), written.Select(w => w.StateName).Order());
        Assert.True(written.Sum(w => w.Bytes) < whole / 2, $"one event queued wrote {written.Sum(w => w.Bytes):N0} bytes; the queue's envelopes are {whole:N0}");

        var before = await subscription.DeliveriesAsync(0, 1_000);
        Assert.Equal(251, before.PendingTotal);
        Assert.Equal(251, (await subscription.GetAsync())!.PendingCount);
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var after = await subscription.DeliveriesAsync(0, 1_000);
        Assert.Equal(before.Pending.Select(d => (d.EventId, d.Subject, d.Version)), after.Pending.Select(d => (d.EventId, d.Subject, d.Version)));
        Assert.Equal(10, after.Pending.Count(d => d.Subject == "lot/3"));

        // The marks came back too: a version handed over again is dropped, a newer one queued.
        await subscription.EnqueueAsync([Event("lot/3", 10, now), Event("lot/3", 11, now)]);
        var again = await subscription.DeliveriesAsync(0, 1_000);
        Assert.Equal(252, again.PendingTotal);
        Assert.Equal(Enumerable.Range(1, 11).Select(v => (long)v), again.Pending.Where(d => d.Subject == "lot/3").Select(d => d.Version));

        var page = await subscription.DeliveriesAsync(250, 100);
        Assert.Equal(again.Pending.Skip(250).Select(d => d.EventId), page.Pending.Select(d => d.EventId));
    }

    /// <summary>
    /// Hand-overs interleave and share writes: 300 at once, each of its own lot, are all stored (a new activation reads
    /// them), with far fewer page writes than hand-overs. One write each, as before, would be 300.
    /// </summary>
    [Fact]
    public async Task ConcurrentHandOvers_ShareWrites_AndAreAllStored()
    {
        var (subscription, _) = await SubscribeAsync();
        var now = DateTimeOffset.UtcNow;
        Storage.Written.Clear();
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => subscription.EnqueueAsync([Event($"lot/{i}", 1, now)])));

        var pageWrites = Storage.Written.Count(w => w.StateName == WebhookQueueStore.PageStateName);
        Assert.InRange(pageWrites, 3, 150);
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var stored = await subscription.DeliveriesAsync(0, 1_000);
        Assert.Equal(300, stored.PendingTotal);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"lot/{i}").Order(), stored.Pending.Select(d => d.Subject).Order());
    }

    [Fact]
    public async Task FinishedDeliveries_EmptyTheirPagesOutOfTheIndex_AndTheLogKeepsThem()
    {
        var (subscription, id) = await SubscribeAsync();
        var now = DateTimeOffset.UtcNow;
        await subscription.EnqueueAsync(Enumerable.Range(0, 230).Select(i => Event($"order/{i}", 1, now)).ToArray());
        Assert.Equal(3, (await ReadAsync<WebhookQueueIndex>(WebhookQueueIndex.StateName, id)).Pages.Count);

        var queued = (await subscription.DeliveriesAsync(0, 1_000)).Pending;
        await subscription.ReportAsync(queued.Take(150).Select(d => new WebhookAttempt(d.EventId, 200, null)).ToArray());

        var index = await ReadAsync<WebhookQueueIndex>(WebhookQueueIndex.StateName, id);
        Assert.Equal(2, index.Pages.Count);
        Assert.Equal(3, index.NextPage);
        Assert.Empty((await ReadAsync<WebhookQueuePage>(WebhookQueueStore.PageStateName, $"{id}/queue/0")).Deliveries);
        Assert.Equal(50, (await ReadAsync<WebhookQueuePage>(WebhookQueueStore.PageStateName, $"{id}/queue/1")).Deliveries.Count);

        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var after = await subscription.DeliveriesAsync(0, 1_000);
        Assert.Equal(queued.Skip(150).Select(d => d.EventId), after.Pending.Select(d => d.EventId));
        Assert.Equal(queued.Skip(50).Take(100).Reverse().Select(d => d.EventId), after.Recent.Select(d => d.EventId));
        Assert.All(after.Recent, d => Assert.Equal(WebhookDeliveryStatus.Delivered, d.Status));

        await subscription.DeleteAsync();
        Assert.Empty((await ReadAsync<WebhookQueueIndex>(WebhookQueueIndex.StateName, id)).Pages);
        Assert.Empty((await ReadAsync<WebhookQueuePage>(WebhookQueueStore.PageStateName, $"{id}/queue/2")).Deliveries);
    }

    [Fact]
    public async Task ARecordStoredWithItsQueueInside_IsReadAndMovedIntoPages()
    {
        var (subscription, id) = await SubscribeAsync();
        var now = DateTimeOffset.UtcNow;
        await subscription.EnqueueAsync(Enumerable.Range(1, 3).Select(v => Event("lot/old", v, now)).ToArray());
        var queued = (await subscription.DeliveriesAsync(0, 10)).Pending;

        // As an older build stored it: the queue and the marks inside the record, no index.
        var record = await ReadRecordAsync(id);
        record["_queue"] = JsonSerializer.SerializeToNode(queued, MarketplaceJson.Options);
        record["_seen"] = new JsonObject { ["lot/old"] = new JsonObject { ["version"] = 3, ["at"] = now } };
        await Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await WriteAsync("webhook", id, record);
        await ClearAsync<WebhookQueueIndex>(WebhookQueueIndex.StateName, id);
        for (var bucket = 0; bucket < WebhookQueueStore.MarkBuckets; bucket++)
        {
            await ClearAsync<WebhookMarkBucket>(WebhookQueueStore.MarkStateName, $"{id}/marks/{bucket}");
        }

        var read = await subscription.DeliveriesAsync(0, 10);
        Assert.Equal(queued.Select(d => d.EventId), read.Pending.Select(d => d.EventId));
        Assert.False((await ReadRecordAsync(id)).ContainsKey("_queue"));
        Assert.Single((await ReadAsync<WebhookQueueIndex>(WebhookQueueIndex.StateName, id)).Pages);

        // The marks moved too: version 3 again is a duplicate.
        await subscription.EnqueueAsync([Event("lot/old", 3, now)]);
        Assert.Equal(3, (await subscription.DeliveriesAsync(0, 10)).PendingTotal);
    }

    private async Task<(IWebhookSubscriptionGrain Grain, string Id)> SubscribeAsync()
    {
        var firm = await TestClusters.RegisterFirmAsync(Cluster.Client, "seller");
        var id = "sub-" + Guid.NewGuid().ToString("N");
        var grain = Cluster.Client.GetGrain<IWebhookSubscriptionGrain>(id);
        await grain.CreateAsync(new WebhookSubscriptionInput(firm, null, Target, ["*"], null));
        return (grain, id);
    }

    private static OutboxEvent Event(string subject, long version, DateTimeOffset at)
        => OutboxEvent.Create(subject.StartsWith("order", StringComparison.Ordinal) ? "order.placed" : "listing.updated", subject, subject, version, at, ["firm"],
            JsonSerializer.SerializeToElement(new { subject, version, padding = new string('x', 400) }));

    private static GrainId Id(string key) => GrainId.Create("webhooksubscription", key);

    private async Task<GrainState<T>> ReadStateAsync<T>(string stateName, string key) where T : new()
    {
        var state = new GrainState<T>(new T());
        await Storage.Inner.ReadStateAsync(stateName, Id(key), state);
        return state;
    }

    private async Task<T> ReadAsync<T>(string stateName, string key) where T : new() => (await ReadStateAsync<T>(stateName, key)).State ?? new T();

    private async Task ClearAsync<T>(string stateName, string key) where T : new()
    {
        var stored = await ReadStateAsync<T>(stateName, key);
        if (stored.ETag is not null)
        {
            await Storage.Inner.ClearStateAsync(stateName, Id(key), stored);
        }
    }

    private async Task<GrainState<JsonObject>> ReadRecordStateAsync(string key)
    {
        var state = new GrainState<JsonObject>(new JsonObject());
        await Storage.Inner.ReadStateAsync("webhook", Id(key), state);
        return state;
    }

    private async Task<JsonObject> ReadRecordAsync(string key) => (await ReadRecordStateAsync(key)).State ?? new JsonObject();

    private async Task WriteAsync(string stateName, string key, JsonObject record)
    {
        var stored = await ReadRecordStateAsync(key);
        await Storage.Inner.WriteStateAsync(stateName, Id(key), new GrainState<JsonObject>(record) { ETag = stored.ETag });
    }
}
