using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Traders;
using Marketplace.Testing;

namespace Marketplace.Benchmarks;

/// <summary>Firms and lots for benchmarks that go through grains (clusters come from <see cref="TestClusters"/>).</summary>
internal static class BenchmarkCluster
{
    /// <summary>Registers a firm with a fixed id, so runs of a benchmark meet the same grains.</summary>
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

    /// <summary>A lot of bricks available for the next 300 days.</summary>
    public static ListingDetails Bricks(decimal quantity) => SampleLots.Bricks(quantity, SampleLots.Open(300));
}
