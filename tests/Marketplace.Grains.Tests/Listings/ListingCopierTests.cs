using System.Text.Json;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;

namespace Marketplace.Grains.Tests.Listings;

/// <summary>
/// A lot or demand crossing a grain call is a snapshot: a copy equal to the original field for field (as storage's JSON
/// writes it), sharing nothing the original changes in place, made without the JSON codec's write and parse.
/// </summary>
public sealed class ListingCopierTests
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DeepCopy_Listing_IsAnEqualSnapshot_UnchangedByTheLotsLaterChanges()
    {
        using var services = new ServiceCollection().AddMarketplaceSerializer().BuildServiceProvider();
        var copier = services.GetRequiredService<DeepCopier>();
        var lot = Listing.Create("lot-1", "seller-1", SampleLots.Bricks(100, new(DateOnly.FromDateTime(Now.Date), DateOnly.FromDateTime(Now.Date).AddDays(30))),
            MaterialTaxonomy.Default, Now, externalId: "ext-1");
        lot.Publish(Now);
        lot.PlaceHold("h1", "buyer-1", 10, Now.AddDays(1), Now);
        lot.PlaceHold("h2", "buyer-2", 5, Now.AddDays(1), Now);
        lot.ConfirmHold("h2", "seller-1", Now);
        lot.ReturnSold("order-1", 1, Now);
        lot.Outbox.Add(Event("e1"));
        lot.Hide("test", "admin-1", Now);
        var before = Json(lot);

        var copy = copier.Copy(lot);

        Assert.IsType<ListingCopier>(services.GetRequiredService<IDeepCopierProvider>().GetDeepCopier<Listing>());
        Assert.NotSame(lot, copy);
        Assert.Equal(before, Json(copy));
        lot.ReleaseHold("h1", "buyer-1", Now.AddMinutes(1));
        lot.Unhide(Now.AddMinutes(1));
        lot.PlaceHold("h3", "buyer-3", 1, Now.AddDays(1), Now.AddMinutes(1));
        lot.ReturnSold("order-2", 1, Now.AddMinutes(1));
        lot.Outbox.Add(Event("e2"));
        Assert.NotEqual(before, Json(lot));
        Assert.Equal(before, Json(copy));
    }

    [Fact]
    public void DeepCopy_Demand_IsAnEqualSnapshot_UnchangedByTheDemandsLaterChanges()
    {
        using var services = new ServiceCollection().AddMarketplaceSerializer().BuildServiceProvider();
        var copier = services.GetRequiredService<DeepCopier>();
        var demand = Demand.Create("demand-1", "buyer-1", SampleDemands.Concrete(SampleLots.Helsinki, 50), MaterialTaxonomy.Default, DateTimeOffset.UtcNow);
        demand.Outbox.Add(Event("e1"));
        var before = Json(demand);

        var copy = copier.Copy(demand);

        Assert.IsType<DemandCopier>(services.GetRequiredService<IDeepCopierProvider>().GetDeepCopier<Demand>());
        Assert.NotSame(demand, copy);
        Assert.Equal(before, Json(copy));
        demand.RecordPurchase(10);
        demand.Outbox.Add(Event("e2"));
        Assert.NotEqual(before, Json(demand));
        Assert.Equal(before, Json(copy));
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, MarketplaceJson.Options);

    private static OutboxEvent Event(string id)
        => new(id, "listing.updated", "lot-1", 1, Now, ["seller-1"], JsonSerializer.SerializeToElement(new { id }));
}
