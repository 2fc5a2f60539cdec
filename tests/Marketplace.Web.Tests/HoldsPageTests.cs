using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Microsoft.Playwright.Assertions;

namespace Marketplace.Web.Tests;

/// <summary>The buyer's holds across all lots: listed on one page, released there, or taken to checkout.</summary>
[Collection(WebCollection.Name)]
public sealed class HoldsPageTests(BrowserFixture web)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("fi", false)]
    public Task Buyer_SeesHoldsOfTwoLots_ReleasesOne_AndChecksOutTheOther(string language, bool javaScript)
        => Journey.WithinAsync(Limit, step => JourneyAsync(language, javaScript, step));

    private async Task JourneyAsync(string language, bool javaScript, Action<string> step)
    {
        step("firms and holds through the API");
        var seller = await web.Server.FirmAsync("Purkutalo Oy", "Seppo Seller", "seller");
        var buyer = await web.Server.FirmAsync("Uudisrakennus Oy", "Bertta Buyer", "buyer");
        var word = Guid.NewGuid().ToString("N")[..8];
        var bricks = await web.Server.ActiveLotAsync(seller, WebServer.Bricks("Tiilet " + word, 60.2925, 25.0404, "Vantaa"));
        var more = await web.Server.ActiveLotAsync(seller, WebServer.Bricks("Lisää tiiliä " + word, 60.2925, 25.0404, "Vantaa"));
        var kept = await HoldAsync(buyer, bricks, 150);
        var released = await HoldAsync(buyer, more, 60);

        step("sign in");
        var page = await web.NewPageAsync(language, javaScript);
        await web.GoAsync(page, "/");
        await page.Locator("header a[href^='/signin']").ClickAsync();
        await web.SignInAsync(page, buyer);
        await page.Locator("header a[href='/holds']").ClickAsync();
        await page.WaitForURLAsync("**/holds");
        await Expect(page.Locator("#holds tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator($"tr[data-hold='{kept}']")).ToContainTextAsync("Tiilet " + word);
        await BrowserFixture.AssertAccessibleAsync(page);

        step("release");
        await BrowserFixture.SubmitAsync(page, page.Locator($"tr[data-hold='{released}'] form[action*='handler=Release'] button"), "**/holds");
        await Expect(page.Locator("main .success")).ToHaveTextAsync("Varaus on vapautettu.");
        await Expect(page.Locator("#holds tbody tr")).ToHaveCountAsync(1);
        using (var api = web.Server.Api(buyer))
        {
            var lot = await api.GetFromJsonAsync<JsonObject>($"/api/v1/listings/{more}");
            Assert.Equal(0m, lot!["quantities"]!["held"]!.GetValue<decimal>());
        }

        // Every hold, also the released one, on request.
        step("every hold");
        await page.Locator("main a[href='/holds?all=true']").ClickAsync();
        await Expect(page.Locator($"tr[data-hold='{released}']")).ToContainTextAsync("Vapautettu");
        await BrowserFixture.AssertAccessibleAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "holds");

        step("check out");
        await page.Locator($"tr[data-hold='{kept}'] a.button").ClickAsync();
        await page.WaitForURLAsync("**/checkout?**");
        Assert.Contains("150", await page.Locator("#hold-quantity").TextContentAsync());
        // Stripe is configured for the browser tests: the card is offered beside the invoice.
        Assert.Equal(1, await page.Locator("input[name='Form.PaymentMethod'][value=card]").CountAsync());
        Assert.Equal(1, await page.Locator("input[name='Form.PaymentMethod'][value=invoice]").CountAsync());
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    private async Task<string> HoldAsync(TestFirm buyer, string lot, decimal quantity)
    {
        using var api = web.Server.Api(buyer);
        using var held = await api.PostAsJsonAsync($"/api/v1/listings/{lot}/holds", new JsonObject { ["quantity"] = quantity });
        var body = JsonNode.Parse(await held.Content.ReadAsStringAsync())!;
        Assert.True(held.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        return body["hold"]!["id"]!.GetValue<string>();
    }
}
