using Microsoft.Playwright;

namespace Marketplace.Web.Tests;

/// <summary>Finding material: the home page, search with filters and the map, a lot's page.</summary>
[Collection(WebCollection.Name)]
public sealed class FindTests(BrowserFixture web)
{
    [BrowserTheory]
    [InlineData("fi", "Kierrätettyjä rakennusmateriaaleja")]
    [InlineData("en", "Reused building materials")]
    public async Task Home_InEachLanguage_ShowsSearchBoxAndIsAccessible(string language, string heading)
    {
        var page = await web.NewPageAsync(language);
        await web.GoAsync(page, "/");
        Assert.Equal(language, await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal(heading, (await page.Locator("h1").TextContentAsync())?.Trim());
        Assert.Equal(1, await page.Locator("form[role=search] input[name=q]").CountAsync());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "home");
        }

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// A seller's title is text wherever the map shows it: in the marker's tooltip (Leaflet puts a string there as HTML)
    /// and in its popup, on the lot's page and on search results, for every visitor.
    /// </summary>
    [BrowserFact]
    public async Task Map_ATitleWithMarkup_IsShownAsText_AndRunsNothing()
    {
        var seller = await web.Server.FirmAsync("Purku Oy", "Sami Seller", "seller");
        var word = "markup" + Guid.NewGuid().ToString("N")[..10];
        var title = $"<img src=x onerror=\"window.ran=1\"><b>Bricks</b> {word}";
        var lotId = await web.Server.ActiveLotAsync(seller, WebServer.Bricks(title, 60.2925, 25.0404, "Vantaa"));

        var page = await web.NewPageAsync("en");
        var refused = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                refused.Add(message.Text);
            }
        };
        foreach (var path in new[] { $"/lots/{lotId}", $"/search?q={word}" })
        {
            var response = await web.GoAsync(page, path);
            // Defence in depth: the page's policy would refuse an inline handler that got in all the same.
            Assert.Contains("script-src 'self'", await response!.HeaderValueAsync("content-security-policy"));
            await page.Locator("#map[data-ready='1']").WaitForAsync();
            var marker = page.Locator("#map path.leaflet-interactive");
            await marker.HoverAsync();
            var tooltip = page.Locator(".leaflet-tooltip");
            await tooltip.WaitForAsync();
            Assert.Equal(title, await tooltip.TextContentAsync());
            await marker.ClickAsync();
            var popup = page.Locator(".leaflet-popup-content");
            await popup.WaitForAsync();
            Assert.Equal(title, await popup.TextContentAsync());
            Assert.Equal(0, await page.Locator("#map img[src='x'], #map b").CountAsync());
            Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.ran"));
        }

        // The map, its styles and its script work under the policy: nothing of the page's own was refused.
        Assert.Empty(refused);
        await page.Context.CloseAsync();
    }
}
