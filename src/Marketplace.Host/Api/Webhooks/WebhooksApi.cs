using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Domain.Webhooks;
using Marketplace.Grains.Webhooks;
using Marketplace.Host.Api.Idempotency;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Webhooks;

/// <summary>
/// Outbound webhooks: a firm's admins (all the firm's subscriptions) and its API clients (their own) manage
/// subscriptions, rotate secrets, ping, read the delivery log and ask for redelivery. Another firm's subscription is 404.
/// </summary>
public static class WebhooksApi
{
    /// <summary>Creating and listing: any firm admin (with <c>firm.admin</c>) or API client, for its own firm.</summary>
    private static readonly AccessRule Collection = new(null, true, 401, AccessRule.Success, 403, AccessRule.Success);

    /// <summary>One subscription: its firm's admins and the API client that made it; everyone else 404.</summary>
    private static readonly AccessRule Item = new(null, true, 401, 404, 403, 404);

    /// <summary>Maps <c>/api/v1/webhooks</c>.</summary>
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/webhooks").WithTags("Webhooks").WithCommonProblems();
        group.MapPost("/", CreateAsync).WithName("CreateWebhook").WithAccess(Collection).WithMetadata(new SecretInAnswer("secret"))
            .WithSummary("Subscribes a URL to events of the caller's firm; the answer shows the signing secret once. Honours Idempotency-Key.");
        group.MapGet("/", ListAsync).WithName("ListWebhooks").WithAccess(Collection)
            .WithSummary("The firm's subscriptions (an API client sees its own), never their secrets.");
        group.MapGet("/{id}", GetAsync).WithName("GetWebhook").WithAccess(Item)
            .WithSummary("One subscription, without its secret.");
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateWebhook").WithAccess(Item)
            .WithSummary("Changes the URL, event types or description; missing members stay.");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook").WithAccess(Item)
            .WithSummary("Deletes the subscription and drops what it had queued.");
        group.MapPost("/{id}/rotate-secret", RotateAsync).WithName("RotateWebhookSecret").WithAccess(Item).WithMetadata(new SecretInAnswer("secret"))
            .WithSummary("Issues a new signing secret (shown once); the old one keeps signing beside it for Webhooks:SecretOverlap (24 h).");
        group.MapPost("/{id}/ping", PingAsync).WithName("PingWebhook").WithAccess(Item)
            .WithSummary("Queues a test event of type ping to the subscription.");
        group.MapGet("/{id}/deliveries", DeliveriesAsync).WithName("ListWebhookDeliveries").WithAccess(Item)
            .WithSummary("The delivery log: queued deliveries in sending order, a page at a time (limit 1-100, default 50; next gives the cursor of the following page), and the last 100 finished ones, with status, attempts and response code.");
        group.MapPost("/{id}/deliveries/{eventId}/redeliver", RedeliverAsync).WithName("RedeliverWebhookEvent").WithAccess(Item)
            .WithSummary("Sends a finished (delivered or dead-lettered) event again, with the same id and body.");
        return routes;
    }

    private static async Task<Created<WebhookResponse>> CreateAsync(WebhookRequest request, HttpContext context, IGrainFactory grains)
    {
        var (firm, client) = Manager(context.User);
        EnsureScopesFor(context.User, request.EventTypes);
        var id = IdempotencyMiddleware.NewId(context);
        var created = await grains.GetGrain<IWebhookSubscriptionGrain>(id)
            .CreateAsync(new WebhookSubscriptionInput(firm, client, request.Url, request.EventTypes, request.Description));
        return TypedResults.Created($"/api/v1/webhooks/{id}", WebhookResponse.From(created, withSecret: true));
    }

    private static async Task<Ok<IReadOnlyList<WebhookResponse>>> ListAsync(ClaimsPrincipal user, IGrainFactory grains)
    {
        var (firm, client) = Manager(user);
        var entries = await grains.GetGrain<IWebhookFirmGrain>(firm).ListAsync();
        var subscriptions = await Task.WhenAll(entries.Where(e => client is null || e.ClientId == client)
            .Select(e => grains.GetGrain<IWebhookSubscriptionGrain>(e.Id).GetAsync()));
        return TypedResults.Ok<IReadOnlyList<WebhookResponse>>(subscriptions.OfType<WebhookSubscription>().Select(s => WebhookResponse.From(s)).ToArray());
    }

    private static async Task<Ok<WebhookResponse>> GetAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
        => TypedResults.Ok(WebhookResponse.From(await VisibleAsync(id, user, grains)));

    private static async Task<Ok<WebhookResponse>> UpdateAsync(string id, WebhookRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        await VisibleAsync(id, user, grains);
        EnsureScopesFor(user, request.EventTypes);
        var updated = await grains.GetGrain<IWebhookSubscriptionGrain>(id).UpdateAsync(request.Url, request.EventTypes, request.Description);
        return TypedResults.Ok(WebhookResponse.From(updated));
    }

    private static async Task<NoContent> DeleteAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        await VisibleAsync(id, user, grains);
        await grains.GetGrain<IWebhookSubscriptionGrain>(id).DeleteAsync();
        return TypedResults.NoContent();
    }

    private static async Task<Ok<WebhookResponse>> RotateAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        await VisibleAsync(id, user, grains);
        return TypedResults.Ok(WebhookResponse.From(await grains.GetGrain<IWebhookSubscriptionGrain>(id).RotateSecretAsync(), withSecret: true));
    }

    private static async Task<Accepted<WebhookQueuedResponse>> PingAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        await VisibleAsync(id, user, grains);
        var eventId = await grains.GetGrain<IWebhookSubscriptionGrain>(id).PingAsync();
        return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", new WebhookQueuedResponse(eventId));
    }

    private static async Task<Ok<WebhookDeliveriesResponse>> DeliveriesAsync(string id, ClaimsPrincipal user, IGrainFactory grains, string? cursor = null, int? limit = null)
    {
        var v = new Validation();
        var (start, size) = PageCursor.Read(cursor, limit, v);
        v.ThrowIfInvalid("The delivery log's page is not valid.");
        await VisibleAsync(id, user, grains);
        var page = await grains.GetGrain<IWebhookSubscriptionGrain>(id).DeliveriesAsync(start, size);
        return TypedResults.Ok(new WebhookDeliveriesResponse(
            page.Pending.Select(WebhookDeliveryResponse.From).ToArray(),
            page.PendingTotal,
            (long)start + page.Pending.Count < page.PendingTotal ? PageCursor.Encode(start + page.Pending.Count) : null,
            page.Recent.Select(WebhookDeliveryResponse.From).ToArray()));
    }

    private static async Task<Accepted<WebhookQueuedResponse>> RedeliverAsync(string id, string eventId, ClaimsPrincipal user, IGrainFactory grains)
    {
        await VisibleAsync(id, user, grains);
        var delivery = await grains.GetGrain<IWebhookSubscriptionGrain>(id).RedeliverAsync(eventId);
        return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", new WebhookQueuedResponse(delivery.EventId));
    }

    /// <summary>
    /// The firm the caller manages webhooks for, and its client id when it is an API client (which manages only its own
    /// subscriptions). A person must be an admin of the firm using the <c>firm.admin</c> scope.
    /// </summary>
    private static (string Firm, string? Client) Manager(ClaimsPrincipal user)
    {
        var firm = user.ActingTraderId();
        if (!user.IsPerson())
        {
            return (firm, user.Subject());
        }

        if (!user.HasScope(ApiScopes.FirmAdmin) && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("firm-admin-only", "Only an admin of the firm (with the firm.admin scope) or an API client manages webhooks.");
        }

        user.EnsureFirmAdmin(firm);
        return (firm, null);
    }

    /// <summary>
    /// The scopes that read each resource's events through the API (any one of them will do): an API client is told of
    /// what it could read, no more. A firm's admins (with <c>firm.admin</c>) see all of the firm's.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string[]> ReadScopes = new Dictionary<string, string[]>
    {
        ["listing"] = [ApiScopes.ListingsRead, ApiScopes.ListingsWrite],
        ["hold"] = [ApiScopes.OrdersRead, ApiScopes.ListingsRead],
        ["demand"] = [ApiScopes.DemandsWrite],
        ["match"] = [ApiScopes.MatchingRead],
        ["order"] = [ApiScopes.OrdersRead],
        ["invoice"] = [ApiScopes.OrdersRead],
    };

    /// <summary>403 <c>insufficient-scope</c> when an API client asks for events its token could not read (invalid filters are the grain's 422).</summary>
    private static void EnsureScopesFor(ClaimsPrincipal user, IReadOnlyList<string?>? eventTypes)
    {
        if (user.IsPerson() || eventTypes is null)
        {
            return;
        }

        var missing = eventTypes
            .SelectMany(ResourcesOf)
            .Distinct()
            .Where(resource => !ReadScopes[resource].Any(user.HasScope))
            .Select(resource => $"{resource} events need {string.Join(" or ", ReadScopes[resource])}")
            .ToArray();
        if (missing.Length > 0)
        {
            throw new DomainException("insufficient-scope", $"This token cannot read what those events carry: {string.Join("; ", missing)}. Ask for fewer event types, or use a client with those scopes.",
                DomainErrorKind.Forbidden, new Dictionary<string, string[]> { ["eventTypes"] = missing });
        }
    }

    private static IEnumerable<string> ResourcesOf(string? filter)
        => filter == "*" ? WebhookEventTypes.Resources
            : filter?.Split('.')[0] is { } resource && ReadScopes.ContainsKey(resource) ? [resource]
            : [];

    /// <summary>The subscription when the caller manages it; otherwise 404, as for one that does not exist.</summary>
    private static async Task<WebhookSubscription> VisibleAsync(string id, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (firm, client) = Manager(user);
        var subscription = await grains.GetGrain<IWebhookSubscriptionGrain>(id).GetAsync();
        if (subscription is null || subscription.FirmId != firm || (client is not null && subscription.ClientId != client))
        {
            throw DomainException.NotFound("webhook", id);
        }

        return subscription;
    }
}
