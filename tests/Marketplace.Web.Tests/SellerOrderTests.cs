using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Marketplace.Web.Tests;

/// <summary>
/// The seller's side of an order, as a person clicks it: find it among the orders for the firm's lots, accept it, hand
/// over with the buyer's pickup code (a wrong code is refused next to the field), print the invoice; and cancel another.
/// The buyer's hold and checkout go through the API here (their pages have their own tests).
/// </summary>
[Collection(WebCollection.Name)]
public sealed class SellerOrderTests(BrowserFixture web)
{
    /// <summary>A whole journey's hard limit, so a hung page fails the test instead of the run.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);

    [Theory]
    [InlineData("en", true)]
    [InlineData("fi", false)]
    public Task Seller_AcceptsHandsOverWithThePickupCode_AndPrintsTheInvoice(string language, bool javaScript)
        => Journey.WithinAsync(Limit, step => JourneyAsync(language, javaScript, step));

    [Fact]
    public Task Seller_CancelsAPlacedOrder_WithAReason()
        => Journey.WithinAsync(Limit, CancelAsync);

    private async Task JourneyAsync(string language, bool javaScript, Action<string> step)
    {
        step("firms and order through the API");
        var seller = await web.Server.FirmAsync("Purkutalo Oy", "Seppo Seller", "seller");
        var buyer = await web.Server.FirmAsync("Uudisrakennus Oy", "Bertta Buyer", "buyer");
        var title = "Bricks to hand over " + Guid.NewGuid().ToString("N")[..8];
        var (orderId, code) = await PlacedOrderAsync(seller, buyer, title);
        using (var sellerApi = web.Server.Api(seller))
        {
            using var billed = await sellerApi.PatchAsJsonAsync($"/api/v1/traders/{seller.TraderId}", new JsonObject { ["billing"] = new JsonObject { ["iban"] = "FI2112345600000785" } });
            Assert.True(billed.IsSuccessStatusCode, await billed.Content.ReadAsStringAsync());
        }

        step("sign in");
        var page = await web.NewPageAsync(language, javaScript);
        await web.GoAsync(page, "/sell");
        await web.SignInAsync(page, seller);
        step("orders for my lots");
        await page.Locator("main a[href='/orders?role=seller']").ClickAsync();
        await page.WaitForURLAsync("**/orders?role=seller");
        await Expect(page.Locator($"main a[href='/orders/{orderId}']")).ToHaveTextAsync(title);
        await BrowserFixture.AssertAccessibleAsync(page);
        await page.Locator($"main a[href='/orders/{orderId}']").ClickAsync();
        await page.WaitForURLAsync($"**/orders/{orderId}");
        Assert.Equal(0, await page.Locator("#PickupCode").CountAsync());
        await BrowserFixture.AssertAccessibleAsync(page);

        step("accept");
        await Expect(page.Locator("#accept")).ToHaveTextAsync(language == "fi" ? "Hyväksy tilaus" : "Accept the order");
        await BrowserFixture.SubmitAsync(page, page.Locator("#accept"), $"**/orders/{orderId}");
        await Expect(page.Locator("#order-status")).ToHaveTextAsync(language == "fi" ? "Hyväksytty" : "Accepted");

        // A wrong code: the API's refusal is said next to the field, in the page's language at the top.
        step("wrong pickup code");
        await page.Locator("#PickupCode").FillAsync(code == "000000" ? "111111" : "000000");
        await page.Locator("#hand-over").ClickAsync();
        await Expect(page.Locator("#PickupCode-error")).ToBeVisibleAsync();
        Assert.Equal("true", await page.Locator("#PickupCode").GetAttributeAsync("aria-invalid"));
        await Expect(page.Locator("#problem")).ToHaveTextAsync(language == "fi" ? "Tämä ei ole ostajan noutokoodi." : "That is not the buyer's pickup code.");
        // Probe 15: the field's message was the API's English sentence on the Finnish page too.
        await Expect(page.Locator("#PickupCode-error")).ToContainTextAsync(language == "fi" ? "Yrityksiä on jäljellä" : "more tries before only the buyer");
        await BrowserFixture.AssertAccessibleAsync(page);
        if (javaScript)
        {
            await BrowserFixture.ScreenshotAsync(page, "seller-order");
        }

        step("hand over");
        await page.Locator("#PickupCode").FillAsync(code);
        await BrowserFixture.SubmitAsync(page, page.Locator("#hand-over"), $"**/orders/{orderId}");
        await Expect(page.Locator("#order-status")).ToHaveTextAsync(language == "fi" ? "Luovutettu" : "Handed over");

        step("invoice");
        await page.Locator("#invoice-link").ClickAsync();
        await page.WaitForURLAsync($"**/orders/{orderId}/invoice");
        using (var api = web.Server.Api(seller))
        {
            var order = await api.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{orderId}");
            Assert.Contains(order!["invoice"]!["number"]!.GetValue<string>(), await page.Locator("h1").TextContentAsync());
            Assert.Equal(order["invoice"]!["referenceNumber"]!.GetValue<string>(), (await page.Locator("#invoice-reference").TextContentAsync())?.Trim());
            var gross = order["totals"]!["grossMinor"]!.GetValue<long>();
            await Expect(page.Locator("#invoice-total")).ToContainTextAsync($"{gross / 100}{(language == "fi" ? "," : ".")}{gross % 100:00}");
        }

        await Expect(page.Locator("#invoice-seller")).ToContainTextAsync("Purkutalo Oy");
        await Expect(page.Locator("#invoice-iban")).ToContainTextAsync("FI21");
        await Expect(page.Locator("#invoice-buyer")).ToContainTextAsync("Uudisrakennus Oy");
        await BrowserFixture.AssertAccessibleAsync(page);

        // Printed, the site's header and links are left out.
        step("print");
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        Assert.False(await page.Locator("header.site").IsVisibleAsync(), "the site's header is printed");
        Assert.True(await page.Locator("#invoice-total").IsVisibleAsync());
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Screen });
        if (javaScript)
        {
            await BrowserFixture.ScreenshotAsync(page, "invoice");

            // On a phone the lines stack as cards: the unit price and VAT rate are shown, each named by its column.
            step("phone");
            await page.SetViewportSizeAsync(360, 780);
            var unitPrice = page.Locator("table.lines tbody tr td").Nth(2);
            Assert.True(await unitPrice.IsVisibleAsync(), "the unit price is hidden on a phone");
            Assert.Equal(language == "fi" ? "Yksikköhinta" : "Unit price", await unitPrice.GetAttributeAsync("data-label"));
            Assert.NotEqual("none", await unitPrice.EvaluateAsync<string>("td => getComputedStyle(td, '::before').content"));
            await page.SetViewportSizeAsync(1280, 900);
        }

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    private async Task CancelAsync(Action<string> step)
    {
        step("firms and order through the API");
        var seller = await web.Server.FirmAsync("Purkutalo Oy", "Seppo Seller", "seller");
        var buyer = await web.Server.FirmAsync("Uudisrakennus Oy", "Bertta Buyer", "buyer");
        var (orderId, _) = await PlacedOrderAsync(seller, buyer, "Bricks to cancel");
        string invoiceNumber;
        using (var sellerApi = web.Server.Api(seller))
        {
            // Accepted first: the cancel voids an issued invoice, which a credit note takes back.
            using var billed = await sellerApi.PatchAsJsonAsync($"/api/v1/traders/{seller.TraderId}", new JsonObject { ["billing"] = new JsonObject { ["iban"] = "FI2112345600000785" } });
            Assert.True(billed.IsSuccessStatusCode, await billed.Content.ReadAsStringAsync());
            using var accepted = await sellerApi.PostAsJsonAsync($"/api/v1/orders/{orderId}/accept", new JsonObject());
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
            invoiceNumber = (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["invoice"]!["number"]!.GetValue<string>();
            // Part of it paid: the cancellation refunds that, and the credit note says so.
            using var paid = await sellerApi.PostAsJsonAsync($"/api/v1/orders/{orderId}/invoice/payments", new JsonObject { ["amountMinor"] = 1000 });
            Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync());
        }

        step("sign in");
        var page = await web.NewPageAsync("en");
        await web.GoAsync(page, $"/orders/{orderId}");
        await web.SignInAsync(page, seller);
        await page.WaitForURLAsync($"**/orders/{orderId}");

        step("cancel");
        await page.Locator("details summary").ClickAsync();
        await page.Locator("#cancel").ClickAsync();
        await Expect(page.Locator("#Reason-error")).ToBeVisibleAsync();
        await page.Locator("#Reason").FillAsync("The pallets were damaged in storage");
        await BrowserFixture.SubmitAsync(page, page.Locator("#cancel"), $"**/orders/{orderId}");
        await Expect(page.Locator("#order-status")).ToHaveTextAsync("Cancelled");
        await Expect(page.Locator("#accept")).ToHaveCountAsync(0);

        using var api = web.Server.Api(buyer);
        var order = await api.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{orderId}");
        Assert.Equal("The pallets were damaged in storage", order!["reason"]!.GetValue<string>());

        step("credit note");
        var note = order["invoice"]!["creditNote"]!["number"]!.GetValue<string>();
        await BrowserFixture.SubmitAsync(page, page.Locator("#credit-note-link"), $"**/orders/{orderId}/invoice?document=credit-note");
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Credit note {note}");
        await Expect(page.Locator("#credited-invoice")).ToContainTextAsync(invoiceNumber);
        await Expect(page.Locator("#credit-reason")).ToContainTextAsync("The pallets were damaged in storage");
        await Expect(page.Locator("#credit-nothing-to-pay")).ToBeVisibleAsync();
        await Expect(page.Locator("#credit-refunded")).ToContainTextAsync("was refunded to the buyer");
        await Expect(page.Locator("#invoice-iban")).ToHaveCountAsync(0);
        await BrowserFixture.AssertAccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "credit-note");

        // The invoice it credits stays readable for the books, marked void, and links back to it.
        await BrowserFixture.SubmitAsync(page, page.Locator("#credited-invoice a"), $"**/orders/{orderId}/invoice");
        await Expect(page.Locator("#invoice-credit-note")).ToContainTextAsync($"Void: credited in full by credit note {note}.");
        await Expect(page.Locator("#invoice-refunded")).ToBeVisibleAsync();
        await Expect(page.Locator("#invoice-iban")).ToHaveCountAsync(0);
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    /// <summary>The buyer holds 200 bricks of a new lot and checks out on invoice with pickup; the order's id and pickup code.</summary>
    private async Task<(string OrderId, string PickupCode)> PlacedOrderAsync(TestFirm seller, TestFirm buyer, string title)
    {
        var lotId = await web.Server.ActiveLotAsync(seller, WebServer.Bricks(title, 60.2925, 25.0404, "Vantaa"));
        using var api = web.Server.Api(buyer);
        using var held = await api.PostAsJsonAsync($"/api/v1/listings/{lotId}/holds", new JsonObject { ["quantity"] = 200 });
        var hold = JsonNode.Parse(await held.Content.ReadAsStringAsync())!;
        Assert.True(held.StatusCode == HttpStatusCode.Created, hold.ToJsonString());
        using var placed = await api.PostAsJsonAsync("/api/v1/orders", new JsonObject
        {
            ["listingId"] = lotId,
            ["holdId"] = hold["hold"]!["id"]!.GetValue<string>(),
            ["fulfilment"] = "pickup",
            ["address"] = new JsonObject { ["address"] = "Työmaantie 5", ["postalCode"] = "01300", ["municipality"] = "Vantaa", ["latitude"] = 60.29, ["longitude"] = 25.04 },
            ["paymentMethod"] = "invoice",
        });
        var order = JsonNode.Parse(await placed.Content.ReadAsStringAsync())!;
        Assert.True(placed.StatusCode == HttpStatusCode.Created, order.ToJsonString());
        return (order["id"]!.GetValue<string>(), order["pickupCode"]!.GetValue<string>());
    }
}
