using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Marketplace.Grains.Tests;

/// <summary>Starts in-process Orleans clusters configured like the host, and seeds grains the tests need.</summary>
internal static class TestClusters
{
    /// <summary>Settings every test cluster shares: holds are swept every second rather than every minute.</summary>
    public static Dictionary<string, string?> Settings(string provider) => new()
    {
        ["Storage:Provider"] = provider,
        ["Listings:SweepPeriod"] = "00:00:01",
    };

    public static async Task<InProcessTestCluster> StartAsync(Dictionary<string, string?> settings, string? serviceId = null, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMarketplaceGrains(configuration);
            configure?.Invoke(silo);
        });
        builder.ConfigureClient(client => client.Services.AddMarketplaceSerializer());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Registers a firm with a fresh id and a valid, unused business id.</summary>
    public static async Task<string> RegisterFirmAsync(IGrainFactory grains, params string[] roles)
    {
        var id = "firm-" + Guid.NewGuid().ToString("N");
        await grains.GetGrain<ITraderGrain>(id).RegisterAsync(new TraderProfile
        {
            Name = "Test Firm Oy",
            BusinessId = NewBusinessId(),
            Contact = new TraderContact(null, "test@firm.example", null),
            Roles = roles.Length > 0 ? roles : ["seller", "buyer"],
        }, "test");
        return id;
    }

    /// <summary>Creates and publishes a lot of bricks.</summary>
    public static async Task<IListingGrain> ActiveLotAsync(IGrainFactory grains, string sellerId, decimal quantity)
    {
        var grain = grains.GetGrain<IListingGrain>("lot-" + Guid.NewGuid().ToString("N"));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await grain.CreateAsync(sellerId, new ListingDetails
        {
            Title = "Reclaimed bricks",
            Category = "masonry/bricks",
            Quantity = quantity,
            Unit = "pcs",
            Condition = "A",
            UnitPrice = Money.Eur(40),
            Location = new ListingLocation(60.17, 24.94, null, "Helsinki"),
            Availability = new DateWindow(today.AddDays(-1), today.AddDays(90)),
        });
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

    /// <summary>Polls until the condition holds or the deadline passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}

/// <summary>One memory-storage cluster shared by the grain tests of a class.</summary>
public sealed class MemoryClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
