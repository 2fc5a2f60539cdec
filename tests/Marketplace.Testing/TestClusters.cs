using Xunit;
using Marketplace.Domain.Traders;
using Marketplace.Grains;
using Marketplace.Grains.Common;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Marketplace.Testing;

/// <summary>Starts in-process Orleans clusters configured like the host, and seeds grains the tests need.</summary>
public static class TestClusters
{
    /// <summary>Settings every test cluster shares: holds are swept every second rather than every minute.</summary>
    public static Dictionary<string, string?> Settings(string provider) => new()
    {
        ["Storage:Provider"] = provider,
        ["Listings:SweepPeriod"] = "00:00:01",
    };

    /// <summary>
    /// Starts a one-silo cluster with the marketplace grains configured by <paramref name="settings"/>. <paramref name="configure"/>
    /// runs after them (to replace a service); <paramref name="provide"/> runs before them (to supply a service they only add when missing).
    /// </summary>
    public static async Task<InProcessTestCluster> StartAsync(
        Dictionary<string, string?> settings, string? serviceId = null, Action<ISiloBuilder>? configure = null, Action<ISiloBuilder>? provide = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.ConfigureSilo((_, silo) =>
        {
            provide?.Invoke(silo);
            silo.AddMarketplaceGrains(configuration);
            configure?.Invoke(silo);
        });
        builder.ConfigureClient(client => client.Services.AddMarketplaceSerializer());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Silo set-up that makes <paramref name="clock"/> the marketplace's business clock (the runtime's stays real).</summary>
    public static Action<ISiloBuilder> MarketClock(TimeProvider clock)
        => silo => silo.Services.AddKeyedSingleton(MarketTime.Key, clock);

    /// <summary>Registers a firm with a fresh id and a valid, unused business id.</summary>
    public static async Task<string> RegisterFirmAsync(IGrainFactory grains, params string[] roles)
    {
        var id = "firm-" + Guid.NewGuid().ToString("N");
        await grains.GetGrain<ITraderGrain>(id).RegisterAsync(new TraderProfile
        {
            Name = "Test Firm Oy",
            BusinessId = NewBusinessId(),
            Municipality = "Vantaa",
            Contact = new TraderContact(null, "test@firm.example", null),
            Roles = roles.Length > 0 ? roles : ["seller", "buyer"],
            // The account its invoices name: a seller accepts an invoice order only with one.
            Billing = new TraderBilling("FI2112345600000785", null, null, null, null, null, null, null),
        }, "test");
        return id;
    }

    /// <summary>Creates and publishes a lot of bricks (<see cref="SampleLots.Bricks"/>).</summary>
    public static async Task<IListingGrain> ActiveLotAsync(IGrainFactory grains, string sellerId, decimal quantity)
    {
        var grain = grains.GetGrain<IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
        await grain.CreateAsync(sellerId, SampleLots.Bricks(quantity));
        await grain.PublishAsync(sellerId);
        return grain;
    }

    /// <summary>A random valid Finnish business id.</summary>
    public static string NewBusinessId()
    {
        while (true)
        {
            var digits = Random.Shared.Next(0, 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
            if (BusinessId.CheckDigitFor(digits) is { } check)
            {
                return $"{digits}-{check}";
            }
        }
    }
}

/// <summary>One memory-storage cluster shared by the grain tests of a class.</summary>
public sealed class MemoryClusterFixture : IAsyncLifetime
{
    /// <summary>The running cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The cluster's client.</summary>
    public IGrainFactory Grains => Cluster.Client;

    /// <inheritdoc />
    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));

    /// <inheritdoc />
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
