using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Grains.Demands;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Tests.Demands;

/// <summary>One in-process cluster on the system clock, shared by the demand grain tests (each uses its own grain ids).</summary>
public sealed class DemandClusterFixture : IAsyncLifetime
{
    public Orleans.TestingHost.InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The demand grain: posted, read, cancelled by its buyer only, fulfilled by purchases, expired by its reminder.</summary>
public sealed class DemandGrainTests(DemandClusterFixture fixture) : IClassFixture<DemandClusterFixture>
{
    private static DemandDetails Details(DateTimeOffset expires) => new()
    {
        Category = "concrete/crushed",
        Quantity = 30,
        Unit = "t",
        MinPart = 10,
        Location = new GeoPoint(60.2055, 24.6559),
        RadiusKm = 40,
        Window = new DateWindow(new DateOnly(2027, 4, 1), new DateOnly(2027, 4, 30)),
        ExpiresAt = expires,
    };

    [Fact]
    public async Task Demand_IsPosted_CancelledOnlyByItsBuyer_AndCrossesTheWireIntact()
    {
        var cluster = fixture.Cluster;
        var clock = TimeProvider.System;
        var buyer = await TestClusters.RegisterFirmAsync(cluster.Client, "buyer");
        var grain = cluster.Client.GetGrain<IDemandGrain>("d-cancel-" + buyer);
        var details = Details(clock.GetUtcNow().AddDays(20));
        var created = await grain.CreateAsync(buyer, details);
        Assert.Equal(("concrete/crushed", 30m, 10m), (created.Details!.Category, created.Details.Quantity!.Value, created.Details.MinPart!.Value));

        var refused = await Assert.ThrowsAsync<DomainException>(() => grain.CancelAsync("someone-else"));
        Assert.Equal("demand-not-found", refused.Code);
        Assert.Equal(DemandStatus.Open, (await grain.GetAsync())!.Status);
        Assert.Equal(DemandStatus.Cancelled, (await grain.CancelAsync(buyer)).Status);
        // The same creation again (a retry under an id derived from its Idempotency-Key) answers the demand as it is now.
        Assert.Equal(DemandStatus.Cancelled, (await grain.CreateAsync(buyer, details)).Status);
        Assert.Equal("demand-exists", (await Assert.ThrowsAsync<DomainException>(() => grain.CreateAsync(buyer, details with { Quantity = 31 }))).Code);
        Assert.Equal("demand-exists", (await Assert.ThrowsAsync<DomainException>(() => grain.CreateAsync("another-firm", details))).Code);
    }

    [Fact]
    public async Task Demand_ByAFirmThatIsNotABuyer_IsRefused_AndNotStored()
    {
        var seller = await TestClusters.RegisterFirmAsync(fixture.Cluster.Client, "seller");
        var grain = fixture.Cluster.Client.GetGrain<IDemandGrain>("d-seller-" + seller);

        var refused = await Assert.ThrowsAsync<DomainException>(() => grain.CreateAsync(seller, Details(DateTimeOffset.UtcNow.AddDays(20))));

        Assert.Equal(DomainErrorKind.Forbidden, refused.Kind);
        Assert.Null(await grain.GetAsync());
    }

    [Fact]
    public async Task Purchases_FulfilTheDemand()
    {
        var cluster = fixture.Cluster;
        var clock = TimeProvider.System;
        var buyer = await TestClusters.RegisterFirmAsync(cluster.Client, "buyer");
        var grain = cluster.Client.GetGrain<IDemandGrain>("d-buy-" + buyer);
        await grain.CreateAsync(buyer, Details(clock.GetUtcNow().AddDays(20)));
        Assert.Equal(10m, (await grain.RecordPurchaseAsync(20)).Remaining);
        Assert.Equal("purchase-exceeds-demand", (await Assert.ThrowsAsync<DomainException>(() => grain.RecordPurchaseAsync(11))).Code);
        Assert.Equal(DemandStatus.Fulfilled, (await grain.RecordPurchaseAsync(10)).Status);
    }

    [Fact]
    public async Task Demand_AtItsExpiry_ExpiresWithoutAnyRequest()
    {
        var cluster = fixture.Cluster;
        var clock = TimeProvider.System;
        var buyer = await TestClusters.RegisterFirmAsync(cluster.Client, "buyer");
        var grain = cluster.Client.GetGrain<IDemandGrain>("d-expire-" + buyer);
        await grain.CreateAsync(buyer, Details(clock.GetUtcNow().AddSeconds(3)));

        // The reminder is due in 3 s; nothing touches the demand in between.
        var expired = await Eventually.TrueAsync(async () => (await grain.GetAsync())!.Status == DemandStatus.Expired, TimeSpan.FromSeconds(30));
        Assert.True(expired, "the demand did not expire through its reminder");
    }
}
