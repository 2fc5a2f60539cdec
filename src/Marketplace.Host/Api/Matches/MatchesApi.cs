using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Marketplace.Domain.Common;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Matching;
using Marketplace.Host.Api.Problems;
using Marketplace.Host.Api.Traders;
using Marketplace.Host.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Api.Matches;

/// <summary>
/// The matching inbox: proposals pairing a firm's lots with other firms' demands (and the reverse), which the buyer
/// accepts (holding the quantity) and the seller confirms (selling it), or either declines; and a live stream of them.
/// </summary>
public static class MatchesApi
{
    /// <summary>How often the stream sends a keep-alive comment and renews its subscription.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    /// <summary>Maps <c>/api/v1/matches</c>.</summary>
    public static IEndpointRouteBuilder MapMatchesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/matches").WithTags("Matches").WithCommonProblems();

        group.MapGet("/", ListAsync).WithName("ListMatches").WithAccess(AccessRule.AnyFirm(ApiScopes.MatchingRead))
            .WithSummary("The caller's matches as buyer and seller, most recently changed first; filter by status (proposed, accepted, confirmed, declined, expired) and role (buyer, seller).");
        group.MapGet("/stream", StreamAsync).WithName("StreamMatches").WithAccess(AccessRule.AnyFirm(ApiScopes.MatchingRead))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .WithSummary("Server-sent events: one 'match' event (data: the match as GET /api/v1/matches/{id} shows it) for every new proposal and every change to the caller's matches, and a keep-alive comment every 30 s. A client reconnecting with Last-Event-ID first gets what changed after that event.");
        group.MapGet("/{id}", GetAsync).WithName("GetMatch").WithAccess(AccessRule.Owner(ApiScopes.MatchingRead, otherFirm: 404, platformAdmin: 404))
            .WithSummary("One match, to its buyer and its seller only.");
        group.MapPost("/{id}/accept", AcceptAsync).WithName("AcceptMatch").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The buyer accepts: the proposed quantity is held on the lot until the match expires. 409 match-quantity-gone (with the available quantity) when the lot no longer has it.");
        group.MapPost("/{id}/confirm", ConfirmAsync).WithName("ConfirmMatch").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The seller confirms an accepted match: the held quantity is sold and the demand records the purchase.");
        group.MapPost("/{id}/decline", DeclineAsync).WithName("DeclineMatch").WithAccess(AccessRule.Owner(ApiScopes.MatchingWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The buyer or the seller declines an open match (a hold is released); the pair is not proposed again.");
        return routes;
    }

    private static async Task<Ok<Page<MatchResponse>>> ListAsync(
        ClaimsPrincipal user, IGrainFactory grains, string? status = null, string? role = null, string? cursor = null, int? limit = null)
    {
        var trader = user.ActingTraderId();
        var v = new Validation();
        var (start, pageSize) = PageCursor.Read(cursor, limit, v);
        v.Require(status is null || Enum.GetValues<MatchStatus>().Any(s => MatchingSession.StatusCode(s) == status), "status",
            "The status filter must be proposed, accepted, confirmed, declined or expired.");
        v.Require(role is null or "buyer" or "seller", "role", "The role filter must be buyer or seller.");
        v.ThrowIfInvalid();

        var matches = (await grains.GetGrain<IMatchInboxGrain>(trader).ListAsync())
            .Select(m => MatchResponse.From(m, trader))
            .Where(m => (status is null || m.Status == status) && (role is null || m.Role == role))
            .ToArray();
        var page = matches.Skip(start).Take(pageSize).ToArray();
        var next = start + page.Length < matches.Length ? PageCursor.Encode(start + page.Length) : null;
        return TypedResults.Ok(new Page<MatchResponse>(page, next));
    }

    private static async Task<Ok<MatchResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var trader = user.ActingTraderId();
        var session = await grains.GetGrain<IMatchingSessionGrain>(id).GetAsync() ?? throw DomainException.NotFound("match", id);
        session.EnsureParty(trader);
        return TypedResults.Ok(MatchResponse.From(session, trader));
    }

