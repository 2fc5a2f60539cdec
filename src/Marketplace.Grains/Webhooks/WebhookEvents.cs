using System.Text.Json;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Matching;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Common;

namespace Marketplace.Grains.Webhooks;

/// <summary>What a lot looked like at its last stored write, to tell which events a new write makes.</summary>
public sealed record ListingMark(bool Exists, ListingStatus Status, long Version, IReadOnlyDictionary<string, (HoldStatus Status, string? OrderId)> Holds)
{
    /// <summary>
    /// The holds of a lot without any, shared: a mark's holds are only read, and every activation keeps its mark, so a
    /// dictionary of its own per lot without holds (most of them) was memory kept for nothing.
    /// </summary>
    private static readonly Dictionary<string, (HoldStatus Status, string? OrderId)> NoHolds = [];

    /// <summary>The mark of a lot never stored (a new activation's, before it reads or creates one).</summary>
    public static ListingMark None { get; } = Of(new Listing());

    /// <summary>The mark of <paramref name="listing"/>.</summary>
    public static ListingMark Of(Listing listing)
        => new(listing.Exists, listing.Status, listing.Version,
            listing.Holds.Count == 0 ? NoHolds : listing.Holds.ToDictionary(h => h.Id, h => (h.Status, h.OrderId)));
}

/// <summary>What an order looked like at its last stored write.</summary>
public sealed record OrderMark(bool Exists, OrderStatus Status, long Version, bool Invoiced, int InvoicePayments, bool InvoicePaid, bool CreditNoted = false)
{
    /// <summary>The mark of an order never stored.</summary>
    public static OrderMark None { get; } = Of(new Order());

    /// <summary>The mark of <paramref name="order"/>.</summary>
    public static OrderMark Of(Order order)
        => new(order.Exists, order.Status, order.Version, order.Invoice is not null, order.Invoice?.Payments.Count ?? 0, IsPaid(order),
            order.Invoice?.CreditNote is not null);

    /// <summary>True when the invoice's payments (and any credit from a dispute's resolution) cover the gross total.</summary>
    public static bool IsPaid(Order order) => order.Invoice is not null && order.Totals is not null && order.InvoiceSettled;
}

/// <summary>What a demand looked like at its last stored write.</summary>
public sealed record DemandMark(bool Exists, DemandStatus Status, long Version)
{
    /// <summary>The mark of a demand never stored.</summary>
    public static DemandMark None { get; } = Of(new Demand());

    /// <summary>The mark of <paramref name="demand"/>.</summary>
    public static DemandMark Of(Demand demand) => new(demand.Exists, demand.Status, demand.Version);
}

/// <summary>What a matching session looked like at its last stored write.</summary>
public sealed record MatchMark(bool Exists, MatchStatus Status, long Version, int Round)
{
    /// <summary>The mark of a session never stored.</summary>
    public static MatchMark None { get; } = Of(new MatchingSession());

    /// <summary>The mark of <paramref name="session"/>.</summary>
    public static MatchMark Of(MatchingSession session) => new(session.Exists, session.Status, session.Version, session.Round);
}

/// <summary>
/// The webhook events a stored change makes, from the state before (its mark) and after: at least one per new version,
/// each with the resource as its recipients may see it (never a pickup code, a card client secret or another buyer's hold).
/// Given what firms want (<see cref="WebhookWanting"/>, from <see cref="WebhookInterest"/>), an event names only the
/// firms wanting its type and is not made at all when none does; which events a change makes is decided first, as if
/// all wanted them (a hold change makes no <c>listing.updated</c> even when nobody wants its <c>hold.*</c> events).
/// </summary>
public static class WebhookEvents
{
    /// <summary>Events of a lot's change: <c>listing.*</c> to the seller, <c>hold.*</c> to the seller and the hold's buyer.</summary>
    public static IReadOnlyList<OutboxEvent> ForListing(ListingMark before, Listing after, DateTimeOffset now, WebhookWanting? wanting = null)
    {
        if (!after.Exists || (before.Exists && before.Version == after.Version))
        {
            return [];
        }

        var subject = "listing/" + after.Id;
        var events = new List<OutboxEvent>();
        wanting ??= WebhookWanting.Everyone;
        var made = 0;
        foreach (var hold in after.Holds)
        {
            string? type = null;
            if (!before.Holds.TryGetValue(hold.Id, out var was))
            {
                type = "hold.placed";
            }
            else if (was.Status != hold.Status)
            {
                type = hold.Status switch
                {
                    HoldStatus.Confirmed => "hold.confirmed",
                    HoldStatus.Released => "hold.released",
                    HoldStatus.Lapsed => "hold.expired",
                    _ => null,
                };
            }
            else if (was.OrderId is null && hold.OrderId is not null)
            {
                type = "hold.ordered";
            }

            if (type is not null)
            {
                made++;
                if (wanting.Recipients(type, after.SellerId, hold.BuyerId) is { } firms)
                {
                    events.Add(OutboxEvent.Create(type, subject, hold.Id, after.Version, now, firms, HoldResource(after, hold)));
                }
            }
        }

        string? listingType = !before.Exists ? "listing.created"
            : before.Status != after.Status ? after.Status switch
            {
                ListingStatus.Active when before.Status == ListingStatus.Draft => "listing.published",
                ListingStatus.SoldOut => "listing.sold-out",
                ListingStatus.Withdrawn => "listing.withdrawn",
                ListingStatus.Expired => "listing.expired",
                _ => "listing.updated",
            }
            : made == 0 ? "listing.updated" : null;
        if (listingType is not null && wanting.Recipients(listingType, after.SellerId) is { } seller)
        {
            events.Insert(0, OutboxEvent.Create(listingType, subject, after.Id, after.Version, now, seller, ListingResource(after)));
        }

        return events;
    }

