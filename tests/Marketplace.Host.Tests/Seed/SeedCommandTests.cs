using System.Net;
using Marketplace.Grains.Listings;
using Marketplace.Host.Seed;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Seed;

public class SeedCommandTests
{
    /// <summary>One test, so that the first installation serves both points (a host start less).</summary>
    [Fact]
    public async Task Seed_CreatesDeterministicLots_ShowsProgress_KeepsExistingOnRerun_AndGivesSameLotsOnAnotherInstallation()
    {
        await using var server = await MarketplaceServer.StartAsync();
        var grains = server.Services.GetRequiredService<IGrainFactory>();
        var progress = new StringWriter();

        var (firms, lots, demands) = await SeedCommand.SeedAsync(grains, TimeProvider.System, 60, progress);

        Assert.Equal((60, 6), (lots, demands));
        Assert.True(firms >= 10);
        Assert.Contains("Seeding lots: 60/60 (100%)", progress.ToString());
        Assert.Contains("Seeding demands: 6/6 (100%)", progress.ToString());
        Assert.Equal(Domain.Demands.DemandStatus.Open, (await grains.GetGrain<Grains.Demands.IDemandGrain>("seed-demand-000000").GetAsync())!.Status);
        var first = await ReadAsync(await server.Client().GetAsync("/api/v1/listings/seed-lot-0000000"), HttpStatusCode.OK);
        Assert.Equal("active", first["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(first["title"]!.GetValue<string>()));
        var draft = await grains.GetGrain<IListingGrain>("seed-lot-0000019").GetAsync();
        Assert.Equal(Domain.Listings.ListingStatus.Draft, draft!.Status);

        // The seeded demands meet seeded lots, so a newcomer's inboxes are not empty.
        var buyers = SeedCatalogue.Load().Firms.Where(f => f.Roles.Contains("buyer")).Select(SeedCommand.FirmId).ToArray();
        var proposed = await Eventually.ValueAsync(
            async () => (await Task.WhenAll(buyers.Select(b => grains.GetGrain<Grains.Matching.IMatchInboxGrain>(b).ListAsync()))).Sum(m => m.Count),
            count => count > 0,
            TimeSpan.FromSeconds(10));

        Assert.True(proposed > 0, "no seeded demand was proposed a seeded lot");
        var before = (await grains.GetGrain<IListingGrain>("seed-lot-0000003").GetAsync())!.Version;
        await SeedCommand.SeedAsync(grains, TimeProvider.System, 60, TextWriter.Null);
        Assert.Equal(before, (await grains.GetGrain<IListingGrain>("seed-lot-0000003").GetAsync())!.Version);

        // Another installation seeded with the same count has the same lots.
        await using var other = await MarketplaceServer.StartAsync();
        var otherGrains = other.Services.GetRequiredService<IGrainFactory>();
        await SeedCommand.SeedAsync(otherGrains, TimeProvider.System, 60, TextWriter.Null);
        for (var i = 0; i < 60; i += 6)
        {
            var id = $"seed-lot-{i:D7}";
            var la = (await grains.GetGrain<IListingGrain>(id).GetAsync())!;
            var lb = (await otherGrains.GetGrain<IListingGrain>(id).GetAsync())!;
            Assert.Equal(la.Details, lb.Details! with { Photos = la.Details!.Photos });
            Assert.Equal(la.SellerId, lb.SellerId);
        }
    }
}
