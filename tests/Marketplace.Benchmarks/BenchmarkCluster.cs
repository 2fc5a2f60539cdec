using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Marketplace.Benchmarks;

/// <summary>An in-process silo configured like the host, for benchmarks that go through grains.</summary>
internal static class BenchmarkCluster
{
    public static async Task<InProcessTestCluster> StartAsync(Dictionary<string, string?> settings, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.ConfigureSilo((_, silo) =>
        {
            configure?.Invoke(silo);
            silo.AddMarketplaceGrains(configuration);
        });
        builder.ConfigureClient(client => client.Services.AddMarketplaceSerializer());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task<string> FirmAsync(IGrainFactory grains, string id, string businessId, params string[] roles)
    {
        await grains.GetGrain<ITraderGrain>(id).RegisterAsync(new TraderProfile
        {
            Name = id,
            BusinessId = businessId,
            Contact = new TraderContact(null, "bench@example.fi", null),
            Roles = roles,
        }, "benchmark");
        return id;
    }

    public static ListingDetails Bricks(decimal quantity) => new()
    {
        Title = "Benchmark bricks",
        Category = "masonry/bricks",
        Quantity = quantity,
        Unit = "pcs",
        Condition = "A",
        UnitPrice = Money.Eur(40),
        Location = new ListingLocation(60.17, 24.94, null, "Helsinki"),
        Availability = new DateWindow(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(300)),
    };
}
