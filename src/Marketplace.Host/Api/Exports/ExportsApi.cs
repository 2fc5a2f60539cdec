using System.Runtime.CompilerServices;
using System.Security.Claims;
using Marketplace.Domain.Carbon;
using Marketplace.Domain.Common;
using Marketplace.Domain.Demands;
using Marketplace.Domain.Listings;
using Marketplace.Domain.Orders;
using Marketplace.Grains.Carbon;
using Marketplace.Grains.Demands;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Callers;
using Marketplace.Host.Api.Carbon;
using Marketplace.Host.Api.Demands;
using Marketplace.Host.Api.Listings;
using Marketplace.Host.Api.Orders;
using Marketplace.Host.Api.TransferDocuments;
using Marketplace.Host.Search;
using Marketplace.Hosting.Problems;
using Marketplace.Search;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Marketplace.Host.Api.Exports;

/// <summary>A firm's own data out: its lots, demands, orders, CO2e totals and waste transfer documents as CSV or JSON Lines, streamed.</summary>
public static class ExportsApi
{
    /// <summary>Maps <c>/api/v1/traders/{id}/exports/{lots|demands|orders|carbon|transfer-documents}</c> and <c>/api/v1/open-data/lots</c>.</summary>
    public static IEndpointRouteBuilder MapExportsApi(this IEndpointRouteBuilder routes)
    {
        // One route per kind, each declaring the scope its documents are read with elsewhere in the API (a token granted
        // only for lots does not export orders); the carbon totals need none, as on /carbon/traders/{id}.
        var exports = routes.MapGroup("/api/v1/traders/{id}/exports").WithTags("Exports").WithCommonProblems();
        foreach (var (kind, scope) in new (string Kind, string? Scope)[]
                 { ("lots", ApiScopes.ListingsRead), ("demands", ApiScopes.DemandsWrite), ("orders", ApiScopes.OrdersRead), ("carbon", null),
                   ("transfer-documents", ApiScopes.OrdersRead) })
        {
            exports.MapGet("/" + kind, (string id, HttpContext context, IGrainFactory grains, IOptions<HttpJsonOptions> json, TimeProvider time, string? format)
                    => ExportAsync(id, kind, context, grains, json, time, format))
                .WithName("ExportTrader" + string.Concat(kind.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])))
                .WithAccess(scope is null ? CarbonApi.FirmMembers : CarbonApi.FirmMembers with { Scope = scope, WithoutScope = 403 })
                .Produces(StatusCodes.Status200OK, contentType: ExportWriter.CsvMediaType, additionalContentTypes: [ExportWriter.JsonLinesMediaType])
                .ProducesProblem(StatusCodes.Status406NotAcceptable)
                .WithSummary($"The firm's {(kind == "carbon" ? "CO2e totals (by month and category)" : kind)} as CSV (?format=csv or Accept: text/csv) or JSON Lines (?format=jsonl or Accept: application/x-ndjson), streamed row by row: the firm's members and platform admins.");
        }

        routes.MapGroup("/api/v1/open-data").WithTags("Open data").WithCommonProblems()
            .MapGet("/lots", OpenLotsAsync).WithName("OpenDataLots").WithAccess(AccessRule.Public)
            .RequireCallerRateLimit(SearchSetup.OpenDataPolicy)
            .Produces(StatusCodes.Status200OK, contentType: ExportWriter.JsonLinesMediaType, additionalContentTypes: [ExportWriter.CsvMediaType])
            .ProducesProblem(StatusCodes.Status406NotAcceptable).ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Every active lot, newest first, with public fields only (no holds, buyers, contacts or addresses), as JSON Lines or CSV, streamed; licensed CC BY 4.0 (Link rel=license header). Anonymous; Search:OpenDataPerMinute downloads per caller and minute (429), Search:OpenDataConcurrent at once per host (503 open-data-busy with Retry-After).");
        return routes;
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ExportAsync(
        string id, string kind, HttpContext context, IGrainFactory grains, IOptions<HttpJsonOptions> json, TimeProvider time, string? format = null)
    {
        var user = context.User;
        // Members first, as for the firm's carbon totals: whether a firm exists is public, its data is not.
        if (user.TraderId() != id && !user.IsPlatformAdmin())
        {
            throw DomainException.Forbidden("firm-members-only", "Only the firm's members and platform admins may export its data.");
        }

        var (chosen, notAcceptable) = ExportWriter.Negotiate(context.Request, format);
        if (notAcceptable is not null)
        {
            return notAcceptable;
        }

        var trader = await grains.GetGrain<ITraderGrain>(id).GetAsync() ?? throw DomainException.NotFound("trader", id);
        var options = json.Value.SerializerOptions;
        var name = $"{id}-{kind}";
        var aborted = context.RequestAborted;
        return kind switch
        {
            "lots" => ExportWriter.Stream(chosen, name, LotColumns, ct => ReadAllAsync(trader.ListingIds, l => grains.GetGrain<IListingGrain>(l).GetAsync(), ct),
                l => ListingResponse.From(l, id), options, aborted),
            "demands" => ExportWriter.Stream(chosen, name, DemandColumns, ct => ReadAllAsync(trader.DemandIds, d => grains.GetGrain<IDemandGrain>(d).GetAsync(), ct),
                DemandResponse.From, options, aborted),
            "orders" => await OrdersAsync(chosen, name, id, user, grains, time, options, aborted),
            "transfer-documents" => await TransferDocumentsAsync(chosen, name, id, user, grains, options, aborted),
            _ => ExportWriter.Stream(chosen, name, CarbonColumns,
                ct => OneAsync(grains.GetGrain<ICarbonLedgerGrain>(id).GetTotalsAsync(), t => t.ByMonthAndCategory, ct), CarbonTotalDto.From, options, aborted),
        };
    }

    private static async Task<PushStreamHttpResult> OrdersAsync(ExportFormat format, string name, string id, ClaimsPrincipal user, IGrainFactory grains,
        TimeProvider time, System.Text.Json.JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IOrderIndexGrain>(id).ListAsync(null, null);
        var actor = OrdersApi.Actor(user);
        var now = time.GetUtcNow();
        return ExportWriter.Stream(format, name, OrderColumns(id), ct => ReadAllAsync(ids, async o =>
        {
            try
            {
                return await grains.GetGrain<IOrderGrain>(o).GetAsync(actor);
            }
            catch (DomainException e) when (e.Kind == DomainErrorKind.NotFound)
            {
                return null;
            }
        }, ct), o => OrderResponse.From(o, id, now), options, cancellationToken);
    }

    private static async Task<PushStreamHttpResult> TransferDocumentsAsync(ExportFormat format, string name, string id, ClaimsPrincipal user, IGrainFactory grains,
        System.Text.Json.JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IOrderIndexGrain>(id).ListAsync(null, null);
        var actor = OrdersApi.Actor(user);
        return ExportWriter.Stream(format, name, TransferDocumentColumns,
            ct => ReadAllAsync(ids, async o => (await TransferDocumentsApi.ReadAsync(grains, o, actor))?.TransferDocument, ct),
            TransferDocumentResponse.From, options, cancellationToken);
    }

    private static readonly ExportColumn<TransferDocument>[] TransferDocumentColumns =
    [
        new("id", d => d.Id), new("orderId", d => d.OrderId), new("status", d => d.Status),
        new("holderName", d => d.Holder.Name), new("holderBusinessId", d => d.Holder.BusinessId),
        new("description", d => d.Waste.Description), new("category", d => d.Waste.Category), new("wasteCode", d => d.Waste.WasteCode),
        new("hazardous", d => d.Waste.Hazardous), new("quantity", d => d.Waste.Quantity), new("unit", d => d.Waste.Unit), new("massKg", d => d.Waste.MassKg),
        new("originAddress", d => d.Origin.Address), new("originMunicipality", d => d.Origin.Municipality),
        new("transporterName", d => d.Transporter.Name), new("transporterBusinessId", d => d.Transporter.BusinessId), new("carriedBy", d => d.CarriedBy),
        new("receiverName", d => d.Receiver.Name), new("receiverBusinessId", d => d.Receiver.BusinessId),
        new("destinationAddress", d => d.Destination.Address), new("destinationPostalCode", d => d.Destination.PostalCode),
        new("destinationMunicipality", d => d.Destination.Municipality), new("handoverDate", d => d.HandoverDate),
        new("holderSignedAt", d => d.HolderSignature?.SignedAt), new("receiverSignedAt", d => d.ReceiverSignature?.SignedAt), new("version", d => d.Version),
    ];

    /// <summary>The licence of the open data feed, named in its <c>Link: rel="license"</c> header.</summary>
    public const string OpenDataLicence = "https://creativecommons.org/licenses/by/4.0/";

    private static Results<PushStreamHttpResult, ProblemHttpResult> OpenLotsAsync(HttpContext context, ISearchEngine search, IOptions<HttpJsonOptions> json,
        OpenDataGate gate, string? format = null)
    {
        var (chosen, notAcceptable) = ExportWriter.Negotiate(context.Request, format);
        if (notAcceptable is not null)
        {
            return notAcceptable;
        }

        // Refused before the stream starts: once it has, a failure can no longer become a problem document.
        if (search is SearchOff)
        {
            throw new SearchOffException();
        }

        if (!gate.TryEnter(context))
        {
            context.Response.Headers.RetryAfter = "60";
            return TypedResults.Problem(ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "open-data-busy", "Open data busy",
                "As many open-data downloads as this host serves at once are running; retry in a minute (Retry-After)."));
        }

        context.Response.Headers.Link = $"<{OpenDataLicence}>; rel=\"license\"";
        context.Response.Headers["X-License"] = "CC-BY-4.0";
        return ExportWriter.Stream(chosen, "open-data-lots", OpenLotColumns, ct => ActiveLotsAsync(search, ct), l => l, json.Value.SerializerOptions, context.RequestAborted);
    }

    /// <summary>
    /// Every active lot from the search index, page by page (the index holds only active lots and only their public fields,
    /// and pages without activating a grain per lot); a lot published or sold out during the walk may or may not be seen.
    /// </summary>
    private static async IAsyncEnumerable<OpenDataLot> ActiveLotsAsync(ISearchEngine search, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await search.SearchAsync(new SearchQuery { Sort = SearchSort.Newest, Limit = SearchQuery.MaxLimit, Cursor = cursor }, cancellationToken);
            foreach (var h in page.Hits)
            {
                yield return new OpenDataLot(h.Id, h.SellerId, h.Title, h.Category, h.Condition, h.Unit, QuantitiesDto.Plain(h.Available), h.PriceMinor, h.Currency,
                    h.Municipality, h.Latitude, h.Longitude, h.AvailableFrom, h.AvailableTo);
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    private static readonly ExportColumn<OpenDataLot>[] OpenLotColumns =
    [
        new("id", l => l.Id), new("sellerId", l => l.SellerId), new("title", l => l.Title), new("category", l => l.Category),
        new("condition", l => l.Condition), new("unit", l => l.Unit), new("availableQuantity", l => l.AvailableQuantity),
        new("unitPriceMinor", l => l.UnitPriceMinor), new("currency", l => l.Currency), new("municipality", l => l.Municipality),
        new("latitude", l => l.Latitude), new("longitude", l => l.Longitude), new("availableFrom", l => l.AvailableFrom), new("availableTo", l => l.AvailableTo),
    ];

    /// <summary>Reads the items one at a time, in the index's order, skipping any the index names but that no longer exist.</summary>
    private static async IAsyncEnumerable<T> ReadAllAsync<T>(IReadOnlyList<string> ids, Func<string, Task<T?>> read,
        [EnumeratorCancellation] CancellationToken cancellationToken) where T : class
    {
        foreach (var id in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await read(id) is { } item)
            {
                yield return item;
            }
        }
    }

    private static async IAsyncEnumerable<TRow> OneAsync<TSource, TRow>(Task<TSource> source, Func<TSource, IEnumerable<TRow>> rows,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var row in rows(await source))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }
    }

    private static readonly ExportColumn<Listing>[] LotColumns =
    [
        new("id", l => l.Id), new("status", l => Listing.StatusCode(l.Status)), new("title", l => l.Details!.Title),
        new("category", l => l.Details!.Category), new("condition", l => l.Details!.Condition), new("unit", l => l.Details!.Unit),
        new("listedQuantity", l => l.ListedQuantity), new("availableQuantity", l => l.Available), new("heldQuantity", l => l.Held),
        new("soldQuantity", l => l.Sold), new("massPerUnitKg", l => l.Details!.MassPerUnitKg),
        new("unitPriceMinor", l => l.Details!.UnitPrice.MinorUnits), new("currency", l => l.Details!.UnitPrice.Currency),
        new("address", l => l.Details!.Location?.Address), new("municipality", l => l.Details!.Location?.Municipality),
        new("latitude", l => l.Details!.Location?.Latitude), new("longitude", l => l.Details!.Location?.Longitude),
        new("pickup", l => l.Details!.Pickup), new("delivery", l => l.Details!.Delivery),
        new("availableFrom", l => l.Details!.Availability.From), new("availableTo", l => l.Details!.Availability.To),
        new("isWaste", l => l.Details!.IsWaste), new("wasteCode", l => l.Details!.WasteCode), new("description", l => l.Details!.Description),
        new("createdAt", l => l.CreatedAt), new("updatedAt", l => l.UpdatedAt), new("publishedAt", l => l.PublishedAt), new("version", l => l.Version),
    ];

    private static readonly ExportColumn<Demand>[] DemandColumns =
    [
        new("id", d => d.Id), new("status", d => d.Status.ToString().ToLowerInvariant()), new("category", d => d.Details!.Category),
        new("quantity", d => d.Details!.Quantity), new("bought", d => d.Bought), new("remaining", d => d.Remaining), new("unit", d => d.Details!.Unit),
        new("minPart", d => d.Details!.MinPart), new("minCondition", d => d.Details!.MinCondition),
        new("maxUnitPriceMinor", d => d.Details!.MaxUnitPrice?.MinorUnits), new("currency", d => d.Details!.MaxUnitPrice?.Currency),
        new("latitude", d => d.Details!.Location?.Latitude), new("longitude", d => d.Details!.Location?.Longitude), new("radiusKm", d => d.Details!.RadiusKm),
        new("windowFrom", d => d.Details!.Window?.From), new("windowTo", d => d.Details!.Window?.To), new("expiresAt", d => d.Details!.ExpiresAt),
        new("createdAt", d => d.CreatedAt), new("version", d => d.Version),
    ];

    private static ExportColumn<Order>[] OrderColumns(string firm) =>
    [
        new("id", o => o.Id), new("status", o => Order.StatusCode(o.Status)), new("role", o => o.SellerId == firm ? "seller" : "buyer"),
        new("buyerId", o => o.BuyerId), new("sellerId", o => o.SellerId), new("listingId", o => o.Lot!.ListingId), new("title", o => o.Lot!.Title),
        new("category", o => o.Lot!.Category), new("quantity", o => o.Quantity), new("unit", o => o.Lot!.Unit),
        new("fulfilment", o => o.Fulfilment.ToString().ToLowerInvariant()), new("distanceKm", o => o.DistanceKm),
        new("currency", o => o.Totals!.Currency), new("netMinor", o => o.Totals!.NetMinor), new("vatMinor", o => o.Totals!.VatMinor),
        new("grossMinor", o => o.Totals!.GrossMinor), new("paymentMethod", o => o.Payment!.Method.ToString().ToLowerInvariant()),
        new("paidMinor", o => o.PaidMinor), new("refundedMinor", o => o.RefundedMinor), new("creditedMinor", o => o.CreditedMinor), new("invoiceNumber", o => o.Invoice?.Number),
        new("creditNoteNumber", o => o.Invoice?.CreditNote?.Number),
        new("avoidedKgCo2e", o => o.Carbon?.AvoidedKgCo2e), new("placedAt", o => o.PlacedAt), new("acceptedAt", o => o.AcceptedAt),
        new("handedOverAt", o => o.HandedOverAt), new("closedAt", o => o.ClosedAt), new("version", o => o.Version),
    ];

    private static readonly ExportColumn<CarbonTotal>[] CarbonColumns =
    [
        new("month", t => t.Month), new("category", t => t.Category), new("orders", t => t.Orders),
        new("tonnesReused", t => CarbonTotalDto.From(t).TonnesReused), new("avoidedKgCo2e", t => t.AvoidedKgCo2e), new("negativeOrders", t => t.NegativeOrders),
    ];
}

/// <summary>An active lot in the open data feed: public fields only.</summary>
public sealed record OpenDataLot(string Id, string SellerId, string Title, string Category, string Condition, string Unit, decimal AvailableQuantity,
    long UnitPriceMinor, string Currency, string? Municipality, double Latitude, double Longitude, DateOnly AvailableFrom, DateOnly AvailableTo);
