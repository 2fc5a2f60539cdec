using System.Net;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Listings;

/// <summary>
/// Whatever a client sends, the answer is a success or a problem document, never a 500: awkward strings, dates at the
/// edges of their types, numbers at the edges of decimal and long, and unknown or numeric enum values, for lots, demands,
/// holds and firms (about 2,000 requests in all).
/// </summary>
[Collection(ApiCollection.Name)]
public class BadInputProperties(ServerFixture fixture)
{
    private static readonly string[] Paths =
    [
        "title", "description", "category", "quantity", "unit", "massPerUnitKg", "condition", "unitPrice", "unitPrice.minorUnits",
        "unitPrice.currency", "location", "location.latitude", "location.longitude", "location.municipality", "location.address",
        "pickup", "delivery", "availability", "availability.from", "availability.to", "isWaste", "wasteCode", "photos",
    ];

    private static readonly Func<JsonNode?>[] Values =
    [
        () => null,
        () => "",
        () => "x",
        () => new string('é', 300),
        () => "2027-02-30",
        () => "17 01 02",
        () => -1,
        () => 0,
        () => 1e300,
        () => -1e300,
        () => decimal.MaxValue,
        () => 0.0001m,
        () => true,
        () => new JsonArray(1, "a"),
        () => new JsonObject { ["nested"] = new JsonObject() },
        () => "https://example.fi/photo.jpg",
        () => "0001-01-01",
        () => "9999-12-31",
        () => "0001-01-01T00:00:00+00:00",
        () => "9999-12-31T23:59:59.9999999+00:00",
        () => "9999-12-31T23:59:59.9999999-14:00",
        () => "0001-01-01T00:00:00+14:00",
        () => new JsonObject { ["from"] = "0001-01-01", ["to"] = "9999-12-31" },
        () => new JsonObject { ["from"] = "9999-12-31", ["to"] = "9999-12-31" },
        () => decimal.MinValue,
        () => 0.0000000000000000000000000001m,
        () => long.MaxValue,
        () => long.MinValue,
        () => JsonNode.Parse("18446744073709551616"),
        () => JsonNode.Parse("1e400"),
        () => new JsonObject { ["minorUnits"] = long.MaxValue, ["currency"] = "EUR" },
        () => new JsonObject { ["latitude"] = 89.9, ["longitude"] = 179.9 },
        () => "0",
        () => "1",
        () => "-1",
        () => "99",
        () => "a",
        () => "Active",
        () => 2,
    ];

    private static readonly string[] DemandPaths =
    [
        "category", "quantity", "unit", "minPart", "minCondition", "maxUnitPrice", "maxUnitPrice.minorUnits", "maxUnitPrice.currency",
        "location", "location.latitude", "location.longitude", "radiusKm", "window", "window.from", "window.to", "expiresAt",
    ];

    /// <summary>Up to four changes, each either removing a field or setting it to an awkward value.</summary>
    private static Arbitrary<(int Path, int Value, bool Remove)[]> Mutations()
        => Gen.Choose(0, Paths.Length - 1)
            .SelectMany(p => Gen.Choose(0, Values.Length - 1).SelectMany(v => Gen.Elements(false, false, true).Select(r => (p, v, r))))
            .ArrayOf()
            .Select(a => a.Take(4).ToArray())
            .ToArbitrary();

    [Property(MaxTest = 400)]
    public Property CreateListing_AnyMangledBody_IsAnsweredWithoutServerError()
        => Prop.ForAll(Mutations(), mutations =>
        {
            var seller = Seller.Value.GetAwaiter().GetResult();
            var lot = Lot();
            foreach (var (path, value, remove) in mutations)
            {
                Apply(lot, Paths[path], remove ? null : Values[value](), remove);
            }

            using var client = fixture.Server.Client(seller);
            var response = client.PostAsync("/api/v1/listings", JsonBody(lot.ToJsonString())).GetAwaiter().GetResult();
            return Acceptable(response).Label($"{Answer(response)} for {lot.ToJsonString()}");
        });

