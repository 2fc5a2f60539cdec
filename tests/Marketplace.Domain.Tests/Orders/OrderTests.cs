using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;
using Marketplace.Domain.Tests.Listings;
using Marketplace.Payments;
using static Marketplace.Domain.Tests.Orders.OrderBuilder;

namespace Marketplace.Domain.Tests.Orders;

public class OrderTests
{
    private static readonly DateTimeOffset Now = ListingBuilder.Now;

    [Fact]
    public void Place_Pickup_PricesGoodsVatAndFeeInMinorUnits()
    {
        var order = Placed();

        // 400 bricks at 0.45: 180.00 net, VAT 25.5 % = 45.90, fee 5 % = 9.00.
        Assert.Equal(OrderStatus.Placed, order.Status);
        var line = Assert.Single(order.Lines);
        Assert.Equal(("goods", 18000L, 4590L), (line.Kind, line.NetMinor, line.VatMinor));
        Assert.Equal(new OrderTotals("EUR", 18000, 0, 18000, 4590, 22590, 900, 21690), order.Totals);
        Assert.Equal(400m * 2.5m, order.MassKg);
        Assert.Equal(Now + TimeSpan.FromDays(7), order.AcceptBy);
    }

    [Fact]
    public void Place_Delivery_ChargesEveryStartedKilometreOfTheGreatCircleDistance()
    {
        var order = Placed(fulfilment: "delivery");

        var km = (decimal)SampleLots.Helsinki.DistanceKm(Espoo.Point);
        Assert.Equal(Math.Round(km, 1, MidpointRounding.AwayFromZero), order.DistanceKm);
        var delivery = Assert.Single(order.Lines, l => l.Kind == "delivery");
        Assert.Equal((long)Math.Ceiling(order.DistanceKm) * 150, delivery.NetMinor);
        Assert.Equal(PaymentVat(delivery.NetMinor), delivery.VatMinor);
        Assert.Equal(18000 + delivery.NetMinor, order.Totals!.NetMinor);
    }

