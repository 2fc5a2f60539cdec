using System.Net;
using System.Net.Http.Json;
using Marketplace.Grains.Listings;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Traders;

/// <summary><c>GET /traders/{id}/listings?status=</c> reads the firm's index of lots by status, not every lot of the firm.</summary>
public sealed class TraderListingsByStatusTests
{
    [Fact]
    public async Task ListByStatus_ReadsOnlyTheLotsWithThatStatus()
    {
        var reads = new LotReads();
        await using var server = await MarketplaceServer.StartAsync(customize: b => b.Services.AddSingleton<IOutgoingGrainCallFilter>(reads));
        var seller = await RegisterFirmAsync(server, "seller");
        using var client = server.Client(seller);
        for (var i = 0; i < 6; i++)
        {
            await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        }

        var active = await ActiveLotAsync(server, seller, 5);
        var withdrawn = await ActiveLotAsync(server, seller, 5);
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{withdrawn}/withdraw", null), HttpStatusCode.OK);

        // The index is told one-way after each change: wait until it lists what the lots say.
        async Task<string[]> IdsAsync(string query)
            => (await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings{query}"), HttpStatusCode.OK))["items"]!.AsArray()
                .Select(l => l!["id"]!.GetValue<string>()).ToArray();
        await Eventually.TrueAsync(async () => (await IdsAsync("?status=withdrawn")).SingleOrDefault() == withdrawn, TimeSpan.FromSeconds(30));

        reads.Count = 0;
        var activeIds = await IdsAsync("?status=active");
        var readsForActive = reads.Count;

        Assert.Equal([active], activeIds);
        Assert.Equal(1, readsForActive);
        Assert.Equal([withdrawn], await IdsAsync("?status=withdrawn"));
        Assert.Equal(6, (await IdsAsync("?status=draft")).Length);
        Assert.Equal([active], await IdsAsync("?status=active"));
        // Others see only the public lots, also read through the index.
        reads.Count = 0;
        var seenByAnyone = (await ReadAsync(await server.Client().GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Equal(active, Assert.Single(seenByAnyone)!["id"]!.GetValue<string>());
        Assert.Equal(1, reads.Count);
    }

    /// <summary>Counts reads of lot grains.</summary>
    private sealed class LotReads : IOutgoingGrainCallFilter
    {
        private int _count;

        public int Count { get => Volatile.Read(ref _count); set => Volatile.Write(ref _count, value); }

        public Task Invoke(IOutgoingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(IListingGrain.GetAsync) && context.InterfaceMethod.DeclaringType == typeof(IListingGrain))
            {
                Interlocked.Increment(ref _count);
            }

            return context.Invoke();
        }
    }
}
