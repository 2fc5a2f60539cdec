using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Tests.Listings;
using Marketplace.Domain.Traders;
using static Marketplace.Domain.Tests.Orders.OrderBuilder;

namespace Marketplace.Domain.Tests.Orders;

public class TransferDocumentTests
{
    private static readonly DateTimeOffset HandedOver = ListingBuilder.Now.AddDays(1).AddHours(3);

    private static Trader SellerFirm() => Trader.Register("seller", new TraderProfile
    {
        Name = "Purku Oy",
        BusinessId = "1234567-1",
        Contact = new TraderContact("Pekka", "pekka@purku.example", "+358 40 123 4567"),
        Roles = ["seller"],
    }, "person-s", ListingBuilder.Now);

    private static TransferParties Parties() => TransferParties.From(SellerFirm(), BuyerFirm());

    /// <summary>An accepted order of 400 of a lot (marked as waste unless <paramref name="waste"/> is false), and the lot.</summary>
    private static (Order Order, Listing Lot) Accepted(bool waste = true, string fulfilment = "pickup")
    {
        var lot = Listing.Create("lot-1", "seller", ListingBuilder.Bricks() with { IsWaste = waste, Delivery = true }, MaterialTaxonomy.Default, ListingBuilder.Now);
        lot.Publish(ListingBuilder.Now);
        lot.PlaceHold("hold-1", "buyer", 400, ListingBuilder.Now.AddDays(7), ListingBuilder.Now);
        var order = Order.Place("order-1", Buyer, Checkout(fulfilment), lot, BuyerFirm(), "123456", OrderTerms.Default, ListingBuilder.Now);
        order.Authorized(new PaymentChange(null, "pending"), ListingBuilder.Now);
        order.Accept(Seller, null, new InvoiceIssue("2026-000001", "10003", "RF4810003"), ListingBuilder.Now.AddHours(1));
        return (order, lot);
    }

    private static (Order Order, Listing Lot) HandedOverWaste(string fulfilment = "pickup")
    {
        var (order, lot) = Accepted(fulfilment: fulfilment);
        order.HandOver(Buyer, null, HandedOver, Parties());
        return (order, lot);
    }

    [Fact]
    public void HandOver_WasteLot_MakesTheDocumentWithEveryFieldFromTheOrderAndTheLot()
    {
        var (order, lot) = HandedOverWaste();
        var d = order.GetTransferDocument(Seller);
        var details = lot.Details!;

        Assert.Equal(("SA-order-1", "order-1"), (d.Id, d.OrderId));
        Assert.Equal(new TransferParty("seller", "Purku Oy", "1234567-1"), d.Holder);
        Assert.Equal(new TransferContact("Pekka", "pekka@purku.example", "+358 40 123 4567"), d.HolderContact);
        Assert.Equal(details.Title, d.Waste.Description);
        Assert.Equal(details.Category, d.Waste.Category);
        Assert.Equal("17 01 02", details.WasteCode);
        Assert.Equal(details.WasteCode, d.Waste.WasteCode);
        Assert.False(d.Waste.Hazardous);
        Assert.Equal((order.Quantity, details.Unit), (d.Waste.Quantity, d.Waste.Unit));
        Assert.Equal(400m, d.Waste.Quantity);
        Assert.Equal(order.MassKg, d.Waste.MassKg);
        Assert.Equal(new TransferSite(details.Location!.Address, details.Location.Municipality, details.Location.Latitude, details.Location.Longitude), d.Origin);
        Assert.Equal("Hämeentie 1", d.Origin.Address);
        // A pickup: the buyer carries the waste to its own address.
        Assert.Equal(new TransferParty("buyer", "Rakennus Oy", "1572860-0"), d.Transporter);
        Assert.Equal("buyer", d.CarriedBy);
        Assert.Equal(new TransferParty("buyer", "Rakennus Oy", "1572860-0"), d.Receiver);
        Assert.Equal(order.Address, d.Destination);
        Assert.Equal(Espoo, d.Destination);
        Assert.Equal((order.HandedOverAt, new DateOnly(2026, 11, 28)), ((DateTimeOffset?)d.HandedOverAt, d.HandoverDate));
        Assert.Equal((null, null, "awaiting-signatures"), (d.HolderSignature, d.ReceiverSignature, d.Status));
        Assert.Contains(order.Audit, e => e.Change.Contains("transfer document SA-order-1 made (17 01 02)", StringComparison.Ordinal));
    }

