using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Tests.Storage;
using Marketplace.Payments;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>
/// A match ends in an order: accepting places the order for the match's hold, the seller's confirmation is the order's
/// acceptance (the hold is sold once), declining or expiry before it cancels the order; retries do their work once.
/// </summary>
public sealed class MatchOrderTests(FlakyMatchingClusterFixture fixture) : IClassFixture<FlakyMatchingClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    private FlakyGrainStorage Storage => fixture.Storage;

    /// <summary>A place of its own for each test, far from the others' (and from the other matching tests').</summary>
    private static GeoPoint Place(int test) => new(60.55 + (test * 0.9), 28.4 - (test * 0.6));

    private sealed record Deal(string Seller, string Buyer, IListingGrain Lot, IDemandGrain Demand, IMatchingSessionGrain Session)
    {
        public OrderActor BuyerActor => new("person-b", Buyer, null);

        public OrderActor SellerActor => new("person-s", Seller, null);
    }

    /// <summary>A seller's lot of 100 t and a buyer's demand for 30 t, proposed to each other.</summary>
    private async Task<Deal> ProposedAsync(int test)
    {
        var seller = await TestClusters.RegisterFirmAsync(Grains, "seller");
        var buyer = await TestClusters.RegisterFirmAsync(Grains, "buyer");
        var lot = await MatchingGrainTests.LotAsync(Grains, seller, Place(test), 100);
        var demand = await MatchingGrainTests.DemandAsync(Grains, buyer, Place(test), 30);
        var session = Grains.GetGrain<IMatchingSessionGrain>((await MatchingGrainTests.WaitForMatchesAsync(Grains, buyer, 1))[0].Id);
        return new Deal(seller, buyer, lot, demand, session);
    }

    private Task<Order> OrderAsync(string orderId, OrderActor actor) => Grains.GetGrain<IOrderGrain>(orderId).GetAsync(actor);

    [Fact]
    public async Task Accept_PlacesTheOrderForTheMatchsHold_WithTheBuyersDefaults_AndBothNameEachOther()
    {
        var deal = await ProposedAsync(0);

        var accepted = await deal.Session.AcceptAsync(deal.Buyer, actor: deal.BuyerActor);

        Assert.Equal(MatchStatus.Accepted, accepted.Status);
        var order = await OrderAsync(accepted.OrderId!, deal.BuyerActor);
        Assert.Equal((OrderStatus.Placed, accepted.Id, accepted.HoldId, 30m), (order.Status, order.MatchId, order.HoldId, order.Quantity));
        Assert.Equal((deal.Buyer, deal.Seller), (order.BuyerId, order.SellerId));
        Assert.Equal((Fulfilment.Pickup, PaymentMethod.Invoice), (order.Fulfilment, order.Payment!.Method));
        Assert.Equal("test@firm.example", order.Invoicing!.Email);
        Assert.Equal((Place(0).Latitude, Place(0).Longitude), (order.Address!.Latitude!.Value, order.Address.Longitude!.Value));
        Assert.Equal((70m, 30m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task Confirm_AcceptsTheOrder_TheHoldIsSoldOnce_AndTheDemandRecordsThePurchase()
    {
        var deal = await ProposedAsync(1);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer);

        var confirmed = await deal.Session.ConfirmAsync(deal.Seller, deal.SellerActor);

        Assert.Equal(MatchStatus.Confirmed, confirmed.Status);
        var order = await OrderAsync(accepted.OrderId!, deal.SellerActor);
        Assert.Equal(OrderStatus.Accepted, order.Status);
        Assert.NotNull(order.Invoice);
        var lot = (await deal.Lot.GetAsync())!;
        Assert.Equal((70m, 0m, 30m), (lot.Available, lot.Held, lot.Sold));
        Assert.Equal((DemandStatus.Fulfilled, 30m), ((await deal.Demand.GetAsync())!.Status, (await deal.Demand.GetAsync())!.Bought));
        Assert.Equal("match-not-accepted", (await Assert.ThrowsAsync<DomainException>(() => deal.Session.ConfirmAsync(deal.Seller))).Code);
    }

    [Fact]
    public async Task Decline_BeforeConfirmation_CancelsTheOrder_AndTheQuantityIsFreeAgain()
    {
        var deal = await ProposedAsync(2);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer);

        var declined = await deal.Session.DeclineAsync(deal.Seller, deal.SellerActor);

        Assert.Equal(MatchStatus.Declined, declined.Status);
        var order = await OrderAsync(accepted.OrderId!, deal.BuyerActor);
        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.Equal("The seller declined the match.", order.Reason);
        var lot = (await deal.Lot.GetAsync())!;
        Assert.Equal((100m, 0m, 0m), (lot.Available, lot.Held, lot.Sold));
    }

    [Fact]
    public async Task Expiry_BeforeConfirmation_CancelsTheOrder_WithoutAnyRequest()
    {
        var deal = await ProposedAsync(3);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer);

        // Sessions of this cluster expire 3 s after their proposal; the reminder ends it and its order.
        var ended = await Eventually.TrueAsync(async () => (await OrderAsync(accepted.OrderId!, deal.BuyerActor)).Status == OrderStatus.Cancelled, TimeSpan.FromSeconds(30));

        Assert.True(ended, "the expired match's order was not cancelled");
        // Expired, or (once the freed quantity reached the partition) proposed again in a new round.
        var now = (await deal.Session.GetAsync())!;
        Assert.True(now.Status == MatchStatus.Expired || (now.Status == MatchStatus.Proposed && now.Round > accepted.Round), $"the match is {now.Status} in round {now.Round}");
        Assert.Equal((100m, 0m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task Accept_WithRefusedCheckoutDetails_LetsTheHoldGo_AndTheMatchCanBeAcceptedAgain()
    {
        var deal = await ProposedAsync(4);

        var refused = await Assert.ThrowsAsync<DomainException>(() => deal.Session.AcceptAsync(deal.Buyer, new Checkout(null, null, "teleport", null, "barter", null)));

        Assert.Equal("validation-failed", refused.Code);
        Assert.Contains("fulfilment", refused.Errors.Keys);
        Assert.Equal(MatchStatus.Proposed, (await deal.Session.GetAsync())!.Status);
        Assert.Equal((100m, 0m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));

        var address = new OrderAddress("Työmaa 5", "00100", "Helsinki", Place(4).Latitude, Place(4).Longitude);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer, new Checkout(null, null, "pickup", address, "invoice", new InvoicingDetails(null, null, null, "ap@buyer.example")));
        var order = await OrderAsync(accepted.OrderId!, deal.BuyerActor);
        Assert.Equal(("Työmaa 5", "ap@buyer.example"), (order.Address!.Address, order.Invoicing!.Email));
        Assert.Equal((70m, 30m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task Accept_WhoseSaveFails_RetriedPlacesOneHoldAndOneOrder()
    {
        var deal = await ProposedAsync(5);
        var sessionId = deal.Session.GetGrainId();
        // The acceptance's own save fails, after its hold and order were placed (its "accepting" mark is stored).
        Storage.FailWrites = (name, grain, state) => name == "match" && grain == sessionId && state is MatchingSession { Status: MatchStatus.Accepted };
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => deal.Session.AcceptAsync(deal.Buyer));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        var accepted = await deal.Session.AcceptAsync(deal.Buyer);

        Assert.Equal(MatchStatus.Accepted, accepted.Status);
        Assert.Equal((70m, 30m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
        Assert.Equal(accepted.HoldId, (await OrderAsync(accepted.OrderId!, deal.BuyerActor)).HoldId);
    }

    [Fact]
    public async Task Confirm_WhoseSaveFails_RetriedSellsOnce_AndRecordsThePurchaseOnce()
    {
        var deal = await ProposedAsync(6);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer);
        var sessionId = deal.Session.GetGrainId();
        Storage.FailWrites = (name, grain, _) => name == "match" && grain == sessionId;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => deal.Session.ConfirmAsync(deal.Seller));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        var confirmed = await deal.Session.ConfirmAsync(deal.Seller);

        Assert.Equal(MatchStatus.Confirmed, confirmed.Status);
        Assert.Equal(OrderStatus.Accepted, (await OrderAsync(accepted.OrderId!, deal.SellerActor)).Status);
        var lot = (await deal.Lot.GetAsync())!;
        Assert.Equal((70m, 0m, 30m), (lot.Available, lot.Held, lot.Sold));
        Assert.Equal(30m, (await deal.Demand.GetAsync())!.Bought);
    }

    [Fact]
    public async Task Confirm_AfterTheOrderWasCancelled_Is409_AndTheMatchExpires()
    {
        var deal = await ProposedAsync(7);
        var accepted = await deal.Session.AcceptAsync(deal.Buyer);
        await Grains.GetGrain<IOrderGrain>(accepted.OrderId!).CancelAsync(deal.BuyerActor, "Found another lot.");

        var e = await Assert.ThrowsAsync<DomainException>(() => deal.Session.ConfirmAsync(deal.Seller));

        Assert.Equal("match-order-cancelled", e.Code);
        // The cancellation gave the lot its quantity back, so the partition may already have proposed the pair again
        // (a new round may follow an expiry): the accepted round expired either way.
        var after = (await deal.Session.GetAsync())!;
        Assert.Equal(after.Round == accepted.Round ? MatchStatus.Expired : MatchStatus.Proposed, after.Status);
        Assert.InRange(after.Round, accepted.Round, accepted.Round + 1);
        Assert.Equal((100m, 0m, 0m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held, (await deal.Lot.GetAsync())!.Sold));
    }
    [Fact]
    public async Task Decline_AfterAnAcceptanceCutOffBeforeItsOrder_ReleasesTheHoldItPlaced()
    {
        var deal = await ProposedAsync(8);
        // The hold is placed, then the order cannot be stored (a crash there, as far as the session knows).
        Storage.FailWrites = (name, _, state) => name == "order" && state is Order { Exists: true, MatchId: not null } o && o.SellerId == deal.Seller;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => deal.Session.AcceptAsync(deal.Buyer));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        Assert.Equal((70m, 30m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
        Assert.Equal(MatchStatus.Proposed, (await deal.Session.GetAsync())!.Status);

        var declined = await deal.Session.DeclineAsync(deal.Buyer, deal.BuyerActor);

        Assert.Equal(MatchStatus.Declined, declined.Status);
        Assert.Equal((100m, 0m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
    }

    [Fact]
    public async Task Expiry_AfterAnAcceptanceWhoseSaveFailed_CancelsItsOrder_AndFreesTheLot()
    {
        var deal = await ProposedAsync(9);
        var sessionId = deal.Session.GetGrainId();
        var holdId = (await deal.Session.GetAsync())!.NextHoldId;
        Storage.FailWrites = (name, grain, state) => name == "match" && grain == sessionId && state is MatchingSession { Status: MatchStatus.Accepted };
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => deal.Session.AcceptAsync(deal.Buyer));
        }
        finally
        {
            Storage.FailWrites = null;
        }

        var orderId = MatchingSession.OrderIdFor(holdId);
        Assert.Equal(OrderStatus.Placed, (await OrderAsync(orderId, deal.BuyerActor)).Status);

        // Sessions of this cluster expire 3 s after their proposal; the reminder lets the unfinished acceptance go.
        var ended = await Eventually.TrueAsync(async () => (await OrderAsync(orderId, deal.BuyerActor)).Status == OrderStatus.Cancelled, TimeSpan.FromSeconds(30));

        Assert.True(ended, "the order of the acceptance whose save failed was not cancelled when its match expired");
        Assert.Equal((100m, 0m), ((await deal.Lot.GetAsync())!.Available, (await deal.Lot.GetAsync())!.Held));
    }
}