    [Property(MaxTest = 300)]
    public Property PatchListing_AnyMangledChange_IsAnsweredWithoutServerError()
        => Prop.ForAll(Mutations(), mutations =>
        {
            var listing = Lot10.Value.GetAwaiter().GetResult();
            var change = new JsonObject();
            var full = Lot();
            foreach (var (path, value, remove) in mutations)
            {
                var top = Paths[path].Split('.')[0];
                change[top] = full[top]?.DeepClone();
                Apply(change, Paths[path], remove ? null : Values[value](), remove);
            }

            using var client = fixture.Server.Client(Seller.Value.GetAwaiter().GetResult());
            var response = client.PatchAsync($"/api/v1/listings/{listing}", JsonBody(change.ToJsonString())).GetAwaiter().GetResult();
            return Acceptable(response).Label($"{Answer(response)} for {change.ToJsonString()}");
        });

    [Property(MaxTest = 100)]
    public Property RegisterTrader_AnyMangledBody_IsAnsweredWithoutServerError()
        => Prop.ForAll(
            Gen.Choose(0, FirmPaths.Length - 1).SelectMany(p => Gen.Choose(0, Values.Length - 1).Select(v => (p, v))).ArrayOf().Select(a => a.Take(3).ToArray()).ToArbitrary(),
            mutations =>
            {
                var firm = Firm("seller");
                foreach (var (path, value) in mutations)
                {
                    Apply(firm, FirmPaths[path], Values[value](), remove: value == 0);
                }

                using var client = fixture.Server.RegistrarClientAsync().GetAwaiter().GetResult();
                var response = client.PostAsync("/api/v1/traders", JsonBody(firm.ToJsonString())).GetAwaiter().GetResult();
                return Acceptable(response).Label($"{Answer(response)} for {firm.ToJsonString()}");
            });

    [Property(MaxTest = 100)]
    public Property PatchTrader_AnyMangledChange_IsAnsweredWithoutServerError()
        => Prop.ForAll(Gen.Choose(0, FirmPaths.Length - 1).SelectMany(p => Gen.Choose(0, Values.Length - 1).Select(v => (p, v))).ArrayOf().Select(a => a.Take(3).ToArray()).ToArbitrary(),
            mutations =>
            {
                var firm = PatchedFirm.Value.GetAwaiter().GetResult();
                var change = new JsonObject();
                var full = Firm("seller", "buyer");
                foreach (var (path, value) in mutations)
                {
                    var top = FirmPaths[path].Split('.')[0];
                    change[top] = full[top]?.DeepClone();
                    Apply(change, FirmPaths[path], Values[value](), remove: value == 0);
                }

                using var client = fixture.Server.Client(firm);
                var response = client.PatchAsync($"/api/v1/traders/{firm}", JsonBody(change.ToJsonString())).GetAwaiter().GetResult();
                return Acceptable(response).Label($"{Answer(response)} for {change.ToJsonString()}");
            });

    private static readonly string[] FirmPaths = ["name", "businessId", "municipality", "contact", "contact.email", "contact.person", "contact.phone", "roles"];

    /// <summary>Up to four changes of a demand's fields, each removing it or setting it to an awkward value.</summary>
    private static Arbitrary<(int Path, int Value, bool Remove)[]> DemandMutations()
        => Gen.Choose(0, DemandPaths.Length - 1)
            .SelectMany(p => Gen.Choose(0, Values.Length - 1).SelectMany(v => Gen.Elements(false, false, true).Select(r => (p, v, r))))
            .ArrayOf()
            .Select(a => a.Take(4).ToArray())
            .ToArbitrary();

    [Property(MaxTest = 400)]
    public Property CreateDemand_AnyMangledBody_IsAnsweredWithoutServerError()
        => Prop.ForAll(DemandMutations(), mutations =>
        {
            var demand = Demand();
            foreach (var (path, value, remove) in mutations)
            {
                Apply(demand, DemandPaths[path], remove ? null : Values[value](), remove);
            }

            using var client = fixture.Server.Client(Buyer.Value.GetAwaiter().GetResult());
            var response = client.PostAsync("/api/v1/demands", JsonBody(demand.ToJsonString())).GetAwaiter().GetResult();
            return Acceptable(response).Label($"{Answer(response)} for {demand.ToJsonString()}");
        });

