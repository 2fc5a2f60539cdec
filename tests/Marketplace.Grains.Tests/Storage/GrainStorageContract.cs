using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests.Storage;

/// <summary>What every grain storage provider must do; run against SQLite and against Azure Table on Azurite.</summary>
public abstract class GrainStorageContract
{
    /// <summary>Settings for a cluster on this provider; the same store for every call within one test.</summary>
    protected abstract Dictionary<string, string?> Settings();

    [Fact]
    public async Task StateWrittenByOneCluster_IsReadByTheNextWithTheSameServiceId()
    {
        var serviceId = "contract-" + Guid.NewGuid().ToString("N")[..8];
        var settings = Settings();
        string seller, buyer, lotId;
        Listing written;
        await using (var first = await TestClusters.StartAsync(settings, serviceId))
        {
            seller = await TestClusters.RegisterFirmAsync(first.Client, "seller");
            buyer = await TestClusters.RegisterFirmAsync(first.Client, "buyer");
            var lot = await TestClusters.ActiveLotAsync(first.Client, seller, 1000);
            lotId = lot.GetPrimaryKeyString();
            await lot.PlaceHoldAsync(buyer, "h1", 400, DateTimeOffset.UtcNow.AddDays(7));
            written = (await lot.GetAsync())!;
        }

        await using var second = await TestClusters.StartAsync(settings, serviceId);
        var read = await second.Client.GetGrain<Marketplace.Grains.Listings.IListingGrain>(lotId).GetAsync();
        var trader = await second.Client.GetGrain<ITraderGrain>(seller).GetAsync();

        Assert.NotNull(read);
        Assert.Equal(written.Details, read.Details! with { Photos = written.Details!.Photos });
        Assert.Equal(written.Details.Photos, read.Details!.Photos);
        Assert.Equal((600m, 400m, 0m), (read.Available, read.Held, read.Sold));
        Assert.Equal(buyer, read.Holds.Single().BuyerId);
        Assert.Equal(written.Version, read.Version);
        Assert.Contains(lotId, trader!.ListingIds);
    }

    [Fact]
    public async Task StaleETagWrite_IsRefusedWithInconsistentStateException()
    {
        await using var cluster = await TestClusters.StartAsync(Settings());
        var storage = StorageOf(cluster);
        var grainId = GrainId.Create("trader", "etag-" + Guid.NewGuid().ToString("N"));
        var first = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", grainId, first);
        await storage.WriteStateAsync("trader", grainId, first);

        var a = new GrainState<Trader>();
        var b = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", grainId, a);
        await storage.ReadStateAsync("trader", grainId, b);
        await storage.WriteStateAsync("trader", grainId, a);

        // Providers may throw a subclass (Azure Table: TableStorageUpdateConditionNotSatisfiedException).
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => storage.WriteStateAsync("trader", grainId, b));
    }

    [Fact]
    public async Task TwoFirstWrites_SecondIsRefused()
    {
        await using var cluster = await TestClusters.StartAsync(Settings());
        var storage = StorageOf(cluster);
        var grainId = GrainId.Create("trader", "new-" + Guid.NewGuid().ToString("N"));
        var a = new GrainState<Trader>();
        var b = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", grainId, a);
        await storage.ReadStateAsync("trader", grainId, b);

        await storage.WriteStateAsync("trader", grainId, a);
        // Providers may throw a subclass (Azure Table: TableStorageUpdateConditionNotSatisfiedException).
        await Assert.ThrowsAnyAsync<InconsistentStateException>(() => storage.WriteStateAsync("trader", grainId, b));
    }

    [Fact]
    public async Task ConcurrentWrites_EachIsStoredWhenAnswered_AndOfOneETagOnlyOneWins()
    {
        await using var cluster = await TestClusters.StartAsync(Settings());
        var storage = StorageOf(cluster);
        var run = Guid.NewGuid().ToString("N")[..8];

        // Many grains at once (SQLite commits them in groups): each answered write is there to read, with its own ETag.
        var states = Enumerable.Range(0, 200).Select(i => (Id: GrainId.Create("trader", $"many-{run}-{i}"), State: new GrainState<Trader>(Firm($"Firm {i} Oy")))).ToArray();
        await Task.WhenAll(states.Select(s => storage.WriteStateAsync("trader", s.Id, s.State)));
        await Task.WhenAll(states.Take(100).Select(s => storage.WriteStateAsync("trader", s.Id, s.State)));
        foreach (var (id, state) in states)
        {
            var read = new GrainState<Trader>();
            await storage.ReadStateAsync("trader", id, read);
            Assert.True(read.RecordExists);
            Assert.Equal(state.ETag, read.ETag);
        }

        // Ten writers holding the same ETag of one grain: exactly one wins, whether or not they share a commit.
        var writers = Enumerable.Range(0, 10).Select(i => new GrainState<Trader>(Firm($"Writer {i} Oy")) { ETag = states[0].State.ETag }).ToArray();
        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await storage.WriteStateAsync("trader", states[0].Id, w);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));
        Assert.Equal(1, outcomes.Count(o => o));
        var after = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", states[0].Id, after);
        Assert.Equal(writers[Array.IndexOf(outcomes, true)].ETag, after.ETag);
    }

    [Fact]
    public async Task ReadMissing_ThenWrite_ThenClear_RoundTrips()
    {
        await using var cluster = await TestClusters.StartAsync(Settings());
        var storage = StorageOf(cluster);
        var grainId = GrainId.Create("trader", "clear-" + Guid.NewGuid().ToString("N"));
        var state = new GrainState<Trader>();

        await storage.ReadStateAsync("trader", grainId, state);
        Assert.False(state.RecordExists);

        state.State = Trader.Register("t", new TraderProfile
        {
            Name = "Round Trip Oy",
            BusinessId = TestClusters.NewBusinessId(),
            Contact = new TraderContact(null, "rt@example.fi", null),
            Roles = ["seller"],
        }, "test", DateTimeOffset.UtcNow);
        await storage.WriteStateAsync("trader", grainId, state);
        var read = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("Round Trip Oy", read.State!.Profile!.Name);

        await storage.ClearStateAsync("trader", grainId, read);
        var cleared = new GrainState<Trader>();
        await storage.ReadStateAsync("trader", grainId, cleared);
        Assert.False(cleared.RecordExists);
        Assert.False(cleared.State?.Exists ?? false);
    }

    private static Trader Firm(string name) => Trader.Register("t", new TraderProfile
    {
        Name = name,
        BusinessId = TestClusters.NewBusinessId(),
        Contact = new TraderContact(null, "rt@example.fi", null),
        Roles = ["seller"],
    }, "test", DateTimeOffset.UtcNow);

    private static IGrainStorage StorageOf(InProcessTestCluster cluster)
        => cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageOptions.StoreName);
}

/// <summary>The contract on the embedded SQLite provider, in a fresh file per test.</summary>
public sealed class SqliteGrainStorageContract : GrainStorageContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-sqlite-").FullName;

    protected override Dictionary<string, string?> Settings() => ContractStores.Sqlite(_folder);

    public void Dispose() => ContractStores.DeleteSqlite(_folder);
}

/// <summary>The contract on Azure Table storage, against the Azurite that <c>./test.sh</c> starts.</summary>
public sealed class AzureTableGrainStorageContract : GrainStorageContract
{
    private readonly string _table = "Contract" + Guid.NewGuid().ToString("N")[..12];

    protected override Dictionary<string, string?> Settings() => ContractStores.AzureTable(_table);
}
