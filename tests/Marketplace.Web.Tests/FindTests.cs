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
}