    [Property(MaxTest = 300)]
    public Property PatchDemand_AnyMangledChange_IsAnsweredWithoutServerError()
        => Prop.ForAll(DemandMutations(), mutations =>
        {
            var id = OpenDemand.Value.GetAwaiter().GetResult();
            var change = new JsonObject();
            var full = Demand();
            foreach (var (path, value, remove) in mutations)
            {
                var top = DemandPaths[path].Split('.')[0];
                change[top] = full[top]?.DeepClone();
                Apply(change, DemandPaths[path], remove ? null : Values[value](), remove);
            }

            using var client = fixture.Server.Client(Buyer.Value.GetAwaiter().GetResult());
            var response = client.PatchAsync($"/api/v1/demands/{id}", JsonBody(change.ToJsonString())).GetAwaiter().GetResult();
            return Acceptable(response).Label($"{Answer(response)} for {change.ToJsonString()}");
        });

    [Theory]
    [InlineData("listings", "0")]
    [InlineData("listings", "1")]
    [InlineData("listings", "Active")]
    [InlineData("listings", "unknown")]
    [InlineData("demands", "0")]
    [InlineData("demands", "-1")]
    [InlineData("demands", "99")]
    [InlineData("demands", "unknown")]
    public async Task ListFilters_NumericOrUnknownStatus_Is422NamingStatus(string what, string status)
    {
        var firm = await Buyer.Value;
        using var client = fixture.Server.Client(firm);
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{firm}/{what}?status={Uri.EscapeDataString(status)}"),
            HttpStatusCode.UnprocessableEntity, "validation-failed", "status");
    }

    [Property(MaxTest = 150)]
    public Property PlaceHold_AnyMangledBody_IsAnsweredWithoutServerError()
        => Prop.ForAll(Gen.Choose(0, Values.Length - 1).ToArbitrary(), Gen.Choose(0, Values.Length - 1).ToArbitrary(), (quantity, until) =>
        {
            var listing = Lot10.Value.GetAwaiter().GetResult();
            var body = new JsonObject { ["quantity"] = Values[quantity](), ["until"] = Values[until]() };
            using var client = fixture.Server.Client(Buyer.Value.GetAwaiter().GetResult());
            var response = client.PostAsync($"/api/v1/listings/{listing}/holds", JsonBody(body.ToJsonString())).GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var holdId = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())!["hold"]!["id"]!.GetValue<string>();
                client.DeleteAsync($"/api/v1/listings/{listing}/holds/{holdId}").GetAwaiter().GetResult();
            }

            return Acceptable(response).Label($"{Answer(response)} for {body.ToJsonString()}");
        });

    private Lazy<Task<string>> Seller => _seller ??= new(() => RegisterFirmAsync(fixture.Server, "seller"));

    private Lazy<Task<string>> Buyer => _buyer ??= new(() => RegisterFirmAsync(fixture.Server, "buyer"));

    /// <summary>A demand that stays open (a patch may close nothing; it only changes fields).</summary>
    private Lazy<Task<string>> OpenDemand => _demand ??= new(async () => await DemandAsync(fixture.Server, await Buyer.Value));

    private Lazy<Task<string>>? _demand;

    private Lazy<Task<string>> Lot10 => _lot ??= new(async () => await ActiveLotAsync(fixture.Server, await Seller.Value, 10));

    /// <summary>A firm of its own, since patching may take roles away.</summary>
    private Lazy<Task<string>> PatchedFirm => _patched ??= new(() => RegisterFirmAsync(fixture.Server, "seller"));

    private Lazy<Task<string>>? _patched;
    private Lazy<Task<string>>? _seller;
    private Lazy<Task<string>>? _buyer;
    private Lazy<Task<string>>? _lot;

    /// <summary>The answer as a failing case's label shows it: status, media type and the start of the body.</summary>
    private static string Answer(HttpResponseMessage response)
    {
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType ?? "(no type)"} {body[..Math.Min(body.Length, 300)]}";
    }

    private static bool Acceptable(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is 200 or 201)
        {
            return true;
        }

        return status is 400 or 409 or 413 or 422
               && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
               && JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())?["type"]?.GetValue<string>().StartsWith("urn:marketplace:problem:", StringComparison.Ordinal) == true;
    }

    private static void Apply(JsonObject lot, string path, JsonNode? value, bool remove)
    {
        var parts = path.Split('.');
        var target = lot;
        foreach (var part in parts[..^1])
        {
            if (target[part] is not JsonObject child)
            {
                return;
            }

            target = child;
        }

        if (remove)
        {
            target.Remove(parts[^1]);
        }
        else
        {
            target[parts[^1]] = value;
        }
    }
}