    private static Task<Ok<MatchResponse>> AcceptAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => ActAsync(id, user, grains, (g, t) => g.AcceptAsync(t));

    private static Task<Ok<MatchResponse>> ConfirmAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => ActAsync(id, user, grains, (g, t) => g.ConfirmAsync(t));

    private static Task<Ok<MatchResponse>> DeclineAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => ActAsync(id, user, grains, (g, t) => g.DeclineAsync(t));

    private static async Task<Ok<MatchResponse>> ActAsync(string id, ClaimsPrincipal user, IGrainFactory grains, Func<IMatchingSessionGrain, string, Task<MatchingSession>> act)
    {
        var trader = user.ActingTraderId();
        var grain = grains.GetGrain<IMatchingSessionGrain>(id);

        // Unknown ids and other firms' matches answer 404 before anything is changed.
        (await grain.GetAsync() ?? throw DomainException.NotFound("match", id)).EnsureParty(trader);
        return TypedResults.Ok(MatchResponse.From(await act(grain, trader), trader));
    }

    private static async Task StreamAsync(HttpContext context, ClaimsPrincipal user, IGrainFactory grains, IOptions<JsonOptions> json)
    {
        var trader = user.ActingTraderId();
        var cancellation = context.RequestAborted;
        var changes = Channel.CreateBounded<MatchingSession>(new BoundedChannelOptions(1_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var observer = new StreamObserver(changes.Writer);
        var reference = grains.CreateObjectReference<IMatchObserver>(observer);
        var inbox = grains.GetGrain<IMatchInboxGrain>(trader);
        await inbox.SubscribeAsync(reference);
        try
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await context.Response.WriteAsync(": subscribed\n\n", cancellation);

            // A reconnecting client names the last event it saw: replay what changed after it (subscribed first, so
            // nothing falls in between; a change may come twice, and the version tells which is newer).
            if (long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seen))
            {
                foreach (var missed in (await inbox.ListAsync()).Where(m => m.UpdatedAt.UtcTicks > seen).OrderBy(m => m.UpdatedAt))
                {
                    await WriteEventAsync(context, missed, trader, json.Value, cancellation);
                }
            }

            await context.Response.Body.FlushAsync(cancellation);
            while (!cancellation.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                wait.CancelAfter(KeepAlive);
                try
                {
                    await WriteEventAsync(context, await changes.Reader.ReadAsync(wait.Token), trader, json.Value, cancellation);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    // Quiet for a while: keep proxies from closing the stream, and renew the subscription before it lapses.
                    await context.Response.WriteAsync(": keep-alive\n\n", cancellation);
                    await inbox.SubscribeAsync(reference);
                }

                await context.Response.Body.FlushAsync(cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            await inbox.UnsubscribeAsync(reference);
            grains.DeleteObjectReference<IMatchObserver>(reference);

            // Orleans holds observers weakly: without this the observer could be collected mid-stream and events lost.
            GC.KeepAlive(observer);
        }
    }

    /// <summary>One <c>match</c> event; its id is the change's time in ticks, which a reconnecting client sends back as <c>Last-Event-ID</c>.</summary>
    private static Task WriteEventAsync(HttpContext context, MatchingSession session, string trader, JsonOptions json, CancellationToken cancellation)
    {
        var data = JsonSerializer.Serialize(MatchResponse.From(session, trader), json.SerializerOptions);
        return context.Response.WriteAsync(
            string.Create(CultureInfo.InvariantCulture, $"id: {session.UpdatedAt.UtcTicks}\nevent: match\ndata: {data}\n\n"), cancellation);
    }

    /// <summary>Receives a trader's match changes from its inbox grain and queues them for the stream.</summary>
    private sealed class StreamObserver(ChannelWriter<MatchingSession> writer) : IMatchObserver
    {
        public Task ChangedAsync(MatchingSession session)
        {
            writer.TryWrite(session);
            return Task.CompletedTask;
        }
    }
}
