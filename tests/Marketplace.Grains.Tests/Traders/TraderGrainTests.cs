using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Traders;

namespace Marketplace.Grains.Tests.Traders;

public class TraderGrainTests(MemoryClusterFixture fixture) : IClassFixture<MemoryClusterFixture>
{
    [Fact]
    public async Task Register_SameBusinessIdTwice_SecondIsConflict()
    {
        var businessId = TestClusters.NewBusinessId();
        var profile = new TraderProfile
        {
            Name = "Ensimmäinen Oy",
            BusinessId = businessId,
            Contact = new TraderContact(null, "a@b.example", null),
            Roles = ["buyer"],
        };
        await fixture.Grains.GetGrain<ITraderGrain>("first-" + businessId).RegisterAsync(profile, "u1");

        var e = await Assert.ThrowsAsync<DomainException>(() =>
            fixture.Grains.GetGrain<ITraderGrain>("second-" + businessId).RegisterAsync(profile with { Name = "Toinen Oy" }, "u2"));

        Assert.Equal("business-id-taken", e.Code);
        Assert.Null(await fixture.Grains.GetGrain<ITraderGrain>("second-" + businessId).GetAsync());
    }

    [Fact]
    public async Task Update_ChangesProfile_KeepsBusinessId()
    {
        var id = await TestClusters.RegisterFirmAsync(fixture.Grains, "buyer");
        var before = await fixture.Grains.GetGrain<ITraderGrain>(id).GetAsync();

        var after = await fixture.Grains.GetGrain<ITraderGrain>(id).UpdateAsync(new TraderChanges("Uusi Nimi Oy", "Espoo", null, ["buyer", "seller"]));

        Assert.Equal("Uusi Nimi Oy", after.Profile!.Name);
        Assert.Equal(before!.Profile!.BusinessId, after.Profile.BusinessId);
        Assert.True(after.Has(TraderRoles.Seller));
    }
}
