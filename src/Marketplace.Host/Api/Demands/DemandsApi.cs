using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Api.Demands;

/// <summary>"Wanted" demands: a buyer posts, reads, changes and cancels them; they are private to the buyer's firm.</summary>
public static class DemandsApi
{
    /// <summary>Maps <c>/api/v1/demands</c> and <c>/api/v1/traders/{id}/demands</c>.</summary>
    public static IEndpointRouteBuilder MapDemandsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/demands").WithTags("Demands").WithCommonProblems();

        group.MapPost("/", CreateAsync).WithName("CreateDemand").WithAccess(AccessRule.AnyFirm(ApiScopes.DemandsWrite))
            .WithSummary("A buyer posts what it wants; matching lots are proposed in its inbox (GET /api/v1/matches). Honours Idempotency-Key.");
        group.MapGet("/{id}", GetAsync).WithName("GetDemand").WithAccess(AccessRule.Owner(ApiScopes.DemandsWrite, otherFirm: 404, platformAdmin: AccessRule.Success))
            .WithSummary("Reads a demand: only its buyer (scope demands.write) and platform admins; others get 404.");
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateDemand").WithAccess(AccessRule.Owner(ApiScopes.DemandsWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer changes an open demand; given fields replace the current ones.");
        group.MapPost("/{id}/cancel", CancelAsync).WithName("CancelDemand").WithAccess(AccessRule.Owner(ApiScopes.DemandsWrite, otherFirm: 404, platformAdmin: 403))
            .WithSummary("The buyer cancels an open demand; it leaves matching at once.");

        var traders = routes.MapGroup("/api/v1/traders/{id}/demands").WithTags("Demands").WithCommonProblems();
        traders.MapGet("/", ListAsync).WithName("ListTraderDemands")
            .WithAccess(AccessRule.Owner(ApiScopes.DemandsWrite, otherFirm: 403, platformAdmin: AccessRule.Success))
            .WithSummary("A firm's own demands, oldest first, filterable by status (open, fulfilled, cancelled, expired).");
        return routes;
    }

    private static async Task<Created<DemandResponse>> CreateAsync(DemandInput input, HttpContext context, IGrainFactory grains, TimeProvider time,
        IOptions<MatchingOptions> matching)
    {
        var buyer = context.User.ActingTraderId();
        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first demand.
        var id = IdempotencyMiddleware.NewId(context);
        await EnsureOpenDemandRoomAsync(grains, buyer, matching.Value, time.GetUtcNow(), id);
        Demand demand;
        try
        {
            demand = await grains.GetGrain<IDemandGrain>(id).CreateAsync(buyer, input.ToDetails());
        }
        catch
        {
            // The room the bound's check reserved for this demand is not taken (a refused body, a missing role).
            await grains.GetGrain<ITraderGrain>(buyer).ReleaseDemandReservationAsync(id);
            throw;
        }

        return TypedResults.Created($"/api/v1/demands/{id}", DemandResponse.From(demand));
    }

    /// <summary>
    /// Refuses a demand past the firm's bound of open demands (409 <c>open-demand-limit</c>): the firm's record counts
    /// its open demands (each tells of its closing); at the bound those are read, and any found fulfilled, cancelled or
    /// expired (a closing not heard of) stop counting.
    /// </summary>
    private static Task EnsureOpenDemandRoomAsync(IGrainFactory grains, string buyer, MatchingOptions options, DateTimeOffset now, string demandId)
    {
        var max = options.MaxOpenDemandsPerBuyer;
        var trader = grains.GetGrain<ITraderGrain>(buyer);
        return OpenBounds.EnsureRoomAsync(
            () => trader.CheckOpenDemandsAsync(max, now, demandId),
            async id => await grains.GetGrain<IDemandGrain>(id).GetAsync() is { Status: DemandStatus.Open },
            closed => trader.DemandsClosedAsync(closed, max, now, options.OpenDemandRecheckAfter, demandId),
            () => DomainException.Conflict("open-demand-limit",
                $"Your firm already has {max} demands open, the most one buyer may: cancel those it no longer needs (GET /api/v1/traders/{buyer}/demands?status=open), then post again; a cancelled demand stops counting at once.",
                new Dictionary<string, object?> { ["maxOpenDemands"] = max }));
    }

    private static async Task<Ok<DemandResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var demand = await grains.GetGrain<IDemandGrain>(id).GetAsync();
        if (demand is null || (demand.BuyerId != user.TraderId() && !user.IsPlatformAdmin()))
        {
            throw DomainException.NotFound("demand", id);
        }

        return TypedResults.Ok(DemandResponse.From(demand));
    }

    private static async Task<Ok<DemandResponse>> UpdateAsync(string id, DemandInput input, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = user.ActingTraderId();
        var grain = grains.GetGrain<IDemandGrain>(id);
        if (user.IsPlatformAdmin() && await grain.GetAsync() is { } current)
        {
            RefuseVisibleToAdminOnly(current, actor, user);
        }

        // The grain merges the nested members with the current demand in one turn: no read-modify-write here.
        return TypedResults.Ok(DemandResponse.From(await grain.UpdateAsync(actor, input.ToChanges())));
    }

    private static async Task<Ok<DemandResponse>> CancelAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var actor = user.ActingTraderId();
        var grain = grains.GetGrain<IDemandGrain>(id);
        if (user.IsPlatformAdmin() && await grain.GetAsync() is { } current)
        {
            RefuseVisibleToAdminOnly(current, actor, user);
        }

        return TypedResults.Ok(DemandResponse.From(await grain.CancelAsync(actor)));
    }

    private static async Task<Ok<Page<DemandResponse>>> ListAsync(
        string id, ClaimsPrincipal user, IGrainFactory grains, string? status = null, string? cursor = null, int? limit = null)
    {
        if (user.TraderId() != id && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("own-firm-only", "A firm's demands are private: only the firm itself (and platform admins) may list them.");
        }

        var trader = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.Require(status is null || Enum.GetNames<DemandStatus>().Any(s => s.Equals(status, StringComparison.OrdinalIgnoreCase)), "status",
            "The status filter must be open, fulfilled, cancelled or expired.");
        v.ThrowIfInvalid();

        return TypedResults.Ok(await PageCursor.PageAsync(trader.DemandIds, start, size, d => grains.GetGrain<IDemandGrain>(d).GetAsync(),
            demand => status is null || demand.Status.ToString().Equals(status, StringComparison.OrdinalIgnoreCase) ? DemandResponse.From(demand) : null));
    }

    private static void RefuseVisibleToAdminOnly(Demand demand, string actor, ClaimsPrincipal user)
    {
        if (demand.BuyerId != actor && user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("buyer-only", "Only the buyer may do this; platform admins can read the demand but not change it.");
        }
    }
}
