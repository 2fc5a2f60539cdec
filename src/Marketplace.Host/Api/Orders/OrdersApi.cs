using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Orders;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Marketplace.Payments.Invoice;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Orders;

/// <summary>Orders: a buyer checks out its hold; the seller accepts; the goods are handed over; the order completes, is cancelled, or is disputed and resolved.</summary>
public static class OrdersApi
{
    /// <summary>Maps <c>/api/v1/orders</c> and <c>/api/v1/invoices</c>.</summary>
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/orders").WithTags("Orders").WithCommonProblems();

        group.MapPost("/", CheckoutAsync).WithName("Checkout").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The buyer turns its active hold into an order: pickup or delivery to an address, invoice or card, invoicing details (default: the firm's billing details). Priced from the lot: goods, delivery per started km, VAT per line, the platform fee charged to the seller. Honours Idempotency-Key.");
        group.MapGet("/", ListAsync).WithName("ListOrders").WithAccess(AccessRule.AnyFirm(ApiScopes.OrdersRead))
            .WithSummary("The caller's orders as buyer and seller, newest first; filter by role (buyer, seller) and status (placed, accepted, handed-over, completed, cancelled, disputed, refunded).");
        group.MapGet("/{id}", GetAsync).WithName("GetOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersRead, otherFirm: 404, platformAdmin: AccessRule.Success))
            .WithSummary("One order, to its buyer, its seller and platform admins; the pickup code and a card payment's client secret only to the buyer.");
        group.MapPost("/{id}/card-checkout", CardCheckoutAsync).WithName("StartCardCheckout").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer of a card order placed with hostedCheckout goes to pay on Stripe's Checkout page ({\"returnUrl\": \"https://…\"}, where Stripe sends the browser back): payment.checkoutUrl is the open page, made anew when there is none or it expired. The payment's events then authorise the order as any card payment's.");
        group.MapPost("/{id}/accept", AcceptAsync).WithName("AcceptOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The seller accepts before the acceptance deadline: the hold is sold, a card payment captured, an invoice issued.");
        group.MapPost("/{id}/handover", HandOverAsync).WithName("HandOverOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer confirms receipt, or the seller hands over with the buyer's pickup code ({\"pickupCode\": \"…\"}); the dispute window starts.");
        group.MapPost("/{id}/complete", CompleteAsync).WithName("CompleteOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer completes a handed-over order before the dispute window ends (it completes by itself after); the CO2e figure is stored.");
        group.MapPost("/{id}/cancel", CancelAsync).WithName("CancelOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("Either party cancels before handover with a reason: the hold is released or the sold quantity returns to the lot; the payment is voided or refunded.");
        group.MapPost("/{id}/dispute", DisputeAsync).WithName("DisputeOrder").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer disputes a handed-over order within the dispute window, with a reason; it is frozen until a platform admin resolves it.");
        group.MapPost("/{id}/resolve", ResolveAsync).WithName("ResolveOrder").WithAccess(AccessRule.PlatformAdminOnly(ApiScopes.Admin))
            .WithSummary("A platform admin resolves a dispute: {\"outcome\": \"complete\"} or {\"outcome\": \"refund\", \"refundMinor\": N} (at most what was paid and not refunded).");
        group.MapGet("/{id}/audit", AuditAsync).WithName("GetOrderAudit").WithAccess(AccessRule.Owner(ApiScopes.OrdersRead, otherFirm: 404, platformAdmin: AccessRule.Success))
            .WithSummary("Every transition of the order (who, for which firm, through which client, when, from which status to which, what changed), to both parties and platform admins.");
        group.MapPost("/{id}/invoice/payments", RecordPaymentAsync).WithName("RecordInvoicePayment").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: AccessRule.Success))
            .WithSummary("The seller or a platform admin records a payment against the order's invoice (partial payments add up to at most the total).");
        group.MapGet("/{id}/invoice", InvoiceAsync).WithName("GetOrderInvoice").WithAccess(AccessRule.Owner(ApiScopes.OrdersRead, otherFirm: 404, platformAdmin: AccessRule.Success))
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf").Produces(StatusCodes.Status200OK, contentType: "application/xml")
            .Produces<InvoiceDocument>(StatusCodes.Status200OK, "application/json").ProducesProblem(StatusCodes.Status406NotAcceptable)
            .WithSummary("The order's invoice as PDF (default, or Accept: application/pdf), as a Finvoice 3.0 e-invoice (?format=finvoice or Accept: application/xml), or as JSON with the same content (?format=json or Accept: application/json), e.g. to show it as a web page; an Accept header naming none of these is 406. With ?document=credit-note, the credit note issued against it (a dispute's credit, or the whole invoice of an order cancelled after acceptance), in the same formats.");

        routes.MapGroup("/api/v1/invoices").WithTags("Orders").WithCommonProblems()
            .MapGet("/", InvoicesAsync).WithName("ListInvoices").WithAccess(AccessRule.AnyFirm(ApiScopes.OrdersRead))
            .WithSummary("Overdue invoices owed to the caller's firm (platform admins: all): unpaid, wholly or partly, after their due date. overdue may be left out or true; every invoice is on its order in GET /orders.");
        return routes;
    }

