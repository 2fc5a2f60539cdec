using Marketplace.Domain.Common;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Traders;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using System.Security.Claims;

namespace Marketplace.Host.Api.Listings;

/// <summary>Holds: a buyer reserves part of a lot until a time; the seller confirms it or either side releases it.</summary>
public static class HoldsApi
{
    /// <summary>How long a hold lasts when the request names no end.</summary>
    public static readonly TimeSpan DefaultHoldDuration = TimeSpan.FromDays(7);

    /// <summary>Maps <c>/api/v1/listings/{id}/holds</c> and <c>/api/v1/holds</c>.</summary>
    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/listings/{id}/holds").WithTags("Holds").WithCommonProblems();

        group.MapPost("/", PlaceAsync).WithName("PlaceHold").WithAccess(AccessRule.AnyFirm(ApiScopes.OrdersWrite))
            .WithSummary("A buyer holds part of an active lot until a time (default 7 days, at most 30). 409 with the available quantity when there is not enough. Honours Idempotency-Key.");
        group.MapDelete("/{holdId}", ReleaseAsync).WithName("ReleaseHold").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The holding buyer or the seller releases a hold.");
        group.MapPost("/{holdId}/confirm", ConfirmAsync).WithName("ConfirmHold").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The seller confirms a hold: its quantity becomes sold.");

        routes.MapGroup("/api/v1/holds").WithTags("Holds").WithCommonProblems()
            .MapGet("/", ListAsync).WithName("ListHolds").WithAccess(AccessRule.AnyFirm(ApiScopes.OrdersRead))
            .WithSummary("The calling firm's own holds across all lots, newest first, each with its lot's title, unit and price; filter by status (active, confirmed, released, lapsed). Paged by cursor (limit 1-100, default 50).");
        return routes;
    }

    private static async Task<Created<HoldResponse>> PlaceAsync(string id, PlaceHoldRequest request, HttpContext context, IGrainFactory grains, TimeProvider time,
        IOptions<ListingOptions> listings)
    {
        var buyer = context.User.ActingTraderId();
        // Derived from the Idempotency-Key: a retry after a failure whose outcome is unknown finds the first hold.
        var holdId = IdempotencyMiddleware.NewId(context);
        var holdKey = id + "/" + holdId;
        var until = request.Until ?? time.GetUtcNow() + DefaultHoldDuration;
        HoldReceipt receipt;
        try
        {
            // Both at once: the role refusal, when both refuse, is the one answered.
            await Task.WhenAll(
                grains.GetGrain<ITraderGrain>(buyer).EnsureRoleAsync(TraderRoles.Buyer),
                EnsureOpenHoldRoomAsync(grains, buyer, listings.Value, time.GetUtcNow(), holdKey));
            receipt = await grains.GetGrain<IListingGrain>(id).PlaceHoldAsync(buyer, holdId, request.Quantity ?? 0, until);
        }
        catch
        {
            // The room the bound's check reserved for this hold is not taken (a role refusal too: probe 16).
            await grains.GetGrain<IBuyerHoldsGrain>(buyer).ReleaseReservationAsync(holdKey);
            throw;
        }

        return TypedResults.Created($"/api/v1/listings/{id}/holds/{holdId}", Response(receipt));
    }

    private static async Task<Ok<HoldResponse>> ReleaseAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        return TypedResults.Ok(Response(await AbandonedCheckouts.RetryAsync(grains, id, () => grains.GetGrain<IListingGrain>(id).ReleaseHoldAsync(user.ActingTraderId(), holdId))));
    }

    private static async Task<Ok<HoldResponse>> ConfirmAsync(string id, string holdId, ClaimsPrincipal user, IGrainFactory grains)
    {
        return TypedResults.Ok(Response(await AbandonedCheckouts.RetryAsync(grains, id, () => grains.GetGrain<IListingGrain>(id).ConfirmHoldAsync(user.ActingTraderId(), holdId))));
    }

    private static async Task<Ok<Page<BuyerHoldResponse>>> ListAsync(ClaimsPrincipal user, IGrainFactory grains, string? status = null, string? cursor = null, int? limit = null)
    {
        var buyer = user.ActingTraderId();
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.Require(status is null or "active" or "confirmed" or "released" or "lapsed", "status", "The status filter must be active, confirmed, released or lapsed.");
        v.ThrowIfInvalid();

        var keys = await grains.GetGrain<IBuyerHoldsGrain>(buyer).ListAsync();
        var page = await PageCursor.PageAsync(keys, start, size, key => ReadAsync(grains, key), found =>
        {
            var (lot, hold) = found;
            return hold.BuyerId == buyer && (status is null || HoldDto.From(hold).Status == status) ? BuyerHoldResponse.From(lot, hold) : null;
        });
        return TypedResults.Ok(page);
    }

    /// <summary>
    /// Refuses a hold past the firm's bound of open holds across lots (409 <c>open-hold-limit</c>), so that one buyer
    /// cannot take the whole market off it. The firm's index of holds counts those not yet ended by their time; at the
    /// bound, their lots are read and the holds found released, confirmed or lapsed no longer count.
    /// </summary>
    internal static Task EnsureOpenHoldRoomAsync(IGrainFactory grains, string buyer, ListingOptions options, DateTimeOffset now, string holdKey)
    {
        var max = options.MaxOpenHoldsPerBuyer;
        var index = grains.GetGrain<IBuyerHoldsGrain>(buyer);
        return OpenBounds.EnsureRoomAsync(
            () => index.CheckOpenAsync(max, now, holdKey),
            async key => await ReadAsync(grains, key) is { Item2: { IsActive: true } hold } && hold.BuyerId == buyer && hold.ExpiresAt > now,
            closed => index.ClosedAsync(closed, max, now, options.OpenHoldRecheckAfter, holdKey),
            () => DomainException.Conflict("open-hold-limit",
                $"Your firm already has {max} holds open across the marketplace, the most one buyer may: release those it no longer needs (GET /api/v1/holds?status=active), then hold again; released holds are counted out within a minute.",
                new Dictionary<string, object?> { ["maxOpenHolds"] = max }));
    }

    /// <summary>The lot and the hold an index key names, or null when the lot no longer has it.</summary>
    private static async Task<Tuple<Listing, Hold>?> ReadAsync(IGrainFactory grains, string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var lot = await grains.GetGrain<IListingGrain>(key[..slash]).GetAsync();
        var hold = lot?.Holds.FirstOrDefault(h => h.Id == key[(slash + 1)..]);
        return lot is null || hold is null ? null : Tuple.Create(lot, hold);
    }

    private static HoldResponse Response(HoldReceipt r)
        => new(r.ListingId, HoldDto.From(r.Hold), QuantitiesDto.Of(r.Listed, r.Available, r.Held, r.Sold));
}
