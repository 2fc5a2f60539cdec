using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Tests.Matching;

public class MatchingSessionTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static MatchingSession Proposed()
    {
        var session = new MatchingSession();
        session.Propose("lot-1-demand-1", new SessionProposal("lot-1", "seller", "demand-1", "buyer", 30, "t", 30, "t", 100, 12), Now, TimeSpan.FromDays(3));
        return session;
    }

    private static TraderProfile Buyer(TraderBilling? billing) => new()
    {
        Name = "Rakentaja Oy",
        BusinessId = "1572860-0",
        Municipality = "Vantaa",
        Contact = new TraderContact("Aino", "aino@rakentaja.example", null),
        Roles = ["buyer"],
        Billing = billing,
    };

    [Fact]
    public void CheckoutFor_NothingGiven_IsPickupByInvoice_AtTheDemandsPoint_WithTheBillingAddress()
    {
        var session = Proposed();
        var billing = new TraderBilling(null, null, "Tikkurilantie 1", "01300", "Vantaa", "laskut@rakentaja.example", null, null);

        var checkout = session.CheckoutFor(null, "hold-1", new GeoPoint(60.29, 25.04), Buyer(billing));

        Assert.Equal(new Checkout("lot-1", "hold-1", "pickup", new OrderAddress("Tikkurilantie 1", "01300", "Vantaa", 60.29, 25.04), "invoice", null, "lot-1-demand-1"), checkout);
    }

    [Fact]
    public void CheckoutFor_WithoutBillingDetails_UsesTheFirmsMunicipality()
    {
        var checkout = Proposed().CheckoutFor(null, "hold-1", new GeoPoint(60.29, 25.04), Buyer(null));
        Assert.Equal(new OrderAddress("Vantaa", null, "Vantaa", 60.29, 25.04), checkout.Address);
    }

    [Fact]
    public void CheckoutFor_GivenDetails_WinOverTheDefaults_TheMatchNamesLotHoldAndItself()
    {
        var given = new Checkout("other-lot", "other-hold", "delivery", new OrderAddress("Työmaa 5", "00100", "Helsinki", 60.17, 24.94), "card",
            new InvoicingDetails(null, null, null, "ap@rakentaja.example"), "other-match");

        var checkout = Proposed().CheckoutFor(given, "hold-1", new GeoPoint(60.29, 25.04), Buyer(null));

        Assert.Equal(given with { ListingId = "lot-1", HoldId = "hold-1", MatchId = "lot-1-demand-1" }, checkout);
    }

    [Fact]
    public void Accept_AfterARefusedCheckout_UsesANewHoldId_AndTheOrderFollowsTheHold()
    {
        var session = Proposed();
        var first = session.Accept("buyer");
        session.CheckoutFailed(Now);
        var second = session.Accept("buyer");

        Assert.NotEqual(first, second);
        Assert.Equal(MatchStatus.Proposed, session.Status);
        session.Accepted(second, MatchingSession.OrderIdFor(second), Now);
        Assert.Equal("order-" + second, session.OrderId);
        Assert.Equal("match-not-open", Assert.Throws<DomainException>(() => session.CheckoutFailed(Now)).Code);
    }
}
