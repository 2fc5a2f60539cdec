using Marketplace.Domain.Orders;
using Marketplace.Payments;

namespace Marketplace.Grains.Orders;

/// <summary>
/// One order: loads it, lets the domain change it, takes the payment and lot steps, persists, and tells the firms'
/// order indexes. A retried call does its work once (payment steps carry idempotency keys, lot steps are idempotent per
/// order). Callers pass who acts; the grain refuses callers who may not (404 for strangers).
/// </summary>
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>The buyer checks out its hold: places the order, ties the hold to it and authorises the payment.</summary>
    Task<Order> CheckoutAsync(OrderActor actor, Checkout checkout);

    /// <summary>The order as <paramref name="actor"/> may see it (404 for anyone but its parties and platform admins).</summary>
    Task<Order> GetAsync(OrderActor actor);

    /// <summary>The seller accepts: the hold is sold, a card payment captured or the invoice issued.</summary>
    Task<Order> AcceptAsync(OrderActor actor);

    /// <summary>The buyer confirms receipt, or the seller hands over with the buyer's pickup code.</summary>
    Task<Order> HandOverAsync(OrderActor actor, string? pickupCode);

    /// <summary>The buyer completes a handed-over order before the dispute window ends; the CO2e figure is recorded.</summary>
    Task<Order> CompleteAsync(OrderActor actor);

    /// <summary>
    /// The buyer of a hosted-checkout card order goes to pay: the open Stripe Checkout page, or a new one when there is
    /// none or it expired; Stripe sends the browser back to <paramref name="returnUrl"/>.
    /// </summary>
    Task<Order> StartHostedCheckoutAsync(OrderActor actor, string returnUrl);

    /// <summary>Either party cancels before handover with a reason; the quantity goes back, the payment is voided or refunded.</summary>
    Task<Order> CancelAsync(OrderActor actor, string? reason);

    /// <summary>
    /// When this order was never stored (its checkout failed, or its host died, after it tied the buyer's hold on
    /// <paramref name="listingId"/> to it), unties that hold so the buyer can release it or order it anew; answers true
    /// when it did. An order that exists, or one whose checkout is running, is left alone (grain calls take turns).
    /// </summary>
    Task<bool> ReleaseAbandonedAsync(string listingId);

    /// <summary>The buyer disputes a handed-over order within the dispute window.</summary>
    Task<Order> DisputeAsync(OrderActor actor, string? reason);

    /// <summary>A platform admin resolves a dispute: completed, or refunded in part or whole.</summary>
    Task<Order> ResolveAsync(OrderActor actor, Resolution resolution);

    /// <summary>The seller or a platform admin records a (partial) payment against the invoice.</summary>
    Task<Order> RecordInvoicePaymentAsync(OrderActor actor, InvoicePaymentInput payment);

    /// <summary>The seller (waste holder) or the buyer (receiver) signs the order's transfer document.</summary>
    Task<Order> SignTransferDocumentAsync(OrderActor actor);

    /// <summary>Either party corrects the carrier or description of the order's transfer document before both have signed.</summary>
    Task<Order> ChangeTransferDocumentAsync(OrderActor actor, TransferChanges changes);

    /// <summary>Applies a verified payment provider event; false when it changed nothing.</summary>
    Task<bool> ApplyPaymentEventAsync(PaymentEvent paymentEvent);
}
