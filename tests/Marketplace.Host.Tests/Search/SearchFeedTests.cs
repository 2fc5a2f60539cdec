using System.Diagnostics;
using System.Net;
using Marketplace.Host.Search;
using Marketplace.Search;
using Marketplace.Search.Lucene;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>The feed's queue is bounded: an outage of the engine costs memory per lot, never per change, and loses nothing.</summary>
public sealed class SearchFeedTests
{
    [Fact]
    public async Task EngineOutage_QueueStaysWithinItsCapacity_AndEveryChangeIsIndexedAfterIt()
    {
        var engine = new EngineWithOutage(LuceneSearchEngine.Open(Path.Combine(MarketplaceServer.NewDataPath(), "index")));
        await using var server = await MarketplaceServer.StartAsync(
            new Dictionary<string, string?> { ["Search:QueueCapacity"] = "3", ["Search:BatchSize"] = "2" },
            b => b.Services.AddSingleton<ISearchEngine>(engine));
        var feed = server.Services.GetRequiredService<SearchFeed>();
        var seller = await RegisterFirmAsync(server, "seller");

        engine.Down = true;
        var lots = new List<string>();
        var mostQueued = 0;
        for (var i = 0; i < 10; i++)
        {
            lots.Add(await ActiveLotAsync(server, seller, 10 + i));
            mostQueued = Math.Max(mostQueued, feed.Queued);
        }

        Assert.InRange(mostQueued, 1, 3);
        Assert.True(feed.Dirty > 0, "a full queue marks lots for a re-read");

        engine.Down = false;
        var expected = new Dictionary<string, long>();
        foreach (var id in lots)
        {
            var lot = await ReadAsync(await server.Client(seller).GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
            expected[id] = lot["version"]!.GetValue<long>();
        }

        var indexed = await Eventually.ValueAsync(
            () => engine.VersionsAsync(),
            indexed => expected.All(e => indexed.TryGetValue(e.Key, out var v) && v == e.Value),
            TimeSpan.FromSeconds(90));

        Assert.All(expected, e => Assert.Equal(e.Value, indexed.GetValueOrDefault(e.Key)));
        Assert.Equal(0, feed.Dirty);
    }

    /// <summary>The real engine, failing every write while <see cref="Down"/>.</summary>
    private sealed class EngineWithOutage(ISearchEngine inner) : ISearchEngine
    {
        public volatile bool Down;

        public string Name => inner.Name;

        public Task IndexAsync(IReadOnlyCollection<ListingDocument> documents, CancellationToken cancellationToken = default)
            => Down ? throw new HttpRequestException("the search cluster is down") : inner.IndexAsync(documents, cancellationToken);

        public Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
            => Down ? throw new HttpRequestException("the search cluster is down") : inner.DeleteAsync(ids, cancellationToken);

        public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default) => inner.SearchAsync(query, cancellationToken);

        public Task<IReadOnlyDictionary<string, long>> VersionsAsync(CancellationToken cancellationToken = default) => inner.VersionsAsync(cancellationToken);

        public Task CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

        public Task ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
