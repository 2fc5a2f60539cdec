using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;

namespace Marketplace.Domain.Tests.Listings;

public class ListingOrderTests
{
    private static readonly DateTimeOffset Now = ListingBuilder.Now;

    [Fact]
    public void ReturnSold_OfASoldOutLot_ReopensItOncePerOrder()
    {
        var lot = ListingBuilder.Active(100);
        lot.PlaceHold("h1", "buyer", 100, Now.AddDays(1), Now);
        lot.ConfirmHold("h1", "seller", Now);
        Assert.Equal(ListingStatus.SoldOut, lot.Status);

        Assert.True(lot.ReturnSold("order-1", 100, Now));
        Assert.False(lot.ReturnSold("order-1", 100, Now));

        Assert.Equal((ListingStatus.Active, 0m, 100m), (lot.Status, lot.Sold, lot.Available));
        Assert.Equal(lot.ListedQuantity, lot.Available + lot.Held + lot.Sold);
    }

    [Fact]
    public void ReturnSold_MoreThanSold_Conflicts()
    {
        var lot = ListingBuilder.Active(100);
        lot.PlaceHold("h1", "buyer", 10, Now.AddDays(1), Now);
        lot.ConfirmHold("h1", "seller", Now);

        Assert.Equal("return-exceeds-sold", Assert.Throws<DomainException>(() => lot.ReturnSold("order-1", 11, Now)).Code);
        Assert.Equal(10, lot.Sold);
    }

    [Fact]
    public void AttachOrder_KeepsTheHoldPastItsExpiryAndOnlyTheOrderConfirmsIt()
    {
        var lot = ListingBuilder.Active(100);
        lot.PlaceHold("h1", "buyer", 10, Now.AddHours(1), Now);

        lot.AttachOrder("h1", "buyer", "order-1", Now.AddDays(7), Now);
        lot.ExpireIfDue(Now.AddHours(2));

        Assert.True(lot.Holds[0].IsActive);
        Assert.Equal("hold-belongs-to-order", Assert.Throws<DomainException>(() => lot.ConfirmHold("h1", "seller", Now)).Code);
        Assert.Equal("hold-belongs-to-order", Assert.Throws<DomainException>(() => lot.ReleaseHold("h1", "buyer", Now)).Code);
        Assert.Equal("hold-ordered", Assert.Throws<DomainException>(() => lot.AttachOrder("h1", "buyer", "order-2", Now.AddDays(7), Now)).Code);
        lot.ConfirmHold("h1", "seller", Now, orderId: "order-1");
        lot.ConfirmHold("h1", "seller", Now, orderId: "order-1");

        Assert.Equal(10, lot.Sold);
    }
}