    [Fact]
    public void HandOver_Delivery_NamesTheSellerAsTransporter()
    {
        var (order, _) = HandedOverWaste("delivery");

        var d = order.GetTransferDocument(Buyer);

        Assert.Equal((d.Holder, "seller"), (d.Transporter, d.CarriedBy));
    }

    [Fact]
    public void HandOver_LotNotMarkedAsWaste_MakesNoDocument()
    {
        var (order, _) = Accepted(waste: false);
        order.HandOver(Buyer, null, HandedOver, Parties());

        Assert.Null(order.TransferDocument);
        var e = Assert.Throws<DomainException>(() => order.GetTransferDocument(Seller));
        Assert.Equal("transfer-document-not-found", e.Code);
    }

    [Fact]
    public void Sign_BySellerAndBuyer_SignsAndThenRefusesEveryChange()
    {
        var (order, _) = HandedOverWaste();
        order.SignTransferDocument(Seller, HandedOver.AddMinutes(5));
        order.SignTransferDocument(Seller, HandedOver.AddMinutes(6));
        order.SignTransferDocument(Buyer, HandedOver.AddMinutes(7));
        var signed = order.TransferDocument!;
        var version = order.Version;

        Assert.Equal("signed", signed.Status);
        Assert.Equal(new TransferSignature("person-s", "seller", HandedOver.AddMinutes(5)), signed.HolderSignature);
        Assert.Equal(new TransferSignature("person-b", "buyer", HandedOver.AddMinutes(7)), signed.ReceiverSignature);
        foreach (var attempt in new Action[]
                 {
                     () => order.ChangeTransferDocument(Seller, new TransferChanges(null, "Bricks with mortar"), HandedOver.AddHours(1)),
                     () => order.ChangeTransferDocument(Buyer, new TransferChanges(new TransferPartyInput("Kuljetus Oy", "2428040-6"), null), HandedOver.AddHours(1)),
                     () => order.SignTransferDocument(Buyer, HandedOver.AddHours(1)),
                 })
        {
            var e = Assert.Throws<DomainException>(attempt);
            Assert.Equal(("transfer-document-signed", DomainErrorKind.Conflict), (e.Code, e.Kind));
        }

        Assert.Same(signed, order.TransferDocument);
        Assert.Equal(version, order.Version);
    }

    [Fact]
    public void Change_AfterOneSignature_NamesTheCarrierAndVoidsTheSignature()
    {
        var (order, _) = HandedOverWaste();
        order.SignTransferDocument(Seller, HandedOver.AddMinutes(5));

        order.ChangeTransferDocument(Buyer, new TransferChanges(new TransferPartyInput(" Kuljetus Oy ", "2428040-6"), null), HandedOver.AddMinutes(9));

        var d = order.TransferDocument!;
        Assert.Equal((new TransferParty(null, "Kuljetus Oy", "2428040-6"), "other"), (d.Transporter, d.CarriedBy));
        Assert.Null(d.HolderSignature);
        var invalid = Assert.Throws<DomainException>(() => order.ChangeTransferDocument(Buyer, new TransferChanges(new TransferPartyInput("X", "1234567-2"), null), HandedOver));
        Assert.Equal("validation-failed", invalid.Code);
        Assert.Contains("transporter.businessId", invalid.Errors!.Keys);

        // A description given must say something: empty or blank is refused, and the document keeps its own.
        foreach (var blank in new[] { "", "   " })
        {
            var empty = Assert.Throws<DomainException>(() => order.ChangeTransferDocument(Buyer, new TransferChanges(null, blank), HandedOver.AddMinutes(10)));
            Assert.Contains("description", empty.Errors!.Keys);
        }

        Assert.False(string.IsNullOrWhiteSpace(order.TransferDocument!.Waste.Description));
    }

    [Fact]
    public void TransferDocument_StrangersGetNotFound_AdminsReadButDoNotSign()
    {
        var (order, _) = HandedOverWaste();

        Assert.Equal("order-not-found", Assert.Throws<DomainException>(() => order.GetTransferDocument(Stranger)).Code);
        Assert.Equal("order-not-found", Assert.Throws<DomainException>(() => order.SignTransferDocument(Stranger, HandedOver)).Code);
        Assert.Equal("SA-order-1", order.GetTransferDocument(Admin).Id);
        Assert.Equal("party-only", Assert.Throws<DomainException>(() => order.SignTransferDocument(Admin, HandedOver)).Code);
    }
}
