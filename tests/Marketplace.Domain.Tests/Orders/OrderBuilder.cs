using Marketplace.Domain.Listings;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Tests.Listings;
using Marketplace.Domain.Traders;

namespace Marketplace.Domain.Tests.Orders;

/// <summary>Orders on the fixed clock of <see cref="ListingBuilder"/>: bricks at Helsinki, held by "buyer", sold by "seller".</summary>
internal static class OrderBuilder
{
    public static readonly OrderActor Buyer = new("person-b", "buyer", "web");

    public static readonly OrderActor Seller = new("person-s", "seller", "web");

    public static readonly OrderActor Stranger = new("person-x", "stranger", "web");

    public static readonly OrderActor Admin = new("admin-1", null, "web", PlatformAdmin: true);

    /// <summary>A point in Espoo, about 16 km west of the lot.</summary>
    public static readonly OrderAddress Espoo = new("Otaniementie 1", "02150", "Espoo", 60.1841, 24.8301);

    public static Trader BuyerFirm(TraderBilling? billing = null) => Trader.Register("buyer", new TraderProfile
    {
        Name = "Rakennus Oy",
        BusinessId = "1572860-0",
        Contact = new TraderContact("Maija", "maija@rakennus.example", null),
        Roles = ["buyer"],
        Billing = billing,
    }, "person-b", ListingBuilder.Now);

    public static (Listing Lot, Hold Hold) HeldLot(decimal quantity = 400, bool delivery = true)
    {
        var lot = Listing.Create("lot-1", "seller", ListingBuilder.Bricks() with { Delivery = delivery }, Marketplace.Domain.Materials.MaterialTaxonomy.Default, ListingBuilder.Now);
        lot.Publish(ListingBuilder.Now);
        var hold = lot.PlaceHold("hold-1", "buyer", quantity, ListingBuilder.Now.AddDays(7), ListingBuilder.Now);
        return (lot, hold);
    }

    public static Checkout Checkout(string fulfilment = "pickup", string method = "invoice", InvoicingDetails? invoicing = null)
        => new("lot-1", "hold-1", fulfilment, Espoo, method, invoicing ?? new InvoicingDetails(null, null, null, "ap@rakennus.example"));

    public static Order Placed(string fulfilment = "pickup", string method = "invoice", OrderTerms? terms = null)
    {
        var (lot, _) = HeldLot();
        var order = Order.Place("order-1", Buyer, Checkout(fulfilment, method), lot, BuyerFirm(), "123456", terms ?? OrderTerms.Default, ListingBuilder.Now);
        order.Authorized(new PaymentChange(method == "card" ? "pi_1" : null, method == "card" ? "requires_capture" : "pending"), ListingBuilder.Now);
        return order;
    }

    public static Order Accepted(string method = "invoice")
    {
        var order = Placed(method: method);
        order.Accept(Seller, method == "card" ? new PaymentChange("pi_1", "succeeded") : null,
            method == "card" ? null : new InvoiceIssue("2026-000001", "10003", "RF4810003"), ListingBuilder.Now.AddHours(1));
        return order;
    }

    public static Order HandedOver(string method = "invoice")
    {
        var order = Accepted(method);
        order.HandOver(Buyer, null, ListingBuilder.Now.AddDays(1));
        return order;
    }
}
