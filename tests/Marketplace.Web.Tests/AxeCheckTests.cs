namespace Marketplace.Web.Tests;

/// <summary>The accessibility check itself can fail: a page with serious and critical violations is refused.</summary>
[Collection(WebCollection.Name)]
public sealed class AxeCheckTests(BrowserFixture web)
{
    [BrowserFact]
    public async Task Axe_OnAPageWithAnUnnamedButtonAndAnImageWithoutAlt_Fails()
    {
        var page = await web.NewPageAsync("en");
        await web.GoAsync(page, "/");
        await page.SetContentAsync("""
            <!doctype html><html lang="en"><head><title>Broken</title></head>
            <body><main><h1>Broken</h1><button></button><img src="/favicon.ico"></main></body></html>
            """);
        var failure = await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => BrowserFixture.AssertAxeAsync(page));
        Assert.Contains("button-name", failure.Message, StringComparison.Ordinal);
        Assert.Contains("image-alt", failure.Message, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
