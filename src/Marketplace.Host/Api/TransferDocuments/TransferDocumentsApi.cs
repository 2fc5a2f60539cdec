using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Orders;
using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.TransferDocuments;

/// <summary>
/// Waste transfer documents (siirtoasiakirja): made at the handover of a waste lot's order, signed by the seller and the
/// buyer, unchangeable once both have signed, listed per firm. Only the order's two firms and platform admins see one.
/// </summary>
public static class TransferDocumentsApi
{
    /// <summary>Maps <c>/api/v1/orders/{id}/transfer-document</c> and <c>/api/v1/traders/{id}/transfer-documents</c>.</summary>
    public static IEndpointRouteBuilder MapTransferDocumentsApi(this IEndpointRouteBuilder routes)
    {
        var document = routes.MapGroup("/api/v1/orders/{id}/transfer-document").WithTags("Transfer documents").WithCommonProblems();
        document.MapGet("", GetAsync).WithName("GetTransferDocument")
            .WithAccess(AccessRule.Owner(ApiScopes.OrdersRead, otherFirm: 404, platformAdmin: AccessRule.Success))
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf")
            .WithSummary("The waste transfer document of a waste lot's order, as JSON (default) or PDF (?format=pdf or Accept: application/pdf): to the order's two firms and platform admins; 404 transfer-document-not-found for an order of a lot that is not waste, or before handover.");
        document.MapPatch("", ChangeAsync).WithName("ChangeTransferDocument")
            .WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The seller or the buyer corrects the carrier ({\"transporter\": {\"name\", \"businessId\"}}) or the description before both have signed; a signature already given is void. 409 transfer-document-signed once both have signed.");
        document.MapPost("/signatures", SignAsync).WithName("SignTransferDocument")
            .WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The seller signs as the waste holder, the buyer as the receiver (no body); signing again changes nothing. 409 transfer-document-signed once both have signed.");

        routes.MapGroup("/api/v1/traders/{id}/transfer-documents").WithTags("Transfer documents").WithCommonProblems()
            .MapGet("", ListAsync).WithName("ListTransferDocuments")
            .WithAccess(CarbonApi.FirmMembers with { Scope = ApiScopes.OrdersRead, WithoutScope = 403 })
            .WithSummary("The firm's transfer documents as holder (seller) and receiver (buyer), newest order first: the firm's members and platform admins; cursor, limit.");
        return routes;
    }

    private static async Task<Results<Ok<TransferDocumentResponse>, FileContentHttpResult>> GetAsync(string id, HttpContext context, IGrainFactory grains, string? format = null)
    {
        var pdf = format switch
        {
            "pdf" => true,
            "json" => false,
            null => context.Request.GetTypedHeaders().Accept is { Count: > 0 } accept && accept.Any(a => a.MediaType.Value == "application/pdf"),
            _ => throw new DomainException("invalid-format", "The format is json or pdf.", DomainErrorKind.Validation,
                new Dictionary<string, string[]> { ["format"] = ["The format is json or pdf."] }),
        };
        var actor = OrdersApi.Actor(context.User);
        var document = (await grains.GetGrain<IOrderGrain>(id).GetAsync(actor)).GetTransferDocument(actor);
        return pdf
            ? TypedResults.File(TransferDocumentPdf.Render(document), "application/pdf", $"{document.Id}.pdf")
            : TypedResults.Ok(TransferDocumentResponse.From(document));
    }

    private static async Task<Ok<TransferDocumentResponse>> ChangeAsync(string id, TransferDocumentChangeRequest? request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = OrdersApi.Actor(user);
        var order = await grains.GetGrain<IOrderGrain>(id).ChangeTransferDocumentAsync(actor, request?.ToChanges() ?? new TransferChanges(null, null));
        return TypedResults.Ok(TransferDocumentResponse.From(order.GetTransferDocument(actor)));
    }

    private static async Task<Ok<TransferDocumentResponse>> SignAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = OrdersApi.Actor(user);
        var order = await grains.GetGrain<IOrderGrain>(id).SignTransferDocumentAsync(actor);
        return TypedResults.Ok(TransferDocumentResponse.From(order.GetTransferDocument(actor)));
    }

    private static async Task<Ok<Page<TransferDocumentResponse>>> ListAsync(string id, ClaimsPrincipal user, IGrainFactory grains, string? cursor = null, int? limit = null)
    {
        EnsureMember(id, user);
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.ThrowIfInvalid();
        // A platform admin may name any firm: one that does not exist is 404, as on the firm's other routes.
        _ = await grains.GetGrain<Grains.Traders.ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        var actor = OrdersApi.Actor(user);
        var ids = await grains.GetGrain<IOrderIndexGrain>(id).ListAsync(null, null);
        var page = await PageCursor.PageAsync(ids, start, size, o => ReadAsync(grains, o, actor),
            o => o.TransferDocument is { } d ? TransferDocumentResponse.From(d) : null);
        return TypedResults.Ok(page);
    }

    /// <summary>Only the firm's members and platform admins read a firm's documents (as its exports).</summary>
    internal static void EnsureMember(string traderId, ClaimsPrincipal user)
    {
        if (user.TraderId() != traderId && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("firm-members-only", "Only the firm's members and platform admins may read its transfer documents.");
        }
    }

    /// <summary>An order the actor may read, or null (an index may name one it may no longer see).</summary>
    internal static async Task<Order?> ReadAsync(IGrainFactory grains, string id, OrderActor actor)
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
}
