using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Marketplace.Host.Tests.Api;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Traders;

[Collection(ApiCollection.Name)]
public class TradersApiTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task Register_InvalidBusinessIdAndEmail_Is422PerField()
    {
        using var client = await Server.RegistrarClientAsync();
        var firm = Firm("seller");
        firm["businessId"] = "1572860-1";
        firm["contact"]!["email"] = "nope";

        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/v1/traders", firm), HttpStatusCode.UnprocessableEntity, "validation-failed", "businessId");
        Assert.NotNull(problem["errors"]!["contact.email"]);
    }

    [Fact]
    public async Task Register_SameBusinessIdTwice_Is409()
    {
        using var client = await Server.RegistrarClientAsync();
        var firm = Firm("seller");
        await ReadAsync(await client.PostAsJsonAsync("/api/v1/traders", firm), HttpStatusCode.Created);
        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/traders", firm), HttpStatusCode.Conflict, "business-id-taken");
    }

    [Fact]
    public async Task Get_OwnFirmSeesContact_OthersSeePublicProfileOnly()
    {
        var id = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "buyer");

        var own = await ReadAsync(await Server.Client(id).GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        var seenByOther = await ReadAsync(await Server.Client(other).GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        var seenByAnonymous = await ReadAsync(await Server.Client().GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);

        Assert.Equal("aino@purku.example", own["contact"]!["email"]!.GetValue<string>());
        Assert.Null(seenByOther["contact"]);
        Assert.Null(seenByAnonymous["contact"]);
        Assert.Equal(own["name"]!.GetValue<string>(), seenByOther["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_ByOwner_Changes_ByOther_Is403_Anonymous_Is401_Unknown_Is404()
    {
        var id = await RegisterFirmAsync(Server, "seller");
        var other = await RegisterFirmAsync(Server, "buyer");

        await ProblemAsync(await Server.Client(other).PatchAsJsonAsync($"/api/v1/traders/{id}", new { name = "Taken Over Oy" }), HttpStatusCode.Forbidden, "firm-admin-only");
        await ProblemAsync(await Server.Client().PatchAsJsonAsync($"/api/v1/traders/{id}", new { name = "Taken Over Oy" }), HttpStatusCode.Unauthorized, "unauthenticated");
        await ProblemAsync(await Server.Client(id).PatchAsJsonAsync("/api/v1/traders/no-such-firm", new { name = "X" }), HttpStatusCode.NotFound, "trader-not-found");

        var changed = await ReadAsync(await Server.Client(id).PatchAsJsonAsync($"/api/v1/traders/{id}", new { name = "Uusi Nimi Oy", roles = new[] { "seller", "buyer" } }), HttpStatusCode.OK);
        Assert.Equal("Uusi Nimi Oy", changed["name"]!.GetValue<string>());
        Assert.Equal(2, changed["roles"]!.AsArray().Count);
    }

    [Fact]
    public async Task Listings_OwnerSeesDrafts_OthersSeeActiveOnly_PagedByCursor()
    {
        var seller = await RegisterFirmAsync(Server, "seller");
        using var client = Server.Client(seller);
        for (var i = 0; i < 3; i++)
        {
            await ActiveLotAsync(Server, seller, 10 + i);
        }

        await ReadAsync(await client.PostAsJsonAsync("/api/v1/listings", Lot(1)), HttpStatusCode.Created);

        var firstPage = await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings?limit=2"), HttpStatusCode.OK);
        Assert.Equal(2, firstPage["items"]!.AsArray().Count);
        var cursor = firstPage["nextCursor"]!.GetValue<string>();
        var secondPage = await ReadAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings?limit=2&cursor={cursor}"), HttpStatusCode.OK);
        Assert.Equal(2, secondPage["items"]!.AsArray().Count);
        Assert.Null(secondPage["nextCursor"]);

        var seenByAnonymous = await ReadAsync(await Server.Client().GetAsync($"/api/v1/traders/{seller}/listings"), HttpStatusCode.OK);
        Assert.Equal(3, seenByAnonymous["items"]!.AsArray().Count);
        Assert.All(seenByAnonymous["items"]!.AsArray(), l => Assert.Equal("active", l!["status"]!.GetValue<string>()));

        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings?limit=500"), HttpStatusCode.UnprocessableEntity, "validation-failed", "limit");
        await ProblemAsync(await client.GetAsync($"/api/v1/traders/{seller}/listings?cursor=garbage!"), HttpStatusCode.UnprocessableEntity, "validation-failed", "cursor");
    }

    [Fact]
    public async Task Get_Unknown_Is404()
        => await ProblemAsync(await Server.Client().GetAsync("/api/v1/traders/nobody"), HttpStatusCode.NotFound, "trader-not-found");

    private static JsonObject Billing() => new()
    {
        ["iban"] = "FI21 1234 5600 0007 85",
        ["bic"] = "NDEAFIHH",
        ["address"] = "Hämeentie 10",
        ["postalCode"] = "00530",
        ["postOffice"] = "Helsinki",
        ["invoiceEmail"] = "laskut@purku.example",
        ["eInvoiceAddress"] = "003715728600",
        ["eInvoiceOperator"] = "003723327487",
    };

    [Fact]
    public async Task Billing_SetOnRegistration_SeenByFirmAndPlatformAdmin_NeverByOthers()
    {
        var firm = Firm("seller", "buyer");
        firm["billing"] = Billing();
        var id = await Server.RegisterFirmAsync(firm);
        var other = await RegisterFirmAsync(Server, "buyer");
        using var admin = Server.BearerClient(await People.PlatformAdminTokenAsync(Server));
        using var member = Server.BearerClient(await People.MemberTokenAsync(Server, id));

        var own = await ReadAsync(await Server.Client(id).GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        Assert.Equal("FI2112345600000785", own["billing"]!["iban"]!.GetValue<string>());
        Assert.Equal("003715728600", own["billing"]!["eInvoiceAddress"]!.GetValue<string>());
        var byMember = await ReadAsync(await member.GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        Assert.Equal("FI2112345600000785", byMember["billing"]!["iban"]!.GetValue<string>());
        var byAdmin = await ReadAsync(await admin.GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        Assert.Equal("FI2112345600000785", byAdmin["billing"]!["iban"]!.GetValue<string>());

        foreach (var stranger in new[] { Server.Client(other), Server.Client() })
        {
            using (stranger)
            {
                var text = await (await stranger.GetAsync($"/api/v1/traders/{id}")).Content.ReadAsStringAsync();
                Assert.DoesNotContain("FI2112345600000785", text, StringComparison.Ordinal);
                Assert.DoesNotContain("laskut@purku.example", text, StringComparison.Ordinal);
                Assert.Null(JsonNode.Parse(text)!["billing"]);
            }
        }
    }

    [Fact]
    public async Task Billing_BadIbanOrCheckDigit_Is422NamingTheField()
    {
        using var client = await Server.RegistrarClientAsync();
        var firm = Firm("seller");
        firm["billing"] = Billing().With(b => b["iban"] = "FI22 1234 5600 0007 85");
        var problem = await ProblemAsync(await client.PostAsJsonAsync("/api/v1/traders", firm), HttpStatusCode.UnprocessableEntity, "validation-failed", "billing.iban");
        Assert.Contains("check digits", problem["errors"]!["billing.iban"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var id = await RegisterFirmAsync(Server, "seller");
        var patch = new JsonObject { ["billing"] = new JsonObject { ["postalCode"] = "530", ["bic"] = "NDEA" } };
        var refused = await ProblemAsync(await Server.Client(id).PatchAsJsonAsync($"/api/v1/traders/{id}", patch), HttpStatusCode.UnprocessableEntity, "validation-failed", "billing.postalCode");
        Assert.NotNull(refused["errors"]!["billing.bic"]);
    }

    [Fact]
    public async Task Billing_PatchedByFirmAdmin_MemberByMember_PlainMemberIs403()
    {
        var id = await RegisterFirmAsync(Server, "seller");
        using var admin = Server.Client(id);

        var set = await ReadAsync(await admin.PatchAsJsonAsync($"/api/v1/traders/{id}", new JsonObject { ["billing"] = Billing() }), HttpStatusCode.OK);
        Assert.Equal("NDEAFIHH", set["billing"]!["bic"]!.GetValue<string>());
        var changed = await ReadAsync(await admin.PatchAsJsonAsync($"/api/v1/traders/{id}", new JsonObject { ["billing"] = new JsonObject { ["postalCode"] = "00100", ["bic"] = "" } }), HttpStatusCode.OK);
        Assert.Equal("00100", changed["billing"]!["postalCode"]!.GetValue<string>());
        Assert.Null(changed["billing"]!["bic"]);
        Assert.Equal("FI2112345600000785", changed["billing"]!["iban"]!.GetValue<string>());

        using var member = Server.BearerClient(await People.MemberTokenAsync(Server, id));
        await ProblemAsync(await member.PatchAsJsonAsync($"/api/v1/traders/{id}", new JsonObject { ["billing"] = new JsonObject { ["iban"] = "DE89 3704 0044 0532 0130 00" } }), HttpStatusCode.Forbidden, "firm-admin-only");
        var after = await ReadAsync(await admin.GetAsync($"/api/v1/traders/{id}"), HttpStatusCode.OK);
        Assert.Equal("FI2112345600000785", after["billing"]!["iban"]!.GetValue<string>());
    }
}
