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

    [Fact]
    public void LinkStripeAccount_First_LinksNotYetEnabled_SameAgainChangesNothing_AnotherIsRefused()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);
        var at = DateTimeOffset.UnixEpoch.AddDays(1);

        Assert.True(trader.LinkStripeAccount("acct_1Kallio", at));
        Assert.Equal(new StripeAccountLink("acct_1Kallio", false, false, at), trader.StripeAccount);
        Assert.False(trader.LinkStripeAccount("acct_1Kallio", at.AddHours(1)));
        Assert.Equal("stripe-account-linked", Assert.Throws<DomainException>(() => trader.LinkStripeAccount("acct_1Other", at)).Code);
        Assert.Equal(DomainErrorKind.Validation, Assert.Throws<DomainException>(() => trader.LinkStripeAccount("cus_1", at)).Kind);
        Assert.Equal(new StripeAccountLink("acct_1Kallio", false, false, at), trader.StripeAccount);
    }

    [Fact]
    public void UpdateStripeAccount_NewerNewsOfTheLinkedAccount_IsTaken_OlderOrOtherAccountsAreNot()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);
        var linked = DateTimeOffset.UnixEpoch.AddDays(1);
        trader.LinkStripeAccount("acct_1Kallio", linked);

        Assert.True(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", true, true, linked.AddMinutes(10))));
        Assert.False(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", false, false, linked.AddMinutes(5))));
        Assert.False(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Other", false, false, linked.AddMinutes(20))));
        Assert.False(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", true, true, linked.AddMinutes(10))));

        Assert.Equal(new StripeAccountLink("acct_1Kallio", true, true, linked.AddMinutes(10)), trader.StripeAccount);
    }

    [Fact]
    public void UpdateStripeAccount_NewsStampedInTheSecondOfTheLink_IsTaken()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);
        var linked = DateTimeOffset.UnixEpoch.AddDays(1).AddMilliseconds(700);
        trader.LinkStripeAccount("acct_1Kallio", linked);

        // Stripe's event times are whole seconds: this one was made after the link, in the same second.
        Assert.True(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", true, true, DateTimeOffset.UnixEpoch.AddDays(1))));
        Assert.False(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", false, false, DateTimeOffset.UnixEpoch.AddDays(1).AddSeconds(-1))));

        Assert.True(trader.StripeAccount!.ChargesEnabled);
    }

    [Fact]
    public void UpdateStripeAccount_NoAccountLinkedYet_TakesTheAccountStripeSaysIsTheFirms()
    {
        var trader = Trader.Register("t1", Profile(), "user-1", DateTimeOffset.UnixEpoch);

        Assert.True(trader.UpdateStripeAccount(new StripeAccountLink("acct_1Kallio", false, false, DateTimeOffset.UnixEpoch.AddDays(1))));

        Assert.Equal("acct_1Kallio", trader.StripeAccount?.AccountId);
    }
}