    /// <summary>Events of an order's change: <c>order.*</c> and <c>invoice.*</c>, to the buyer and the seller.</summary>
    public static IReadOnlyList<OutboxEvent> ForOrder(OrderMark before, Order after, DateTimeOffset now, WebhookWanting? wanting = null)
    {
        if (!after.Exists || (before.Exists && before.Version == after.Version))
        {
            return [];
        }

        var subject = "order/" + after.Id;
        wanting ??= WebhookWanting.Everyone;
        var events = new List<OutboxEvent>();
        var made = 0;
        var orderType = !before.Exists ? "order.placed"
            : before.Status != after.Status ? "order." + Order.StatusCode(after.Status)
            : null;
        if (after.Invoice is { } invoice)
        {
            var invoiceType = !before.Invoiced ? "invoice.issued"
                : !before.InvoicePaid && OrderMark.IsPaid(after) ? "invoice.paid"
                : invoice.Payments.Count > before.InvoicePayments ? "invoice.payment-recorded"
                : null;
            if (invoiceType is not null)
            {
                made++;
                if (wanting.Recipients(invoiceType, after.BuyerId, after.SellerId) is { } parties)
                {
                    events.Add(OutboxEvent.Create(invoiceType, subject, invoice.Number, after.Version, now, parties, InvoiceResource(after, invoice)));
                }
            }

            if (invoice.CreditNote is { } note && !before.CreditNoted)
            {
                // A credit note issued against the invoice (a dispute's credit, or the whole of a cancelled order's).
                made++;
                if (wanting.Recipients("invoice.credited", after.BuyerId, after.SellerId) is { } parties)
                {
                    events.Add(OutboxEvent.Create("invoice.credited", subject, note.Number, after.Version, now, parties, InvoiceResource(after, invoice)));
                }
            }
        }

        if ((orderType is not null || made == 0) && wanting.Recipients(orderType ?? "order.updated", after.BuyerId, after.SellerId) is { } orderParties)
        {
            events.Insert(0, OutboxEvent.Create(orderType ?? "order.updated", subject, after.Id, after.Version, now, orderParties, OrderResource(after)));
        }

        return events;
    }

    /// <summary>Events of a demand's change (<c>demand.*</c>), to its buyer.</summary>
    public static IReadOnlyList<OutboxEvent> ForDemand(DemandMark before, Demand after, DateTimeOffset now, WebhookWanting? wanting = null)
    {
        if (!after.Exists || (before.Exists && before.Version == after.Version))
        {
            return [];
        }

        var type = !before.Exists ? "demand.created"
            : before.Status != after.Status ? after.Status switch
            {
                DemandStatus.Fulfilled => "demand.fulfilled",
                DemandStatus.Cancelled => "demand.cancelled",
                DemandStatus.Expired => "demand.expired",
                _ => "demand.updated",
            }
            : "demand.updated";
        if ((wanting ?? WebhookWanting.Everyone).Recipients(type, after.BuyerId) is not { } buyer)
        {
            return [];
        }

        var resource = Element(new
        {
            id = after.Id,
            buyerId = after.BuyerId,
            status = after.Status,
            category = after.Details?.Category,
            quantity = after.Details?.Quantity,
            unit = after.Details?.Unit,
            bought = after.Bought,
            remaining = after.Remaining,
            version = after.Version,
        });
        return [OutboxEvent.Create(type, "demand/" + after.Id, after.Id, after.Version, now, buyer, resource)];
    }

