using Marketplace.Domain.Traders;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Marketplace.Grains.Tests.Traders;

/// <summary>A firm whose registration could not be stored does not keep its business id.</summary>
public sealed class TraderRegistrationFailureTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marketplace-trader-failure-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Register_WriteFails_ReleasesTheBusinessId_SoTheCompanyCanRegisterAgain()
    {
        var settings = TestClusters.Settings("Sqlite");
        settings["Storage:Sqlite:Path"] = Path.Combine(_folder, "marketplace.db");
        await using var cluster = await TestClusters.StartAsync(settings, configure: silo =>
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageOptions.StoreName, (sp, _) =>
                new FailingTraderWrites(ActivatorUtilities.CreateInstance<SqliteGrainStorage>(sp, MarketplaceStorageSerializer.Instance))));
        var profile = new TraderProfile
        {
            Name = "Epäonninen Oy",
            BusinessId = TestClusters.NewBusinessId(),
            Contact = new TraderContact(null, "a@b.example", null),
            Roles = ["buyer"],
        };

        await Assert.ThrowsAnyAsync<Exception>(() => cluster.Client.GetGrain<ITraderGrain>(FailingTraderWrites.Doomed + "1").RegisterAsync(profile, "u1"));
        Assert.Null(await cluster.Client.GetGrain<ITraderGrain>(FailingTraderWrites.Doomed + "1").GetAsync());

        var retried = await cluster.Client.GetGrain<ITraderGrain>("firm-retry").RegisterAsync(profile, "u1");
        Assert.Equal(profile.BusinessId, retried.Profile!.BusinessId);
    }

    /// <summary>Grain storage whose writes of doomed firms fail, as a storage outage would.</summary>
    private sealed class FailingTraderWrites(IGrainStorage inner) : IGrainStorage
    {
        public const string Doomed = "doomed-";

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            => stateName == "trader" && grainId.Key.ToString()!.StartsWith(Doomed, StringComparison.Ordinal)
                ? throw new IOException("the storage account is unreachable")
                : inner.WriteStateAsync(stateName, grainId, grainState);

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