    private static async Task<Created<OrderResponse>> CheckoutAsync(CheckoutRequest request, HttpContext context, IGrainFactory grains, TimeProvider time)
    {
        var actor = Actor(context.User);
        await grains.GetGrain<ITraderGrain>(context.User.ActingTraderId()).EnsureRoleAsync(TraderRoles.Buyer);
        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first order.
        var id = IdempotencyMiddleware.NewId(context);
        var order = await AbandonedCheckouts.RetryAsync(grains, request.ListingId, () => grains.GetGrain<IOrderGrain>(id).CheckoutAsync(actor, request.ToCheckout()));
        return TypedResults.Created($"/api/v1/orders/{id}", OrderResponse.From(order, actor.TraderId, time.GetUtcNow()));
    }

    private static async Task<Ok<Page<OrderResponse>>> ListAsync(
        ClaimsPrincipal user, IGrainFactory grains, TimeProvider time, string? role = null, string? status = null, string? cursor = null, int? limit = null)
    {
        var actor = Actor(user);
        var trader = user.ActingTraderId();
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.Require(role is null or "buyer" or "seller", "role", "The role filter must be buyer or seller.");
        v.Require(status is null || Order.ParseStatus(status) is not null, "status",
            "The status filter must be placed, accepted, handed-over, completed, cancelled, disputed or refunded.");
        v.ThrowIfInvalid();

        var ids = await grains.GetGrain<IOrderIndexGrain>(trader).ListAsync(role, status);
        var now = time.GetUtcNow();
        var page = await PageCursor.PageAsync(ids, start, size, id => ReadAsync(grains, id, actor),
            o => (status is null || Order.StatusCode(o.Status) == status) ? OrderResponse.From(o, trader, now) : null);
        return TypedResults.Ok(page);
    }

    private static async Task<Ok<OrderResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
    {
        var actor = Actor(user);
        return TypedResults.Ok(OrderResponse.From(await grains.GetGrain<IOrderGrain>(id).GetAsync(actor), actor.TraderId, time.GetUtcNow()));
    }

