using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Marketplace.Domain.Common;
using Marketplace.Domain.Matching;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Api.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Marketplace.Host.Api.Matches;

/// <summary>
/// The matching inbox: proposals pairing a firm's lots with other firms' demands (and the reverse), which the buyer
/// accepts (holding the quantity) and the seller confirms (selling it), or either declines; and a live stream of them.
/// </summary>
public static class MatchesApi
{
    /// <summary>Adds what the match stream needs: its settings (<c>MatchStream</c>) and the count of open streams per caller.</summary>
    public static IServiceCollection AddMatchStreams(this IServiceCollection services)
    {
        services.AddOptions<MatchStreamOptions>().BindConfiguration(MatchStreamOptions.Section)
            .Validate(o => o.MaxPerCaller >= 1 && o.Buffer >= 1 && o.KeepAlive >= TimeSpan.FromSeconds(1) && o.TokenCheckPeriod >= TimeSpan.FromSeconds(1),
                $"{nameof(MatchStreamOptions)}: {nameof(MatchStreamOptions.MaxPerCaller)} and {nameof(MatchStreamOptions.Buffer)} must be at least 1, {nameof(MatchStreamOptions.KeepAlive)} and {nameof(MatchStreamOptions.TokenCheckPeriod)} at least 1 second.")
            .ValidateOnStart();
        services.AddSingleton<MatchStreams>();
        return services;
    }

    /// <summary>Maps <c>/api/v1/matches</c>.</summary>
    public static IEndpointRouteBuilder MapMatchesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/matches").WithTags("Matches").WithCommonProblems();

