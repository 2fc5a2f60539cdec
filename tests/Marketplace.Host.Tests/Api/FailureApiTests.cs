using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Api;

/// <summary>Failures of the silo and restarts of the host, each on a host of its own.</summary>
public class FailureApiTests
{
    [Fact]
    public async Task SiloUnavailable_Is503WithRetryAfter_NotA500()
    {
        await using var server = await MarketplaceServer.StartAsync(customize: b =>
            b.Services.AddSingleton<IOutgoingGrainCallFilter, UnavailableListingFilter>());

        using var client = server.Client();
        var response = await client.GetAsync($"/api/v1/listings/{UnavailableListingFilter.ListingId}");

        await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "service-unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task ListingCreatedBeforeRestart_IsThereAfterIt()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-api-restart-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Sqlite",
                ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
                ["DataPath"] = folder,
                ["Cluster:ServiceId"] = "restart-" + Guid.NewGuid().ToString("N")[..8],
            };
            string seller, id;
            await using (var before = await MarketplaceServer.StartAsync(settings))
            {
                seller = await RegisterFirmAsync(before, "seller");
                id = await ActiveLotAsync(before, seller, 321);
            }

            await using var after = await MarketplaceServer.StartAsync(settings);
            var lot = await ReadAsync(await after.Client().GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
            Assert.Equal(321m, lot["quantities"]!["listed"]!.GetValue<decimal>());
            Assert.Equal(seller, lot["sellerId"]!.GetValue<string>());
            var mine = await ReadAsync(await after.Client(seller).GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
            Assert.Single(mine["items"]!.AsArray());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Makes calls to one listing fail as if its silo were gone.</summary>
    private sealed class UnavailableListingFilter : IOutgoingGrainCallFilter
    {
        public const string ListingId = "on-a-dead-silo";

        public Task Invoke(IOutgoingGrainCallContext context)
            => context.TargetId.Key.ToString() == ListingId
                ? throw new SiloUnavailableException("The silo holding this grain is gone.")
                : context.Invoke();
    }
}

/// <summary>The host in cluster mode: Azure Table membership, grain storage and reminders on the Azurite that ./test.sh starts.</summary>
public class ClusterModeApiTests
{
    [Fact]
    public async Task AzureStorageClusterMode_KeepsLotsAcrossRestart()
    {
        var connection = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite.");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["Storage:AzureStorage:ConnectionString"] = connection,
            ["Storage:AzureStorage:TableName"] = "Api" + Guid.NewGuid().ToString("N")[..12],
            ["Cluster:Provider"] = "AzureStorage",
            // Lucene is refused in cluster mode (one host's index would miss the others' lots); these tests do not search.
            ["Search:Provider"] = "None",
            ["Cluster:ServiceId"] = "cluster-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster:ClusterId"] = "cluster-" + Guid.NewGuid().ToString("N")[..8],
        };
        foreach (var (key, setting) in ClusterIdentity.Settings(Guid.NewGuid().ToString("N")[..12]))
        {
            settings[key] = setting;
        }

        string seller, id;
        await using (var first = await MarketplaceServer.StartAsync(settings))
        {
            var ready = System.Text.Json.Nodes.JsonNode.Parse(await first.Client().GetStringAsync("/health/ready"))!;
            Assert.Equal("Healthy", ready["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "silo-and-storage")!["status"]!.GetValue<string>());
            seller = await RegisterFirmAsync(first, "seller");
            id = await ActiveLotAsync(first, seller, 42);
        }

        // A new host with a new data folder: lots come from Azure Table storage, tokens are checked against PostgreSQL and the certificates.
        await using var second = await MarketplaceServer.StartAsync(settings);
        var lot = await ReadAsync(await second.Client().GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal(42m, lot["quantities"]!["listed"]!.GetValue<decimal>());
        var draft = await ReadAsync(await second.Client(seller).PostAsJsonAsync("/api/v1/listings", Lot()), HttpStatusCode.Created);
        Assert.Equal(seller, draft["sellerId"]!.GetValue<string>());
    }
}

/// <summary>Two hosts joined into one Orleans cluster by configuration alone (Azure Table membership on Azurite).</summary>
public class TwoHostClusterTests
{
    [Fact]
    public async Task LotCreatedThroughOneHost_IsServedAndHeldThroughTheOther()
    {
        var connection = Environment.GetEnvironmentVariable("MARKETPLACE_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("MARKETPLACE_TEST_AZURITE is not set: run ./test.sh, which starts Azurite.");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["Storage:AzureStorage:ConnectionString"] = connection,
            ["Storage:AzureStorage:TableName"] = "Two" + suffix,
            ["Cluster:Provider"] = "AzureStorage",
            // Lucene is refused in cluster mode (one host's index would miss the others' lots); these tests do not search.
            ["Search:Provider"] = "None",
            ["Cluster:ServiceId"] = "two-" + suffix,
            ["Cluster:ClusterId"] = "two-" + suffix,
        };
        // Hosts of one cluster share the identity store (PostgreSQL), the certificates and the issuer; each has its own data folder.
        foreach (var (key, setting) in ClusterIdentity.Settings(suffix))
        {
            settings[key] = setting;
        }

        await using var first = await MarketplaceServer.StartAsync(settings);
        await using var second = await MarketplaceServer.StartAsync(settings);
        var seller = await RegisterFirmAsync(first, "seller");
        var buyer = await RegisterFirmAsync(second, "buyer");
        var id = await ActiveLotAsync(first, seller, 10);

        await ReadAsync(await second.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 7 }), HttpStatusCode.Created);
        await ProblemAsync(await first.Client(buyer).PostAsJsonAsync($"/api/v1/listings/{id}/holds", new { quantity = 4 }), HttpStatusCode.Conflict, "hold-exceeds-available");

        var seenByFirst = await ReadAsync(await first.Client().GetAsync($"/api/v1/listings/{id}"), HttpStatusCode.OK);
        Assert.Equal(3m, seenByFirst["quantities"]!["available"]!.GetValue<decimal>());
        // A token issued by one host is accepted by the other.
        var seenBySecond = await ReadAsync(await second.Client(seller).GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Single(seenBySecond["items"]!.AsArray());
        var silos = second.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var hosts = await silos.GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);
        // Each silo advertises this machine's network address (Cluster:AdvertisedAddress unset), not loopback, so hosts
        // on other machines could join.
        var expected = new Marketplace.Grains.Storage.ClusterSettings { Provider = "AzureStorage" }.ResolveAdvertisedAddress();
        Assert.All(hosts.Keys, silo => Assert.Equal(expected, silo.Endpoint.Address));
    }
}