    /// <summary>Events of a match's change (<c>match.*</c>, when its status changes or a new round is proposed), to its buyer and seller.</summary>
    public static IReadOnlyList<OutboxEvent> ForMatch(MatchMark before, MatchingSession after, DateTimeOffset now, WebhookWanting? wanting = null)
    {
        if (!after.Exists || (before.Exists && before.Version == after.Version)
            || (before.Exists && before.Status == after.Status && before.Round == after.Round))
        {
            return [];
        }

        var p = after.Proposal!;
        var type = "match." + MatchingSession.StatusCode(after.Status);
        if ((wanting ?? WebhookWanting.Everyone).Recipients(type, p.BuyerId, p.SellerId) is not { } parties)
        {
            return [];
        }

        var resource = Element(new
        {
            id = after.Id,
            lotId = p.LotId,
            demandId = p.DemandId,
            sellerId = p.SellerId,
            buyerId = p.BuyerId,
            status = MatchingSession.StatusCode(after.Status),
            quantity = p.Quantity,
            unit = p.Unit,
            round = after.Round,
            holdId = after.HoldId,
            orderId = after.OrderId,
            reason = after.Reason,
            expiresAt = after.ExpiresAt,
            version = after.Version,
        });
        return [OutboxEvent.Create(type, "match/" + after.Id, after.Id, after.Version, now, parties, resource)];
    }

    private static JsonElement ListingResource(Listing l)
        => Element(new
        {
            id = l.Id,
            sellerId = l.SellerId,
            status = Listing.StatusCode(l.Status),
            title = l.Details?.Title,
            category = l.Details?.Category,
            unit = l.Details?.Unit,
            listed = l.ListedQuantity,
            available = l.Available,
            held = l.Held,
            sold = l.Sold,
            version = l.Version,
            updatedAt = l.UpdatedAt,
        });

    private static JsonElement HoldResource(Listing l, Hold h)
        => Element(new
        {
            id = h.Id,
            listingId = l.Id,
            sellerId = l.SellerId,
            buyerId = h.BuyerId,
            quantity = h.Quantity,
            unit = l.Details?.Unit,
            status = h.Status,
            expiresAt = h.ExpiresAt,
            matchId = h.MatchId,
            orderId = h.OrderId,
            version = l.Version,
        });

    private static JsonElement OrderResource(Order o)
        => Element(new
        {
            id = o.Id,
            listingId = o.Lot?.ListingId,
            holdId = o.HoldId,
            matchId = o.MatchId,
            buyerId = o.BuyerId,
            sellerId = o.SellerId,
            status = Order.StatusCode(o.Status),
            quantity = o.Quantity,
            unit = o.Lot?.Unit,
            fulfilment = o.Fulfilment,
            paymentMethod = o.Payment?.Method,
            paymentStatus = o.Payment?.Status,
            grossMinor = o.Totals?.GrossMinor,
            currency = o.Totals?.Currency,
            placedAt = o.PlacedAt,
            acceptBy = o.AcceptBy,
            acceptedAt = o.AcceptedAt,
            handedOverAt = o.HandedOverAt,
            closedAt = o.ClosedAt,
            version = o.Version,
        });

    private static JsonElement InvoiceResource(Order o, OrderInvoice i)
        => Element(new
        {
            number = i.Number,
            orderId = o.Id,
            sellerId = o.SellerId,
            buyerId = o.BuyerId,
            issueDate = i.IssueDate,
            dueDate = i.DueDate,
            referenceNumber = i.ReferenceNumber,
            creditorReference = i.CreditorReference,
            grossMinor = o.Totals?.GrossMinor,
            paidMinor = i.PaidMinor,
            creditedMinor = o.CreditedMinor,
            outstandingMinor = o.InvoiceOutstandingMinor,
            creditNote = i.CreditNote is { } note ? new { number = note.Number, issueDate = note.IssueDate, grossMinor = note.GrossMinor, reason = note.Reason, refundedMinor = note.RefundedMinor } : null,
            currency = o.Totals?.Currency,
            version = o.Version,
        });

    private static JsonElement Element<T>(T value) => JsonSerializer.SerializeToElement(value, MarketplaceJson.Options);
}
