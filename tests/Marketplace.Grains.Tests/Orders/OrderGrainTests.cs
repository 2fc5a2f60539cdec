using System.Collections.Concurrent;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Carbon;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Tests.Storage;
using Marketplace.Payments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Core.Internal;

namespace Marketplace.Grains.Tests.Orders;

/// <summary>The order grain over a one-silo cluster: its deadline, its retries and its lot steps.</summary>
public sealed class OrderGrainTests
{
    private static readonly OrderAddress Espoo = new("Otaniementie 1", "02150", "Espoo", 60.1841, 24.8301);

    [Fact]
    public async Task Order_NotAcceptedInTime_IsCancelledWithItsPaymentAndTheHoldReleased_WithoutAnyRequest()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var gateway = new RecordingGateway();
        var settings = TestClusters.Settings("Memory");
        settings["Orders:AcceptanceWindow"] = "00:00:03";
        settings["Orders:SweepPeriod"] = "00:00:01";
        await using var cluster = await TestClusters.StartAsync(settings, configure: silo =>
        {
            TestClusters.MarketClock(clock)(silo);
            gateway.Use(silo);
        });
        var (lot, order, buyer) = await PlaceAsync(cluster.Client);

        // The reminder is due in 3 s of real time; by then the marketplace's clock is past the acceptance deadline.
        clock.Advance(TimeSpan.FromSeconds(10));
        var cancelled = await Eventually.TrueAsync(
            async () => (await order.GetAsync(buyer)).Status == OrderStatus.Cancelled, TimeSpan.FromSeconds(30));