        group.MapGet("/", ListAsync).WithName("ListMatches").WithAccess(AccessRule.AnyFirm(ApiScopes.MatchingRead))
            .WithSummary("The caller's matches as buyer and seller, most recently changed first; filter by status (proposed, accepted, confirmed, declined, expired) and role (buyer, seller).");
        group.MapGet("/stream", StreamAsync).WithName("StreamMatches").WithAccess(AccessRule.AnyFirm(ApiScopes.MatchingRead))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .WithSummary("Server-sent events: one 'match' event (data: the match as GET /api/v1/matches/{id} shows it) for every new proposal and every change to the caller's matches, one 'import' event (data: rows done and total, counts, state) when one of the firm's import jobs starts, progresses (about once a second) or ends, and a keep-alive comment every 30 s. A client reconnecting with Last-Event-ID first gets what changed after that event. A 'resync' event (a change was dropped for a slow reader) ends the stream: reconnect with Last-Event-ID. The stream ends when the token expires or is revoked. At most 5 open streams per caller (429 too-many-streams).");
        group.MapGet("/{id}", GetAsync).WithName("GetMatch").WithAccess(AccessRule.Owner(ApiScopes.MatchingRead, otherFirm: 404, platformAdmin: 404))
            .WithSummary("One match, to its buyer and its seller only.");
        group.MapPost("/{id}/accept", AcceptAsync).WithName("AcceptMatch").WithAccess(AccessRule.Owner(ApiScopes.OrdersWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The buyer accepts: the proposed quantity is held on the lot until the match expires and its order is placed (optional body: fulfilment, address, paymentMethod, invoicing; by default pickup, invoice and the firm's billing details). 409 match-quantity-gone (with the available quantity) when the lot no longer has it.");
        group.MapPost("/{id}/confirm", ConfirmAsync).WithName("ConfirmMatch").WithAccess(AccessRule.Owner(ApiScopes.ListingsWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The seller confirms an accepted match, which accepts its order: the held quantity is sold and the demand records the purchase.");
        group.MapPost("/{id}/decline", DeclineAsync).WithName("DeclineMatch").WithAccess(AccessRule.Owner(ApiScopes.MatchingWrite, otherFirm: 404, platformAdmin: 404))
            .WithSummary("The buyer or the seller declines an open match (its order is cancelled and the hold released); the pair is not proposed again.");
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

        var page = await grains.GetGrain<IMatchInboxGrain>(trader).PageAsync(status, role, start, pageSize);
        var next = page.NextStart is { } n ? PageCursor.Encode(n) : null;
        return TypedResults.Ok(new Page<MatchResponse>(page.Matches.Select(m => MatchResponse.From(m, trader)).ToArray(), next));
    }

    private static async Task<Ok<MatchResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var trader = user.ActingTraderId();
        var session = await grains.GetGrain<IMatchingSessionGrain>(id).GetAsync() ?? throw DomainException.NotFound("match", id);
        session.EnsureParty(trader);
        return TypedResults.Ok(MatchResponse.From(session, trader));
    }

    /// <summary>
    /// The buyer accepts, which holds the proposed quantity: a hold like any other, so a firm at its bound of open holds
    /// across lots is refused (409 <c>open-hold-limit</c>, the match stays proposed), as <c>POST /listings/{id}/holds</c>
    /// is. A retried acceptance of a match already accepted holds nothing new and is not refused.
    /// </summary>
    private static async Task<Ok<MatchResponse>> AcceptAsync(string id, AcceptMatchRequest? request, ClaimsPrincipal user, IGrainFactory grains,
        TimeProvider time, IOptions<ListingOptions> listings)
    {
        var trader = user.ActingTraderId();
        var grain = grains.GetGrain<IMatchingSessionGrain>(id);
        var session = await grain.GetAsync() ?? throw DomainException.NotFound("match", id);
        session.EnsureParty(trader);
        var holds = session.Status == MatchStatus.Proposed && session.Proposal?.BuyerId == trader;
        var holdKey = session.Proposal!.LotId + "/" + session.NextHoldId;
        if (holds)
        {
            await HoldsApi.EnsureOpenHoldRoomAsync(grains, trader, listings.Value, time.GetUtcNow(), holdKey);
        }

        try
        {
            return TypedResults.Ok(MatchResponse.From(await grain.AcceptAsync(trader, request?.ToCheckout(), OrdersApi.Actor(user)), trader));
        }
        catch when (holds)
        {
            // The room the bound's check reserved for this hold is not taken.
            await grains.GetGrain<IBuyerHoldsGrain>(trader).ReleaseReservationAsync(holdKey);
            throw;
        }
    }

    private static Task<Ok<MatchResponse>> ConfirmAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => ActAsync(id, user, grains, (g, t) => g.ConfirmAsync(t, OrdersApi.Actor(user)));

    private static Task<Ok<MatchResponse>> DeclineAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => ActAsync(id, user, grains, (g, t) => g.DeclineAsync(t, OrdersApi.Actor(user)));

    private static async Task<Ok<MatchResponse>> ActAsync(string id, ClaimsPrincipal user, IGrainFactory grains, Func<IMatchingSessionGrain, string, Task<MatchingSession>> act)
    {
        var trader = user.ActingTraderId();
        var grain = grains.GetGrain<IMatchingSessionGrain>(id);

        // Unknown ids and other firms' matches answer 404 before anything is changed.
        (await grain.GetAsync() ?? throw DomainException.NotFound("match", id)).EnsureParty(trader);
        return TypedResults.Ok(MatchResponse.From(await act(grain, trader), trader));
    }

    private static async Task StreamAsync(HttpContext context, ClaimsPrincipal user, IGrainFactory grains, IOptions<JsonOptions> json,
        MatchStreams streams, IOptions<MatchStreamOptions> settings, IOptions<MatchingOptions> matching, TimeProvider time, ILoggerFactory loggers)
    {
        var trader = user.ActingTraderId();
        var options = settings.Value;
        using var slot = streams.TryOpen(user.Subject());
        if (slot is null)
        {
            await ApiProblems.Write(context, ApiProblems.Create(StatusCodes.Status429TooManyRequests, "too-many-streams", "Too many streams",
                $"One caller keeps at most {options.MaxPerCaller} match streams open; close one before opening another."));
            return;
        }

        // Ends the stream when the client goes, the token expires or is revoked, or the subscription cannot be renewed.
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var cancellation = closing.Token;
        var left = user.GetExpirationDate() - time.GetUtcNow();
        if (left < TimeSpan.FromDays(30))
        {
            closing.CancelAfter(left.Value > TimeSpan.Zero ? left.Value : TimeSpan.Zero);
        }

        var dropped = 0;
        var changes = Channel.CreateBounded<object>(
            new BoundedChannelOptions(options.Buffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Exchange(ref dropped, 1));
        var observer = new StreamObserver(changes.Writer);
        var reference = grains.CreateObjectReference<IMatchObserver>(observer);
        var inbox = grains.GetGrain<IMatchInboxGrain>(trader);
        await inbox.SubscribeAsync(reference);
        var upkeep = KeepUpAsync(inbox, reference, user, context.RequestServices, time, matching.Value.ObserverLease / 3, options.TokenCheckPeriod, closing,
            loggers.CreateLogger(typeof(MatchesApi)));
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
                object? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    wait.CancelAfter(options.KeepAlive);
                    try
                    {
                        next = await changes.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                    {
                        // Quiet for a while: keep proxies from closing the stream.
                        await context.Response.WriteAsync(": keep-alive\n\n", cancellation);
                    }
                }

                if (Interlocked.Exchange(ref dropped, 0) == 1)
                {
                    // The client read too slowly and a change was dropped: it reloads from the last event it got.
                    await context.Response.WriteAsync("event: resync\ndata: {\"reason\":\"buffer-overflow\"}\n\n", cancellation);
                    await context.Response.Body.FlushAsync(cancellation);
                    return;
                }

                if (next is MatchingSession session)
                {
                    await WriteEventAsync(context, session, trader, json.Value, cancellation);
                }
                else if (next is ImportProgress import)
                {
                    await WriteImportEventAsync(context, import, json.Value, cancellation);
                }

                await context.Response.Body.FlushAsync(cancellation);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away, or the token ended.
        }
        finally
        {
            await closing.CancelAsync();
            await upkeep;
            await inbox.UnsubscribeAsync(reference);
            grains.DeleteObjectReference<IMatchObserver>(reference);

            // Orleans holds observers weakly: without this the observer could be collected mid-stream and events lost.
            GC.KeepAlive(observer);
        }
    }

    /// <summary>
    /// Renews the stream's subscription every <paramref name="renewal"/> whatever the traffic (a busy stream must not
    /// outlive its lease), and checks every <paramref name="tokenCheck"/> that the token is still valid; ends the stream
    /// when it is not, or when renewing fails.
    /// </summary>
    private static async Task KeepUpAsync(IMatchInboxGrain inbox, IMatchObserver reference, ClaimsPrincipal user, IServiceProvider services, TimeProvider time,
        TimeSpan renewal, TimeSpan tokenCheck, CancellationTokenSource closing, ILogger logger)
    {
        var nextCheck = time.GetUtcNow() + tokenCheck;
        using var timer = new PeriodicTimer(renewal < tokenCheck ? renewal : tokenCheck, time);
        try
        {
            while (await timer.WaitForNextTickAsync(closing.Token))
            {
                await inbox.SubscribeAsync(reference);
                if (time.GetUtcNow() >= nextCheck)
                {
                    nextCheck = time.GetUtcNow() + tokenCheck;
                    if (!await MatchStreams.TokenStillValidAsync(user, services, time.GetUtcNow(), closing.Token))
                    {
                        await closing.CancelAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // The stream ended.
        }
        catch (Exception e)
        {
            // The client reconnects (with Last-Event-ID) rather than stay on a stream that may have lost its subscription.
            logger.LogWarning(e, "Match stream: renewing the subscription or checking the token failed; closing the stream");
            await closing.CancelAsync();
        }
    }

    /// <summary>One <c>match</c> event; its id is the change's time in ticks, which a reconnecting client sends back as <c>Last-Event-ID</c>.</summary>
    private static Task WriteEventAsync(HttpContext context, MatchingSession session, string trader, JsonOptions json, CancellationToken cancellation)
    {
        var data = JsonSerializer.Serialize(MatchResponse.From(session, trader), json.SerializerOptions);
        return context.Response.WriteAsync(
            string.Create(CultureInfo.InvariantCulture, $"id: {session.UpdatedAt.UtcTicks}\nevent: match\ndata: {data}\n\n"), cancellation);
    }

    /// <summary>
    /// One <c>import</c> event: an import job's progress. It has no id, so a reconnecting client's <c>Last-Event-ID</c>
    /// stays that of its last match (progress is not replayed: <c>GET /api/v1/imports/{id}</c> has the job as it is).
    /// </summary>
    private static Task WriteImportEventAsync(HttpContext context, ImportProgress progress, JsonOptions json, CancellationToken cancellation)
        => context.Response.WriteAsync($"event: import\ndata: {JsonSerializer.Serialize(progress, json.SerializerOptions)}\n\n", cancellation);

    /// <summary>Receives a trader's match changes and import progress from its inbox grain and queues them for the stream.</summary>
    private sealed class StreamObserver(ChannelWriter<object> writer) : IMatchObserver
    {
        public Task ChangedAsync(MatchingSession session)
        {
            writer.TryWrite(session);
            return Task.CompletedTask;
        }

        public Task ImportChangedAsync(ImportProgress progress)
        {
            writer.TryWrite(progress);
            return Task.CompletedTask;
        }
    }
}