    private static Task<Ok<OrderResponse>> CardCheckoutAsync(string id, CardCheckoutRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).StartHostedCheckoutAsync(actor, request?.ReturnUrl ?? ""));

    private static Task<Ok<OrderResponse>> AcceptAsync(string id, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).AcceptAsync(actor));

    private static Task<Ok<OrderResponse>> HandOverAsync(string id, HandOverRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).HandOverAsync(actor, request?.PickupCode));

    private static Task<Ok<OrderResponse>> CompleteAsync(string id, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).CompleteAsync(actor));

    private static Task<Ok<OrderResponse>> CancelAsync(string id, ReasonRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).CancelAsync(actor, request?.Reason));

    private static Task<Ok<OrderResponse>> DisputeAsync(string id, ReasonRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id).DisputeAsync(actor, request?.Reason));

    private static Task<Ok<OrderResponse>> ResolveAsync(string id, ResolveRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id)
            .ResolveAsync(actor, new Resolution(request?.Outcome, request?.RefundMinor, request?.Note)));

    private static Task<Ok<OrderResponse>> RecordPaymentAsync(string id, InvoicePaymentRequest? request, ClaimsPrincipal user, IGrainFactory grains, TimeProvider time)
        => ChangeAsync(user, time, actor => grains.GetGrain<IOrderGrain>(id)
            .RecordInvoicePaymentAsync(actor, new InvoicePaymentInput(request?.AmountMinor, request?.PaidOn, request?.Note)));

    private static async Task<Ok<AuditResponse>> AuditAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => TypedResults.Ok(new AuditResponse(id, (await grains.GetGrain<IOrderGrain>(id).GetAsync(Actor(user))).Audit));

    private static async Task<Results<FileContentHttpResult, Ok<InvoiceDocument>, ProblemHttpResult>> InvoiceAsync(
        string id, HttpContext context, IGrainFactory grains, IInvoiceRenderer renderer, string? format = null, string? document = null)
    {
        // The order first: a firm that may not see it learns nothing, not even which documents there are.
        var order = await grains.GetGrain<IOrderGrain>(id).GetAsync(Actor(context.User));
        if (document is not (null or "invoice" or "credit-note"))
        {
            throw new DomainException("invalid-document", "The document is invoice (the default) or credit-note.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["document"] = ["The document is invoice or credit-note."] });
        }

        format = format switch
        {
            "finvoice" or "pdf" or "json" => format,
            null => InvoiceFormatAccepted(context.Request),
            _ => throw new DomainException("invalid-format", "The format is pdf, finvoice or json.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["format"] = ["The format is pdf, finvoice or json."] }),
        };
        if (format is null)
        {
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status406NotAcceptable, "not-acceptable", "Not acceptable",
                "An invoice is application/pdf, application/xml (Finvoice 3.0) or application/json; ask with ?format=pdf|finvoice|json or one of those in Accept."));
        }

        var finvoice = format == "finvoice";
        if (order.Invoice is null)
        {
            throw DomainException.Conflict("no-invoice", "This order has no invoice (card orders, or not accepted yet).",
                new Dictionary<string, object?> { ["orderStatus"] = Order.StatusCode(order.Status) });
        }

        // An invoice keeps its parties from its issue; only one issued before that reads the firms as they are now.
        var (seller, buyer) = order.Invoice.Parties is null
            ? (await grains.GetGrain<ITraderGrain>(order.SellerId).GetAsync(), await grains.GetGrain<ITraderGrain>(order.BuyerId).GetAsync())
            : (null, null);
        InvoiceDocument made;
        if (document == "credit-note")
        {
            made = order.Invoice.CreditNote is null
                ? throw DomainException.Conflict("no-credit-note",
                    "This order's invoice has no credit note: one is issued when a dispute's resolution takes part of the price back (credited or refunded), or when the order is cancelled after its invoice was issued.",
                    new Dictionary<string, object?> { ["orderStatus"] = Order.StatusCode(order.Status) })
                : OrderInvoiceDocument.CreditNoteFor(order, seller, buyer);
        }
        else if (order.Status is OrderStatus.Cancelled or OrderStatus.Refunded && (order.Invoice.CreditNote is null || finvoice))
        {
            // The document tells the buyer to pay (the Finvoice's payment instruction, the PDF's giro): not for a void invoice.
            // One a credit note took back is shown as PDF and JSON for the record, marked void and asking for nothing.
            throw DomainException.Conflict("invoice-void",
                $"The order was {Order.StatusCode(order.Status)}, so its invoice asks for nothing and is not issued as a bill. Its figures stay in GET /api/v1/orders/{id}.",
                new Dictionary<string, object?> { ["orderStatus"] = Order.StatusCode(order.Status) });
        }
        else
        {
            made = OrderInvoiceDocument.For(order, seller, buyer);
        }

        if (format == "json")
        {
            return TypedResults.Ok(made);
        }

        var name = made.Credits is null ? "invoice" : "credit-note";
        return finvoice
            ? TypedResults.File(renderer.RenderFinvoice(made), "application/xml", $"{name}-{made.Number}.xml")
            : TypedResults.File(renderer.RenderPdf(made), "application/pdf", $"{name}-{made.Number}.pdf");
    }

    /// <summary>
    /// The invoice format an <c>Accept</c> header asks for, most preferred first (q=0 refuses a type): PDF without a
    /// header or for <c>*/*</c>, null when nothing acceptable is offered (answered 406).
    /// </summary>
    private static string? InvoiceFormatAccepted(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept is not { Count: > 0 })
        {
            return "pdf";
        }

        foreach (var media in accept.Where(a => a.Quality is not <= 0).OrderByDescending(a => a.Quality ?? 1))
        {
            switch (media.MediaType.Value?.ToLowerInvariant())
            {
                case "application/pdf" or "*/*" or "application/*":
                    return "pdf";
                case "application/xml" or "text/xml":
                    return "finvoice";
                case "application/json":
                    return "json";
            }
        }

        return null;
    }

    private static async Task<Ok<Page<OrderResponse>>> InvoicesAsync(
        ClaimsPrincipal user, IGrainFactory grains, TimeProvider time, bool? overdue = null, string? cursor = null, int? limit = null)
    {
        var actor = Actor(user);
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.Require(overdue is null or true, "overdue", "Only overdue=true is supported: the overdue invoices.");
        v.ThrowIfInvalid();

        var now = time.GetUtcNow();
        var seller = actor.PlatformAdmin ? null : user.ActingTraderId();
        var ids = await grains.GetGrain<IInvoiceRegisterGrain>("platform").OverdueAsync(seller, MarketClock.Today(now));
        var page = await PageCursor.PageAsync(ids, start, size, id => ReadAsync(grains, id, actor),
            o => o.IsOverdue(now) ? OrderResponse.From(o, actor.TraderId, now) : null);
        return TypedResults.Ok(page);
    }

    private static async Task<Ok<OrderResponse>> ChangeAsync(ClaimsPrincipal user, TimeProvider time, Func<OrderActor, Task<Order>> change)
    {
        var actor = Actor(user);
        return TypedResults.Ok(OrderResponse.From(await change(actor), actor.TraderId, time.GetUtcNow()));
    }

    /// <summary>An order the actor may read, or null (an index may name one it may no longer see).</summary>
    private static async Task<Order?> ReadAsync(IGrainFactory grains, string id, OrderActor actor)
    {
        try
        {
            return await grains.GetGrain<IOrderGrain>(id).GetAsync(actor);
        }
        catch (DomainException e) when (e.Kind == DomainErrorKind.NotFound)
        {
            return null;
        }
    }

    /// <summary>Who acts: the token's subject, the firm it acts for, its client, and whether a platform admin (also on a match's order).</summary>
    internal static OrderActor Actor(ClaimsPrincipal user)
        => new(user.Subject(), user.TraderId(), user.FindFirst("client_id")?.Value ?? user.FindFirst("azp")?.Value, user.IsPlatformAdmin());
}