        Assert.True(cancelled, "the order was not cancelled within 30 s of its acceptance deadline");
        Assert.Contains(("cancel", order.GetPrimaryKeyString()), gateway.Calls);
        var state = (await lot.GetAsync())!;
        Assert.Equal(HoldStatus.Released, state.Holds.Single().Status);
        Assert.Equal(state.ListedQuantity, state.Available);
        Assert.Equal("system", (await order.GetAsync(buyer)).Audit[^1].Actor);
    }

    [Fact]
    public async Task Accept_RetriedAfterAFailedWrite_SellsOnceWithOneInvoiceNumber()
    {
        var gateway = new RecordingGateway();
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"), configure: silo =>
        {
            FlakyGrainStorage.Use(silo);
            gateway.Use(silo);
        });
        var storage = FlakyGrainStorage.Of(cluster);
        var (lot, order, _) = await PlaceAsync(cluster.Client);
        var seller = new OrderActor("person-s", (await lot.GetAsync())!.SellerId, "web");

        storage.FailWrites = (name, _, s) => name == "order" && s is Order { Status: OrderStatus.Accepted };
        await Assert.ThrowsAnyAsync<Exception>(() => order.AcceptAsync(seller));
        storage.FailWrites = null;
        var accepted = await order.AcceptAsync(seller);

        Assert.Equal(OrderStatus.Accepted, accepted.Status);
        var state = (await lot.GetAsync())!;
        Assert.Equal((40m, 0m), (state.Sold, state.Held));
        Assert.Equal(2, gateway.Calls.Count(c => c.Step == "capture"));
        Assert.Equal($"{MarketClock.Today(DateTimeOffset.UtcNow).Year}-000001", accepted.Invoice!.Number);
    }

    /// <summary>
    /// The firms' lists hear of a new order before it is stored: a failure between the two writes (a host dying) leaves
    /// entries the lists skip, never a stored order missing from them (probe 16), and the retry lists it once.
    /// </summary>
    [Fact]
    public async Task Checkout_WhoseOrderWriteFails_IsInBothFirmsListsAlready_AndItsRetryListsItOnce()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"), configure: FlakyGrainStorage.Use);
        var storage = FlakyGrainStorage.Of(cluster);
        var grains = cluster.Client;
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyerId = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(grains, seller, 100);
        await lot.PlaceHoldAsync(buyerId, "h1", 40, DateTimeOffset.UtcNow.AddHours(1));
        var buyer = new OrderActor("person-b", buyerId, "web");
        var id = "order-" + Guid.NewGuid().ToString("N");
        var checkout = new Checkout(lot.GetPrimaryKeyString(), "h1", "pickup", Espoo, "invoice", null);

        storage.FailWrites = (name, _, _) => name == "order";
        await Assert.ThrowsAnyAsync<Exception>(() => grains.GetGrain<IOrderGrain>(id).CheckoutAsync(buyer, checkout));
        Assert.Equal([id], await grains.GetGrain<IOrderIndexGrain>(buyerId).ListAsync(null, null));
        Assert.Equal([id], await grains.GetGrain<IOrderIndexGrain>(seller).ListAsync(null, null));

        storage.FailWrites = null;
        var placed = await grains.GetGrain<IOrderGrain>(id).CheckoutAsync(buyer, checkout);
        Assert.Equal(OrderStatus.Placed, placed.Status);
        Assert.Equal([id], await grains.GetGrain<IOrderIndexGrain>(buyerId).ListAsync(null, null));
        Assert.Equal([id], await grains.GetGrain<IOrderIndexGrain>(seller).ListAsync(null, null));
    }

    [Fact]
    public async Task Cancel_AnAcceptedOrder_ReturnsItsQuantityToTheLot()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var (lot, order, buyer) = await PlaceAsync(cluster.Client);
        var seller = new OrderActor("person-s", (await lot.GetAsync())!.SellerId, "web");
        await order.AcceptAsync(seller);

        var cancelled = await order.CancelAsync(buyer, "Plans changed");

        Assert.Equal(OrderStatus.Cancelled, cancelled.Status);
        var state = (await lot.GetAsync())!;
        Assert.Equal((0m, 100m), (state.Sold, state.Available));
        var index = await cluster.Client.GetGrain<IOrderIndexGrain>(buyer.TraderId!).ListAsync("buyer", "cancelled");
        Assert.Equal([order.GetPrimaryKeyString()], index);
    }

    [Fact]
    public async Task Complete_StoresTheCarbonFigureAndCountsItInTheRegionAndBothFirms()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var (lot, order, buyer) = await PlaceAsync(cluster.Client);
        var seller = new OrderActor("person-s", (await lot.GetAsync())!.SellerId, "web");
        await order.AcceptAsync(seller);
        await order.HandOverAsync(buyer, null);

        var completed = await order.CompleteAsync(buyer);

        // 40 bricks of 2.5 kg carried the order's great-circle distance, by the configured calculator.
        var calculator = cluster.Silos[0].SiloHost.Services.GetRequiredService<ICarbonCalculator>();
        var expected = calculator.Calculate(new CarbonInput("masonry/bricks", "A", 100m, completed.DistanceKm));
        Assert.Equal(expected.AvoidedKgCo2e, completed.Carbon!.AvoidedKgCo2e);
        Assert.Equal(expected.FactorIds, completed.Carbon.FactorIds);
        foreach (var key in new[] { CarbonLedgers.Region, seller.TraderId!, buyer.TraderId! })
        {
            var totals = await cluster.Client.GetGrain<ICarbonLedgerGrain>(key).GetTotalsAsync();
            Assert.Equal((1, expected.AvoidedKgCo2e), (totals.Overall.Orders, totals.Overall.AvoidedKgCo2e));
        }

        Assert.True((await order.GetAsync(buyer)).CarbonRecorded);
    }

    [Fact]
    public async Task HandOver_WrongPickupCodes_AreCountedInStorage_SoTheBoundHoldsAcrossActivations()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var (lot, order, buyer) = await PlaceAsync(cluster.Client);
        var seller = new OrderActor("person-s", (await lot.GetAsync())!.SellerId, "web");
        await order.AcceptAsync(seller);
        var code = (await order.GetAsync(buyer)).PickupCode;
        var wrong = code == "000000" ? "000001" : "000000";

        for (var i = 1; i <= Order.MaxWrongPickupCodes; i++)
        {
            var refused = await Assert.ThrowsAsync<DomainException>(() => order.HandOverAsync(seller, wrong));
            Assert.Equal(i < Order.MaxWrongPickupCodes ? "pickup-code-wrong" : "pickup-code-locked", refused.Code);
            // Each attempt lands on a fresh activation, as after a restart or on another silo.
            await order.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        }

        Assert.Equal("pickup-code-locked", (await Assert.ThrowsAsync<DomainException>(() => order.HandOverAsync(seller, code))).Code);
        Assert.Equal(OrderStatus.Accepted, (await order.GetAsync(buyer)).Status);
        Assert.Equal(OrderStatus.HandedOver, (await order.HandOverAsync(buyer, null)).Status);
    }

    [Fact]
    public async Task Invoice_UnpaidAfterItsDueDate_IsListedOverdueForItsSellerAndAdmins_UntilPaid()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"), configure: TestClusters.MarketClock(clock));
        var (lot, order, _) = await PlaceAsync(cluster.Client);
        var seller = new OrderActor("person-s", (await lot.GetAsync())!.SellerId, "web");
        var accepted = await order.AcceptAsync(seller);
        var register = cluster.Client.GetGrain<IInvoiceRegisterGrain>("platform");
        var id = order.GetPrimaryKeyString();

        Assert.DoesNotContain(id, await register.OverdueAsync(null, MarketClock.Today(clock.GetUtcNow())));
        clock.Advance(TimeSpan.FromDays(16));
        var today = MarketClock.Today(clock.GetUtcNow());

        Assert.Equal([id], await register.OverdueAsync(seller.TraderId, today));
        Assert.Contains(id, await register.OverdueAsync(null, today));
        Assert.Empty(await register.OverdueAsync("another-seller", today));
        await order.RecordInvoicePaymentAsync(seller, new InvoicePaymentInput(accepted.Totals!.GrossMinor, null, "paid late"));
        Assert.Empty(await register.OverdueAsync(seller.TraderId, today));
    }

    [Fact]
    public async Task Checkout_ByCardWithoutACardGateway_IsRefusedAndTheHoldStaysFree()
    {
        await using var cluster = await TestClusters.StartAsync(TestClusters.Settings("Memory"));
        var seller = await TestClusters.RegisterFirmAsync(cluster.Client, "seller");
        var buyerId = await TestClusters.RegisterFirmAsync(cluster.Client, "buyer");
        var lot = await TestClusters.ActiveLotAsync(cluster.Client, seller, 100);
        await lot.PlaceHoldAsync(buyerId, "h1", 40, DateTimeOffset.UtcNow.AddDays(1));
        var buyer = new OrderActor("person-b", buyerId, "web");

        var e = await Assert.ThrowsAsync<DomainException>(() => cluster.Client.GetGrain<IOrderGrain>("o-card")
            .CheckoutAsync(buyer, new Checkout(lot.GetPrimaryKeyString(), "h1", "pickup", Espoo, "card", null)));

        Assert.Equal("payment-method-unavailable", e.Code);
        Assert.Null((await lot.GetAsync())!.Holds.Single().OrderId);
    }

    private static async Task<(IListingGrain Lot, IOrderGrain Order, OrderActor Buyer)> PlaceAsync(IGrainFactory grains)
    {
        var seller = await TestClusters.RegisterFirmAsync(grains, "seller");
        var buyerId = await TestClusters.RegisterFirmAsync(grains, "buyer");
        var lot = await TestClusters.ActiveLotAsync(grains, seller, 100);
        await lot.PlaceHoldAsync(buyerId, "h1", 40, DateTimeOffset.UtcNow.AddHours(1));
        var buyer = new OrderActor("person-b", buyerId, "web");
        var order = grains.GetGrain<IOrderGrain>("order-" + Guid.NewGuid().ToString("N"));
        await order.CheckoutAsync(buyer, new Checkout(lot.GetPrimaryKeyString(), "h1", "pickup", Espoo, "invoice", null));
        return (lot, order, buyer);
    }

    /// <summary>An invoice gateway that records each step it is asked for.</summary>
    private sealed class RecordingGateway : IPaymentGateway
    {
        public ConcurrentQueue<(string Step, string OrderId)> Calls { get; } = new();

        public PaymentMethod Method => PaymentMethod.Invoice;

        public void Use(ISiloBuilder silo)
        {
            silo.Services.RemoveAll<IPaymentGateway>();
            silo.Services.AddSingleton<IPaymentGateway>(this);
        }

        public Task<PaymentState> AuthorizeAsync(PaymentRequest request, CancellationToken cancellationToken = default)
            => Step("authorize", request.OrderId, "pending");

        public Task<PaymentState> GetAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
            => Step("read", orderId, "pending");

        public Task<PaymentState> CaptureAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
            => Step("capture", orderId, "invoiced");

        public Task<PaymentState> CancelAsync(string orderId, string? externalId, CancellationToken cancellationToken = default)
            => Step("cancel", orderId, "canceled");

        public Task<RefundState> RefundAsync(string orderId, string? externalId, Money amount, string step, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue(("refund-" + step, orderId));
            return Task.FromResult(new RefundState(null, amount, "credited"));
        }

        private Task<PaymentState> Step(string step, string orderId, string status)
        {
            Calls.Enqueue((step, orderId));
            return Task.FromResult(new PaymentState(null, status));
        }
    }
}
