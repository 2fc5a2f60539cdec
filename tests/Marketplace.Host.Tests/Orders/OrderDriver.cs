using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Orders;

/// <summary>Drives orders over HTTP: a buyer holds part of a lot and checks out; the seller and the buyer take it further.</summary>
internal static class OrderDriver
{
    /// <summary>An address in Espoo, about 6 km west of the lot of <see cref="Lot"/>.</summary>
    public static JsonObject Espoo() => new()
    {
        ["address"] = "Otaniementie 1",
        ["postalCode"] = "02150",
        ["municipality"] = "Espoo",
        ["latitude"] = 60.1841,
        ["longitude"] = 24.8301,
    };

    /// <summary>A checkout of a hold: pickup, on invoice, invoicing details from the buyer firm.</summary>
    public static JsonObject Checkout(string lotId, string holdId) => new()
    {
        ["listingId"] = lotId,
        ["holdId"] = holdId,
        ["fulfilment"] = "pickup",
        ["address"] = Espoo(),
        ["paymentMethod"] = "invoice",
    };

    /// <summary>Creates and publishes a lot of bricks marked as waste (List of Waste code 17 01 02 from the taxonomy); returns its id.</summary>
    public static async Task<string> WasteLotAsync(MarketplaceServer server, string sellerId, decimal quantity = 1000)
    {
        using var client = server.Client(sellerId);
        var lot = Lot(quantity);
        lot["isWaste"] = true;
        var id = (await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", lot), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
        return id;
    }

    /// <summary>The buyer holds <paramref name="quantity"/> of the lot; returns the hold id.</summary>
    public static async Task<string> HoldAsync(HttpClient buyer, string lotId, decimal quantity)
        => (await ReadAsync(await buyer.PostAsJsonAsync($"/api/v1/listings/{lotId}/holds", new { quantity }), HttpStatusCode.Created))["hold"]!["id"]!.GetValue<string>();

    /// <summary>The buyer holds and checks out; returns the order.</summary>
    public static async Task<JsonObject> PlaceAsync(HttpClient buyer, string lotId, decimal quantity = 400)
    {
        var hold = await HoldAsync(buyer, lotId, quantity);
        return await ReadAsync(await buyer.PostAsJsonAsync("/api/v1/orders", Checkout(lotId, hold)), HttpStatusCode.Created);
    }

    /// <summary>Posts a step (accept, handover, complete, cancel, dispute, resolve) and returns the order after it.</summary>
    public static async Task<JsonObject> StepAsync(HttpClient client, string orderId, string step, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
        => await ReadAsync(await client.PostAsJsonAsync($"/api/v1/orders/{orderId}/{step}", body ?? new { }), expected);

    /// <summary>The order's id.</summary>
    public static string Id(this JsonObject order) => order["id"]!.GetValue<string>();

    /// <summary>The order's status code.</summary>
    public static string Status(this JsonObject order) => order["status"]!.GetValue<string>();
}
