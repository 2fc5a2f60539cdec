using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Reviews;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Traders;

/// <summary>Firms: register, read, change, and list a firm's lots.</summary>
public static class TradersApi
{
    /// <summary>Maps <c>/api/v1/traders</c>.</summary>
    public static IEndpointRouteBuilder MapTradersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/traders").WithTags("Traders").WithCommonProblems();

        group.MapPost("/", RegisterAsync).WithName("RegisterTrader").WithAccess(AccessRule.AnyFirm(ApiScopes.FirmAdmin))
            .WithSummary("Registers a firm (Finnish business id with a valid check digit). Honours Idempotency-Key.");
        group.MapGet("/{id}", GetAsync).WithName("GetTrader").WithAccess(AccessRule.Public)
            .WithSummary("Reads a firm's public profile with its reviews' count and average; the firm itself (and platform admins) also see its contact and billing details.");
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateTrader").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm changes its profile.");
        group.MapGet("/{id}/listings", ListingsAsync).WithName("ListTraderListings").WithAccess(AccessRule.Public)
            .WithSummary("A firm's lots, oldest first: the firm sees all of them, others its active and sold-out lots. Paged by cursor.");
        return routes;
    }

    private static async Task<Created<TraderResponse>> RegisterAsync(RegisterTraderRequest request, HttpContext context, IGrainFactory grains, FirmMembers members)
    {
        var user = context.User;
        if (!user.IsPerson())
        {
            throw DomainException.Forbidden("people-only", "Only a person registers a firm; an API client acts for the firm it belongs to.");
        }

        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first firm and
        // its business id claim; adding the registrar as admin again changes nothing.
        var id = IdempotencyMiddleware.NewId(context);
        if (!user.IsPlatformAdmin())
        {
            await members.EnsureMayRegisterAsync(user.Subject(), id, context.RequestAborted);
        }

        var trader = await grains.GetGrain<ITraderGrain>(id).RegisterAsync(request.ToProfile(), user.Subject());
        // The person who registers the firm becomes its first admin; a token acting for it is had by signing in with trader_id.
        await members.AddAsync(user.Subject(), id, MemberRoles.TraderAdmin);
        return TypedResults.Created($"/api/v1/traders/{id}", TraderResponse.From(trader, id));
    }

    private static async Task<Ok<TraderResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var trader = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        var reviews = await grains.GetGrain<ITraderReviewsGrain>(id).SummaryAsync();
        return TypedResults.Ok(TraderResponse.From(trader, user.IsPlatformAdmin() ? id : user.TraderId(), reviews));
    }

    private static async Task<Ok<TraderResponse>> UpdateAsync(string id, UpdateTraderRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        var grain = grains.GetGrain<ITraderGrain>(id);
        var current = await grain.GetAsync() ?? throw DomainException.NotFound("trader", id);
        user.EnsureFirmAdmin(id);

        var trader = await grain.UpdateAsync(request.ToChanges(current.Profile!));
        return TypedResults.Ok(TraderResponse.From(trader, id));
    }

    private static async Task<Ok<Page<ListingResponse>>> ListingsAsync(
        string id, ClaimsPrincipal user, IGrainFactory grains, string? status = null, string? cursor = null, int? limit = null)
    {
        var trader = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        var viewer = user.TraderIdWithScope(ApiScopes.ListingsRead);
        var own = viewer == id || user.IsPlatformAdmin();
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.Require(status is null || Enum.GetValues<ListingStatus>().Any(s => Listing.StatusCode(s) == status), "status",
            "The status filter must be draft, active, sold-out, withdrawn or expired.");
        v.ThrowIfInvalid();

        // The firm's index of lots by status says which lots can be on the page, so only those grains are read; a lot
        // the index does not know yet (stored before it existed) is read to see. The lot itself has the last word.
        bool MayShow(string? code) => (own || code is null || code == Listing.StatusCode(ListingStatus.Active) || code == Listing.StatusCode(ListingStatus.SoldOut)) && (status is null || code is null || code == status);
        return TypedResults.Ok(await PageCursor.PageAsync(trader.ListingIds, start, size,
            l => MayShow(trader.ListingStatus(l)) ? grains.GetGrain<IListingGrain>(l).GetAsync() : Task.FromResult<Listing?>(null),
            lot => (own || lot.IsPublic) && (status is null || Listing.StatusCode(lot.Status) == status) ? ListingResponse.From(lot, viewer) : null));
    }
}
