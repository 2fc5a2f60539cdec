using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Marketplace.Host.Tests.Api;

/// <summary>Drives the API the way a client would, over real HTTP.</summary>
internal static class ApiDriver
{
    private static int _businessSerial = Random.Shared.Next(1_000_000, 5_000_000);

    public static string NewBusinessId()
    {
        while (true)
        {
            var digits = Interlocked.Increment(ref _businessSerial).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
            if (Domain.Traders.BusinessId.CheckDigitFor(digits) is { } check)
            {
                return $"{digits}-{check}";
            }
        }
    }

    public static JsonObject Firm(params string[] roles) => new()
    {
        ["name"] = "Purkutyö Testi Oy",
        ["businessId"] = NewBusinessId(),
        ["municipality"] = "Vantaa",
        ["contact"] = new JsonObject { ["person"] = "Aino", ["email"] = "aino@purku.example", ["phone"] = "+358 40 1" },
        ["roles"] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray()),
        // A seller accepts invoice orders only with the account its invoices name (the example of the Finnish banks' guide).
        ["billing"] = new JsonObject { ["iban"] = "FI21 1234 5600 0007 85" },
    };

    /// <summary>Registers a firm through the API (see <see cref="MarketplaceServer.RegisterFirmAsync"/>); <c>server.Client(id)</c> then acts for it.</summary>
    public static Task<string> RegisterFirmAsync(MarketplaceServer server, params string[] roles)
        => server.RegisterFirmAsync(Firm(roles.Length > 0 ? roles : ["seller", "buyer"]));

    /// <summary>A random place in Finland's inland, so a test's lots and demands meet each other and not other tests' (radii of 40 km or less).</summary>
    public static (double Latitude, double Longitude) RandomPlace() => (61 + (Random.Shared.NextDouble() * 6), 23 + (Random.Shared.NextDouble() * 6));

    public static JsonObject Lot(decimal quantity = 1000, (double Latitude, double Longitude)? at = null) => new()
    {
        ["title"] = "Reclaimed red clay bricks",
        ["description"] = "From a 1950s facade in Kallio, cleaned, on pallets of 500.",
        ["category"] = "masonry/bricks",
        ["quantity"] = quantity,
        ["unit"] = "pcs",
        ["condition"] = "A",
        ["unitPrice"] = new JsonObject { ["minorUnits"] = 45, ["currency"] = "EUR" },
        ["location"] = new JsonObject { ["latitude"] = at?.Latitude ?? 60.1841, ["longitude"] = at?.Longitude ?? 24.9501, ["address"] = "Hämeentie 10", ["municipality"] = "Helsinki" },
        ["pickup"] = true,
        ["delivery"] = false,
        ["availability"] = new JsonObject
        {
            ["from"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd"),
            ["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(60)).ToString("yyyy-MM-dd"),
        },
    };

    /// <summary>A demand for bricks near the lot of <see cref="Lot"/> (Kallio), needed within the lot's window.</summary>
    public static JsonObject Demand(decimal quantity = 300, (double Latitude, double Longitude)? at = null) => new()
    {
        ["category"] = "masonry",
        ["quantity"] = quantity,
        ["unit"] = "pcs",
        ["minPart"] = 1,
        ["minCondition"] = "B",
        ["maxUnitPrice"] = new JsonObject { ["minorUnits"] = 60, ["currency"] = "EUR" },
        ["location"] = new JsonObject { ["latitude"] = at?.Latitude ?? 60.2055, ["longitude"] = at?.Longitude ?? 24.6559 },
        ["radiusKm"] = 40,
        ["window"] = new JsonObject
        {
            ["from"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(5)).ToString("yyyy-MM-dd"),
            ["to"] = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(30)).ToString("yyyy-MM-dd"),
        },
    };

    /// <summary>Posts a demand for the buyer; returns its id.</summary>
    public static async Task<string> DemandAsync(MarketplaceServer server, string buyerId, JsonObject? demand = null)
    {
        using var client = server.Client(buyerId);
        return (await ReadAsync(await client.PostAsJsonAsync("/api/v1/demands", demand ?? Demand()), HttpStatusCode.Created))["id"]!.GetValue<string>();
    }

    /// <summary>Waits until the match of a lot and a demand exists for the caller of <paramref name="client"/>, and returns it.</summary>
    public static async Task<JsonObject> MatchAsync(HttpClient client, string lotId, string demandId)
    {
        var id = $"{lotId}-{demandId}";
        using var response = await Eventually.ValueAsync(
            () => client.GetAsync($"/api/v1/matches/{id}"),
            r => r.StatusCode == HttpStatusCode.OK || Dispose(r),
            TimeSpan.FromSeconds(15));
        return await ReadAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Creates and publishes a lot; returns its id.</summary>
    public static async Task<string> ActiveLotAsync(MarketplaceServer server, string sellerId, decimal quantity = 1000, (double Latitude, double Longitude)? at = null)
    {
        using var client = server.Client(sellerId);
        var created = await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot(quantity, at)), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        await ReadAsync(await client.PostAsync($"/api/v1/listings/{id}/publish", null), HttpStatusCode.OK);
        return id;
    }

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts a problem document: status, content type, stable type and (optionally) a field with a message.</summary>
    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        var body = await ReadAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:marketplace:problem:" + code, body["type"]?.GetValue<string>());
        Assert.Equal((int)status, body["status"]?.GetValue<int>());
        if (field is not null)
        {
            var messages = body["errors"]?[field]?.AsArray();
            Assert.True(messages is { Count: > 0 }, $"no message for field '{field}' in {body.ToJsonString()}");
            Assert.False(string.IsNullOrWhiteSpace(messages![0]!.GetValue<string>()));
        }

        return body;
    }

    public static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public static JsonObject With(this JsonObject lot, Action<JsonObject> change)
    {
        var copy = JsonNode.Parse(lot.ToJsonString())!.AsObject();
        change(copy);
        return copy;
    }

    /// <summary>Disposes an answer that is not the one waited for, and says to keep waiting.</summary>
    private static bool Dispose(HttpResponseMessage response)
    {
        response.Dispose();
        return false;
    }
}