    /// <summary>A priced lot is never given away by rounding: 1 cent a tonne for 0.4 t is 1 cent, not 0.</summary>
    [Theory]
    [InlineData(1, "0.4", 1)]
    [InlineData(1, "0.5", 1)]
    [InlineData(1, "1.5", 2)]
    [InlineData(3, "0.1", 1)]
    [InlineData(0, "0.4", 0)]
    public void GoodsNet_OfAPricedLot_IsAtLeastOneMinorUnit(long priceMinor, string quantity, long expected)
        => Assert.Equal(expected, OrderPricing.GoodsNet(priceMinor, decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Place_WithoutInvoicingDetails_TakesTheBuyersBillingDetails()
    {
        var (lot, _) = HeldLot();
        var buyer = BuyerFirm(new TraderBilling(null, null, null, null, null, null, "003715728600", "003721291126"));

        var order = Order.Place("order-1", Buyer, new Checkout("lot-1", "hold-1", "pickup", Espoo, null, null), lot, buyer, "123456", OrderTerms.Default, Now);

        Assert.Equal(new InvoicingDetails("1572860-0", "003715728600", "003721291126", null), order.Invoicing);
        Assert.Equal(PaymentMethod.Invoice, order.Payment!.Method);
    }

    [Fact]
    public void Place_BadInput_NamesEveryField()
    {
        var (lot, _) = HeldLot();
        var checkout = new Checkout(null, " ", "drone", new OrderAddress("", "123", null, 91, double.NaN), "cash",
            new InvoicingDetails("1234567-0", "0037", null, "not mail"));

        var e = Assert.Throws<DomainException>(() => Order.Place("o", Buyer, checkout, lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Equal("validation-failed", e.Code);
        Assert.Equal(
            ["address.address", "address.latitude", "address.longitude", "address.municipality", "address.postalCode", "fulfilment", "holdId", "listingId", "paymentMethod"],
            e.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Place_BadInvoicing_NamesTheInvoicingFields()
    {
        var (lot, _) = HeldLot();
        var checkout = Checkout(invoicing: new InvoicingDetails("1234567-0", "0037", null, "not mail"));

        var e = Assert.Throws<DomainException>(() => Order.Place("o", Buyer, checkout, lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Equal(["invoicing.businessId", "invoicing.eInvoiceAddress", "invoicing.eInvoiceOperator", "invoicing.email"], e.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("<b>x</b>", "003721291126")]
    [InlineData("../../etc/passwd", "003721291126")]
    [InlineData("003715728600", "?? operator")]
    public void Place_EInvoiceAddressOrOperatorOfNoKnownForm_IsRefused(string address, string @operator)
    {
        var (lot, _) = HeldLot();
        var checkout = Checkout(invoicing: new InvoicingDetails(null, address, @operator, null));

        var e = Assert.Throws<DomainException>(() => Order.Place("o", Buyer, checkout, lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Single(e.Errors.Keys, k => k is "invoicing.eInvoiceAddress" or "invoicing.eInvoiceOperator");
    }

    [Fact]
    public void Place_EInvoiceAddressWithSpaces_IsKeptCompact()
    {
        var (lot, _) = HeldLot();
        var checkout = Checkout(invoicing: new InvoicingDetails(null, "0037 1572 8600", "003721291126", null));

        var order = Order.Place("o", Buyer, checkout, lot, BuyerFirm(), "1", OrderTerms.Default, Now);

        Assert.Equal("003715728600", order.Invoicing!.EInvoiceAddress);
    }

    [Fact]
    public void Place_AnotherFirmsHold_IsNotFound()
    {
        var (lot, _) = HeldLot();

        var e = Assert.Throws<DomainException>(() => Order.Place("o", Stranger, Checkout(), lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Equal("hold-not-found", e.Code);
    }

    [Fact]
    public void Place_DeliveryTheSellerDoesNotOffer_IsRefused()
    {
        var (lot, _) = HeldLot(delivery: false);

        var e = Assert.Throws<DomainException>(() => Order.Place("o", Buyer, Checkout("delivery"), lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Equal(["fulfilment"], e.Errors.Keys);
    }

    [Fact]
    public void Place_HoldInAnotherOrder_Conflicts()
    {
        var (lot, _) = HeldLot();
        lot.AttachOrder("hold-1", "buyer", "order-0", Now.AddDays(8), Now);

        var e = Assert.Throws<DomainException>(() => Order.Place("order-1", Buyer, Checkout(), lot, BuyerFirm(), "1", OrderTerms.Default, Now));

        Assert.Equal("hold-ordered", e.Code);
    }

    [Fact]
    public void Accept_InvoiceOrder_IssuesTheInvoiceDueInFourteenDays()
    {
        var order = Accepted();

        Assert.Equal(OrderStatus.Accepted, order.Status);
        Assert.Equal(MarketClock.Today(Now.AddHours(1)).AddDays(14), order.Invoice!.DueDate);
        Assert.Equal("invoiced", order.Payment!.Status);
        Assert.Equal(0, order.PaidMinor);
    }

    [Fact]
    public void Accept_CardOrder_CapturesTheTotal()
    {
        var order = Accepted("card");

        Assert.Equal(order.Totals!.GrossMinor, order.PaidMinor);
        Assert.Null(order.Invoice);
    }

    [Fact]
    public void Accept_ByTheBuyerOrAStranger_IsRefused()
    {
        var order = Placed();

        Assert.Equal("seller-only", Assert.Throws<DomainException>(() => order.EnsureCanAccept(Buyer, Now)).Code);
        Assert.Equal("order-not-found", Assert.Throws<DomainException>(() => order.EnsureCanAccept(Stranger, Now)).Code);
    }

    [Fact]
    public void Accept_AfterTheAcceptanceDeadline_Conflicts()
    {
        var order = Placed();

        var e = Assert.Throws<DomainException>(() => order.EnsureCanAccept(Seller, order.AcceptBy));

        Assert.Equal("acceptance-expired", e.Code);
    }

    [Fact]
    public void HandOver_BySeller_NeedsTheBuyersPickupCode()
    {
        var order = Accepted();

        Assert.Equal("pickup-code-wrong", Assert.Throws<DomainException>(() => order.HandOver(Seller, "654321", Now)).Code);
        Assert.Equal("pickup-code-wrong", Assert.Throws<DomainException>(() => order.HandOver(Seller, "654 321", Now)).Code);
        Assert.Equal(["pickupCode"], Assert.Throws<DomainException>(() => order.HandOver(Seller, "   ", Now)).Errors.Keys);
        // Typed as read aloud: the spaces are not part of the code.
        order.HandOver(Seller, " 123 456\u00a0", Now.AddDays(1));

        Assert.Equal(OrderStatus.HandedOver, order.Status);
        Assert.Equal(2, order.WrongPickupCodes);
    }

    [Fact]
    public void HandOver_AfterFiveWrongCodes_IsClosedToTheSeller_EvenWithTheRightCode_ButTheBuyerCanConfirm()
    {
        var order = Accepted();

        for (var i = 1; i < Order.MaxWrongPickupCodes; i++)
        {
            var e = Assert.Throws<DomainException>(() => order.HandOver(Seller, "65432" + i, Now));
            Assert.Equal("pickup-code-wrong", e.Code);
            var left = Order.MaxWrongPickupCodes - i;
            Assert.Contains(left == 1 ? "(1 more try before" : $"({left} more tries before", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal("pickup-code-locked", Assert.Throws<DomainException>(() => order.HandOver(Seller, "999999", Now)).Code);
        Assert.Equal("pickup-code-locked", Assert.Throws<DomainException>(() => order.HandOver(Seller, "123456", Now)).Code);
        Assert.Equal(OrderStatus.Accepted, order.Status);

        order.HandOver(Buyer, null, Now);
        Assert.Equal(OrderStatus.HandedOver, order.Status);
    }

    [Fact]
    public void AStepTheStatusForbids_SaysSoInEnglish()
    {
        var accepted = Accepted();

        var e = Assert.Throws<DomainException>(() => accepted.EnsureCanComplete(Buyer, Now));

        Assert.Equal("An accepted order cannot complete.", e.Message);
    }

    [Fact]
    public void Cancel_NeedsAReasonAndIsRefusedAfterHandover()
    {
        var accepted = Accepted();
        Assert.Equal(["reason"], Assert.Throws<DomainException>(() => accepted.EnsureCanCancel(Buyer, " ")).Errors.Keys);

        var handed = HandedOver();
        Assert.Equal("invalid-transition", Assert.Throws<DomainException>(() => handed.EnsureCanCancel(Seller, "changed my mind")).Code);
    }

    [Fact]
    public void Cancel_AcceptedCardOrder_RefundsAndMarksTheQuantityReturned()
    {
        var order = Accepted("card");

        order.Cancel(Seller, "Damaged in storage", null, new RefundChange("re_1", order.Totals!.GrossMinor, "succeeded"), Now.AddHours(2));

        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.True(order.QuantityReturned);
        Assert.Equal(0, order.RefundableMinor);
    }

    /// <summary>
    /// The grain stores an accepted order's cancel before the lot gets the quantity back: until it is marked returned
    /// the order owes it, and its deadline is now, so the reminder finishes a return a dying host left undone.
    /// </summary>
    [Fact]
    public void Cancel_AcceptedOrder_StoredBeforeItsQuantityReturns_OwesItUntilMarked()
    {
        var order = Accepted();
        var at = Now.AddHours(2);
        order.Cancel(Seller, "Damaged in storage", null, null, at, quantityReturned: false);

        Assert.True(order.OwesQuantityBack);
        Assert.Equal(at, order.NextDeadline());

        order.MarkQuantityReturned(at.AddSeconds(1));
        Assert.False(order.OwesQuantityBack);
        Assert.True(order.QuantityReturned);
        Assert.Null(order.NextDeadline());

        var placed = Placed();
        placed.Cancel(Buyer, "Changed plans", null, null, at, quantityReturned: false);
        Assert.False(placed.OwesQuantityBack); // a placed order sold nothing: its hold was released
    }

    [Fact]
    public void Dispute_WithinTheWindow_FreezesUntilAnAdminResolves()
    {
        var order = HandedOver("card");
        order.Dispute(Buyer, "Half of the bricks are broken", Now.AddDays(2));

        Assert.Equal("invalid-transition", Assert.Throws<DomainException>(() => order.EnsureCanComplete(Buyer, Now.AddDays(3))).Code);
        Assert.Equal("platform-admin-only", Assert.Throws<DomainException>(() => order.EnsureCanResolve(Buyer, new Resolution("complete", null, null))).Code);
        Assert.Equal("refund-exceeds-paid",
            Assert.Throws<DomainException>(() => order.EnsureCanResolve(Admin, new Resolution("refund", order.PaidMinor + 1, null))).Code);

        order.Resolve(Admin, new Resolution("refund", 5000, "Half broken"), new RefundChange("re_2", 5000, "succeeded"), null, Now.AddDays(4));

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(5000, order.RefundedMinor);
    }

    [Fact]
    public void Resolve_RefundOfEverything_EndsRefunded()
    {
        var order = HandedOver("card");
        order.Dispute(Buyer, "Wrong material", Now.AddDays(2));

        order.Resolve(Admin, new Resolution("refund", order.PaidMinor, null), new RefundChange("re_2", order.PaidMinor, "succeeded"), null, Now.AddDays(4));

        Assert.Equal(OrderStatus.Refunded, order.Status);
        Assert.Null(order.Carbon);
    }

    [Fact]
    public void Dispute_AfterTheWindow_Conflicts()
    {
        var order = HandedOver();

        var e = Assert.Throws<DomainException>(() => order.Dispute(Buyer, "late", order.DisputeUntil!.Value));

        Assert.Equal("dispute-window-closed", e.Code);
    }

    [Fact]
    public void Complete_BySystem_OnlyOnceTheDisputeWindowPassed()
    {
        var order = HandedOver();

        Assert.Equal("dispute-window-open", Assert.Throws<DomainException>(() => order.Complete(OrderActor.System, null, Now.AddDays(2))).Code);
        order.Complete(OrderActor.System, null, order.DisputeUntil!.Value);

        Assert.Equal(OrderStatus.Completed, order.Status);
    }

    [Fact]
    public void RecordInvoicePayment_PartialPaymentsUpToTheTotal_ThenRefused()
    {
        var order = Accepted();
        var total = order.Totals!.GrossMinor;

        order.RecordInvoicePayment(Seller, 10000, null, "first part", Now.AddDays(2));
        var e = Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Admin, total - 9999, null, null, Now.AddDays(3)));
        order.RecordInvoicePayment(Admin, total - 10000, null, null, Now.AddDays(3));

        Assert.Equal("payment-exceeds-total", e.Code);
        Assert.Equal(total, order.PaidMinor);
        Assert.Equal("paid", order.Payment!.Status);
        Assert.Equal("seller-only", Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Buyer, 1, null, null, Now)).Code);
    }

    [Fact]
    public void RecordInvoicePayment_ADateOutOfRange_SaysWhichWay()
    {
        var order = Accepted();
        var future = Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Seller, 1, new DateOnly(9999, 12, 31), null, Now.AddDays(1)));
        var ancient = Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Seller, 1, new DateOnly(2001, 1, 1), null, Now.AddDays(1)));

        Assert.Equal(["The payment date cannot be after today."], future.Errors!["paidOn"]);
        Assert.Equal(["The payment date cannot be more than a year before the invoice was issued."], ancient.Errors!["paidOn"]);
    }

    [Fact]
    public void RecordInvoicePayment_OnACancelledOrder_IsRefused_AndThePaymentStatusStays()
    {
        var order = Accepted();
        order.Cancel(Buyer, "No longer needed", null, null, Now.AddHours(1));
        var status = order.Payment!.Status;

        var e = Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Seller, 100, null, null, Now.AddHours(2)));

        Assert.Equal(("invalid-transition", DomainErrorKind.Conflict), (e.Code, e.Kind));
        Assert.Equal((status, 0L), (order.Payment!.Status, order.PaidMinor));
    }

    /// <summary>A refund that ends a dispute settles the invoice: nothing is outstanding, and no payment is taken after it.</summary>
    [Fact]
    public void RecordInvoicePayment_OnARefundedOrder_IsRefused_AndNothingIsOutstanding()
    {
        var order = HandedOver();
        order.RecordInvoicePayment(Seller, 2000, null, null, Now.AddDays(1));
        Assert.Equal(order.Totals!.GrossMinor - 2000, order.InvoiceOutstandingMinor);
        order.Dispute(Buyer, "Wrong material", Now.AddDays(2));
        var gross = order.Totals!.GrossMinor;
        order.Resolve(Admin, new Resolution("refund", gross, null), new RefundChange("refund-1", gross, "succeeded"), null, Now.AddDays(4));
        Assert.Equal(OrderStatus.Refunded, order.Status);
        Assert.Equal((2000L, gross - 2000), (order.RefundedMinor, order.CreditedMinor));

        Assert.Equal(0, order.InvoiceOutstandingMinor);
        var e = Assert.Throws<DomainException>(() => order.RecordInvoicePayment(Seller, 100, null, null, Now.AddDays(5)));
        Assert.Equal(("invalid-transition", DomainErrorKind.Conflict), (e.Code, e.Kind));
        Assert.Equal(2000, order.PaidMinor);
    }

    /// <summary>
    /// A dispute on an invoice the buyer has not paid in full: the resolution first takes what is still owed off the
    /// invoice (a credit) and refunds only what goes beyond it, so the buyer's price drops by the amount either way.
    /// </summary>
    [Theory]
    [InlineData(0, 3000, 3000, 0, "completed")] // nothing paid: a third off what is owed
    [InlineData(5000, 3000, 3000, 0, "completed")] // partly paid: still only a credit
    [InlineData(5000, -1, -1, -1, "refunded")] // partly paid, everything: the rest credited, the payment refunded
    [InlineData(0, -1, -1, 0, "refunded")] // nothing paid, everything: the whole invoice credited
    public void Resolve_AnInvoiceNotPaidInFull_CreditsWhatIsOwedBeforeRefunding(long paid, long amount, long credited, long refunded, string status)
    {
        var order = HandedOver();
        var gross = order.Totals!.GrossMinor;
        if (paid > 0)
        {
            order.RecordInvoicePayment(Seller, paid, null, null, Now.AddDays(1));
        }

        order.Dispute(Buyer, "Not as described", Now.AddDays(2));
        amount = amount < 0 ? gross : amount;
        credited = credited < 0 ? gross - paid : credited;
        refunded = refunded < 0 ? paid : refunded;
        Assert.Equal(gross, order.RefundableMinor + order.CreditableMinor);
        Assert.Equal("refund-exceeds-paid", Assert.Throws<DomainException>(() => order.EnsureCanResolve(Admin, new Resolution("refund", gross + 1, null))).Code);

        order.Resolve(Admin, new Resolution("refund", amount, null), refunded > 0 ? new RefundChange(null, refunded, "recorded") : null, null, Now.AddDays(4));

        Assert.Equal((credited, refunded, status), (order.CreditedMinor, order.RefundedMinor, Order.StatusCode(order.Status)));
        Assert.Equal(status == "refunded" ? 0 : gross - paid - credited, order.InvoiceOutstandingMinor);
        Assert.Equal(status == "refunded" || gross - paid - credited == 0, order.InvoiceSettled);
        Assert.Equal(order.InvoiceOutstandingMinor > 0, order.IsOverdue(MarketClock.EndOf(order.Invoice!.DueDate).AddDays(1)));
    }

    /// <summary>Paid and credited together settle an invoice: its payment is paid, and the audit owes nothing more.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5000)]
    public void RecordInvoicePayment_OfWhatACreditLeft_SettlesThePayment(long paidBefore)
    {
        var order = HandedOver();
        var gross = order.Totals!.GrossMinor;
        if (paidBefore > 0)
        {
            order.RecordInvoicePayment(Seller, paidBefore, null, null, Now.AddDays(1));
        }

        order.Dispute(Buyer, "Not as described", Now.AddDays(2));
        order.Resolve(Admin, new Resolution("refund", 3000, null), null, null, Now.AddDays(4));
        if (paidBefore > 0)
        {
            Assert.Equal("partially-paid", order.Payment!.Status);
        }

        order.RecordInvoicePayment(Seller, gross - paidBefore - 3000, null, null, Now.AddDays(5));

        Assert.Equal(("paid", 0L), (order.Payment!.Status, order.InvoiceOutstandingMinor));
        Assert.EndsWith("; 0.00 EUR outstanding", order.Audit[^1].Change, StringComparison.Ordinal);
    }

    /// <summary>A payment and a credit that settle the invoice in the resolution's own step: paid.</summary>
    [Fact]
    public void Resolve_WhoseCreditSettlesAPartlyPaidInvoice_MarksItPaid()
    {
        var order = HandedOver();
        var gross = order.Totals!.GrossMinor;
        order.RecordInvoicePayment(Seller, 5000, null, null, Now.AddDays(1));
        order.Dispute(Buyer, "Not as described", Now.AddDays(2));

        order.Resolve(Admin, new Resolution("refund", gross - 5000, null), null, null, Now.AddDays(4));

        Assert.Equal(("completed", "paid", 0L), (Order.StatusCode(order.Status), order.Payment!.Status, order.InvoiceOutstandingMinor));
    }

    /// <summary>A card order has nothing to credit: its resolution refunds at most what was captured.</summary>
    [Fact]
    public void Resolve_ACardOrder_CreditsNothing()
    {
        var order = HandedOver("card");
        order.Dispute(Buyer, "Wrong material", Now.AddDays(2));
        Assert.Equal(0, order.CreditableMinor);
        Assert.Equal("refund-exceeds-paid",
            Assert.Throws<DomainException>(() => order.EnsureCanResolve(Admin, new Resolution("refund", order.PaidMinor + 1, null))).Code);
        order.Resolve(Admin, new Resolution("refund", 1000, null), new RefundChange("re_1", 1000, "succeeded"), null, Now.AddDays(4));
        Assert.Equal((0L, 1000L), (order.CreditedMinor, order.RefundedMinor));
    }

    [Fact]
    public void IsOverdue_AfterTheDueDateWhileUnpaid()
    {
        var order = Accepted();
        var afterDue = MarketClock.EndOf(order.Invoice!.DueDate).AddHours(1);

        Assert.False(order.IsOverdue(Now.AddDays(2)));
        Assert.True(order.IsOverdue(afterDue));
        order.RecordInvoicePayment(Seller, order.Totals!.GrossMinor, null, null, afterDue);
        Assert.False(order.IsOverdue(afterDue));
    }

    [Fact]
    public void Transitions_EachAppendAnAuditEntryWithActorFirmClientAndStates()
    {
        var order = HandedOver();
        order.Complete(Buyer, null, Now.AddDays(2));

        Assert.Equal(
            [("", "placed", "person-b", "buyer"), ("placed", "accepted", "person-s", "seller"), ("accepted", "handed-over", "person-b", "buyer"),
                ("handed-over", "completed", "person-b", "buyer")],
            order.Audit.Select(a => (a.From, a.To, a.Actor, a.ActingFirm ?? "")));
        Assert.All(order.Audit, a => Assert.Equal("web", a.ClientId));
        Assert.Contains("invoice 2026-000001", order.Audit[1].Change, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyPaymentEvent_OlderEventOrSuccessAfterCancellation_ChangesNothing()
    {
        var order = Placed(method: "card");
        var changed = order.Payment!.ChangedAt;

        Assert.False(order.ApplyPaymentEvent(new PaymentChangeEvent("evt_0", "payment_intent.canceled", changed.AddSeconds(-1), "pi_1", "canceled"), Now));
        Assert.True(order.ApplyPaymentEvent(new PaymentChangeEvent("evt_9", "payment_intent.amount_capturable_updated", changed.AddSeconds(1), "pi_1", "processing"), Now));
        order.Cancel(Buyer, "No longer needed", new PaymentChange("pi_1", "canceled"), null, Now.AddHours(1));
        Assert.False(order.ApplyPaymentEvent(new PaymentChangeEvent("evt_1", "payment_intent.succeeded", Now.AddHours(2), "pi_1", "succeeded"), Now.AddHours(2)));

        Assert.Equal("canceled", order.Payment!.Status);
    }

    [Fact]
    public void ApplyPaymentEvent_PreCaptureStatusAfterCapture_ChangesNothing_EvenFromTheSecondOfTheCapture()
    {
        var order = Accepted(method: "card");
        var captured = order.Payment!.ChangedAt;

        // Stripe's times are whole seconds: this notice is from the capture's second but was made before it.
        Assert.False(order.ApplyPaymentEvent(new PaymentChangeEvent("evt_2", "payment_intent.amount_capturable_updated",
            captured.AddTicks(-(captured.UtcTicks % TimeSpan.TicksPerSecond)), "pi_1", "requires_capture"), captured));
        Assert.True(order.ApplyPaymentEvent(new PaymentChangeEvent("evt_3", "charge.refunded", captured.AddSeconds(5), "pi_1", "refunded"), captured.AddSeconds(5)));

        Assert.Equal("refunded", order.Payment!.Status);
    }

    private static long PaymentVat(long net) => (long)Math.Round(net * 0.255m, MidpointRounding.AwayFromZero);
}
