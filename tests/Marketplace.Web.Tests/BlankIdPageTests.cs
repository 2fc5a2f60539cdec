using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Web.Tests;

/// <summary>
/// Addresses that show nothing: a page named by an id of only white space (<c>/lots/%20</c>) is not found, never a 500,
/// and a person's browser gets a page in their language for an unknown address, not the framework's bare text.
/// </summary>
[Collection(WebCollection.Name)]
public sealed partial class BlankIdPageTests(BrowserFixture web)
{
    [Fact]
    public async Task EveryPageWithAnIdInItsPath_ABlankId_IsNotFound()
    {
        var pages = web.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null && e.RoutePattern.Parameters.Any(p => !p.IsOptional))
            .Select(e => e.RoutePattern.RawText!)
            .Distinct()
            .ToArray();
        Assert.True(pages.Length >= 4, $"only {pages.Length} pages with an id in the path: {string.Join(", ", pages)}");

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = web.Server.Address };
        var wrong = new List<string>();
        foreach (var pattern in pages)
        {
            foreach (var blank in new[] { "%20", "%09" })
            {
                var path = "/" + Parameter().Replace(pattern, blank).TrimStart('/');
                using var response = await client.GetAsync(path);
                if (response.StatusCode != HttpStatusCode.NotFound)
                {
                    wrong.Add($"GET {path}: {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [BrowserTheory]
    [InlineData("en", "Page not found", "Find material")]
    [InlineData("fi", "Sivua ei löytynyt", "Etsi materiaalia")]
    public async Task UnknownAddress_InABrowser_IsANotFoundPageInThePersonsLanguage(string language, string heading, string link)
    {
        var page = await web.NewPageAsync(language);
        var response = await web.GoAsync(page, "/no-such-page/here");
        Assert.Equal(404, response!.Status);
        Assert.Equal(heading, (await page.Locator("h1").TextContentAsync())?.Trim());
        Assert.Equal(1, await page.Locator("main a[href='/search']", new() { HasTextString = link }).CountAsync());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "not-found");
        }

        // A lot's page named by a blank id is the same page; the API keeps answering machines with a problem document.
        Assert.Equal(404, (await web.GoAsync(page, "/lots/%20"))!.Status);
        Assert.Equal(heading, (await page.Locator("h1").TextContentAsync())?.Trim());
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        using var api = await client.GetAsync("/api/v1/no-such-thing");
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        await page.Context.CloseAsync();
    }

    [GeneratedRegex(@"\{\**([^}:=?]+)[^}]*\}")]
    private static partial Regex Parameter();
}
