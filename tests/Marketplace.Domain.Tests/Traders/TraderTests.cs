using Marketplace.Domain.Common;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Tests.Traders;

public class TraderTests
{
    private static TraderProfile Profile() => new()
    {
        Name = "Purku Oy",
        BusinessId = "1572860-0",
        Contact = new TraderContact("Aino", "aino@purku.example", null),
        Roles = ["seller", "buyer"],
    };

    [Fact]
    public void Register_ValidProfile_KeepsRoles()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);
        Assert.True(trader.Has(TraderRoles.Seller));
        Assert.True(trader.Has(TraderRoles.Buyer));
        Assert.False(trader.Has(TraderRoles.Operator));
    }

    [Fact]
    public void IsSameRegistration_SameSubjectAndProfile_IsTrue_OtherSubjectOrProfileAreNot()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);
        Trader Again(string subject, TraderProfile profile) => Trader.Register("t1", profile, subject, DateTimeOffset.UnixEpoch.AddSeconds(5));

        Assert.True(trader.IsSameRegistration(Again("user-1", Profile())));
        Assert.False(trader.IsSameRegistration(Again("user-1", Profile() with { Roles = ["seller"] })));
        Assert.False(trader.IsSameRegistration(Again("user-1", Profile() with { Name = "Toinen Oy" })));
        Assert.False(trader.IsSameRegistration(Again("user-2", Profile())));
    }

    [Fact]
    public void Register_BadFields_ReportsEachField()
    {
        var bad = Profile() with { Name = "", BusinessId = "1572860-1", Contact = new TraderContact(null, "not-an-email", null), Roles = ["landlord"] };
        var e = Assert.Throws<DomainException>(() => Trader.Register("t1", bad, "u", DateTimeOffset.UnixEpoch));
        Assert.Equal(new[] { "businessId", "contact.email", "name", "roles" }, e.Errors.Keys.Order(StringComparer.Ordinal).ToArray());
    }
}
