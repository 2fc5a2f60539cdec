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

    private static TraderBilling Billing() => new(
        Iban: "FI21 1234 5600 0007 85",
        Bic: "nord fi hh",
        Address: "  Hämeentie 10 ",
        PostalCode: "00530",
        PostOffice: "Helsinki",
        InvoiceEmail: "laskut@purku.example",
        EInvoiceAddress: "0037 1572 8600",
        EInvoiceOperator: "003723327487");

    [Fact]
    public void Register_WithBilling_NormalisesIbanBicAndText()
    {
        var trader = Trader.Register("t1", Profile() with { Billing = Billing() }, "u", DateTimeOffset.UnixEpoch);

        var b = trader.Profile!.Billing!;
        Assert.Equal("FI2112345600000785", b.Iban);
        Assert.Equal("NORDFIHH", b.Bic);
        Assert.Equal("Hämeentie 10", b.Address);
        Assert.Equal("003715728600", b.EInvoiceAddress);
    }

    [Theory]
    [InlineData("FI21 1234 5600 0007 85")] // the example of the Finnish banks' IBAN guide
    [InlineData("GB82 WEST 1234 5698 7654 32")] // ISO 13616's example
    [InlineData("DE89 3704 0044 0532 0130 00")]
    [InlineData("NO93 8601 1117 947")]
    [InlineData("fi2112345600000785")]
    public void Iban_PublishedExamples_AreValid(string iban) => Assert.Null(Iban.Problem(iban));

    [Theory]
    [InlineData("FI", "12345600000785", "FI2112345600000785")] // the Finnish banks' guide's example
    [InlineData("DE", "370400440532013000", "DE89370400440532013000")]
    [InlineData("FI", "79999912345678", null)]
    public void Iban_Of_ComputesTheCheckDigits(string country, string bban, string? expected)
    {
        var iban = Iban.Of(country, bban);
        Assert.Null(Iban.Problem(iban));
        Assert.Equal(expected ?? iban, iban);
    }

    [Theory]
    [InlineData("FI22 1234 5600 0007 85", "check digits")] // wrong check digit
    [InlineData("FI21 1234 5600 0007 86", "check digits")] // a changed account digit
    [InlineData("FI21 1234 5600 0007 8", "has 18 characters")] // FI is 18 long
    [InlineData("DE89 3704 0044 0532 0130 000", "has 22 characters")]
    [InlineData("1234 5600 0007 85", "country code")]
    [InlineData("FI21-1234-5600-0007-85", "country code")]
    public void Iban_WrongCheckDigitOrLength_SaysWhy(string iban, string reason)
        => Assert.Contains(reason, Iban.Problem(iban), StringComparison.Ordinal);

    [Fact]
    public void Register_BadBilling_ReportsEachBillingField()
    {
        var bad = new TraderBilling(
            Iban: "FI22 1234 5600 0007 85",
            Bic: "NDEA",
            Address: new string('x', 201),
            PostalCode: "0053",
            PostOffice: "Helsinki",
            InvoiceEmail: "laskut at purku",
            EInvoiceAddress: "003715728601", // business id 1572860-1 has a wrong check digit
            EInvoiceOperator: "op-1");

        var e = Assert.Throws<DomainException>(() => Trader.Register("t1", Profile() with { Billing = bad }, "u", DateTimeOffset.UnixEpoch));

        Assert.Equal("validation-failed", e.Code);
        Assert.Equal(
            new[] { "billing.address", "billing.bic", "billing.eInvoiceAddress", "billing.eInvoiceOperator", "billing.iban", "billing.invoiceEmail", "billing.postalCode" },
            e.Errors.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [InlineData("003715728600", true)]
    [InlineData("003715728600A1", true)] // a unit's suffix
    [InlineData("FI2112345600000785", true)] // an IBAN as e-invoice address
    [InlineData("003715728601", false)]
    [InlineData("003815728600", false)]
    [InlineData("0037157286", false)]
    [InlineData("003715728600ABCDEF", false)] // suffix over five
    public void EInvoiceAddress_OvtCodeOrIban(string address, bool valid)
    {
        var billing = new TraderBilling(null, null, null, null, null, null, address, "003723327487");
        var v = new Validation();
        BillingDetails.Validate(billing, v);
        Assert.Equal(valid, v.IsValid);
    }

    [Fact]
    public void EInvoiceAddress_WithoutOperator_IsRefused()
    {
        var v = new Validation();
        BillingDetails.Validate(new TraderBilling(null, null, null, null, null, null, "003715728600", null), v);
        var e = Assert.Throws<DomainException>(() => v.ThrowIfInvalid());
        Assert.Equal(["billing.eInvoiceOperator"], e.Errors.Keys);
    }

    [Fact]
    public void Update_Billing_MergesMembers_EmptyRemoves_OtherFieldsStay()
    {
        var trader = Trader.Register("t1", Profile() with { Billing = Billing() }, "u", DateTimeOffset.UnixEpoch);

        trader.Update(new TraderChanges(null, null, null, null, new TraderBilling(null, null, null, "00100", "", null, null, null)), DateTimeOffset.UnixEpoch);

        var b = trader.Profile!.Billing!;
        Assert.Equal("00100", b.PostalCode);
        Assert.Null(b.PostOffice);
        Assert.Equal("FI2112345600000785", b.Iban);
        Assert.Equal("Purku Oy", trader.Profile.Name);

        var e = Assert.Throws<DomainException>(() => trader.Update(new TraderChanges(null, null, null, null, new TraderBilling("FI2112345600000786", null, null, null, null, null, null, null)), DateTimeOffset.UnixEpoch));
        Assert.Equal(["billing.iban"], e.Errors.Keys);
        Assert.Equal("FI2112345600000785", trader.Profile.Billing!.Iban);
    }

    [Fact]
    public void Update_AllBillingRemoved_LeavesNoDetails()
    {
        var trader = Trader.Register("t1", Profile() with { Billing = Billing() with { EInvoiceAddress = null, EInvoiceOperator = null } }, "u", DateTimeOffset.UnixEpoch);
        trader.Update(new TraderChanges(null, null, null, null, new TraderBilling("", "", "", "", "", "", null, null)), DateTimeOffset.UnixEpoch);
        Assert.Null(trader.Profile!.Billing);
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
