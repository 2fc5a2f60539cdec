using System.Net;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Web.Tests;

/// <summary>
/// What a person's browser shows when a page has nothing to show or cannot be made: a page named by an id of only white
/// space (<c>/lots/%20</c>) is not found, never a 500; an unknown address and a form that cannot be read get a page in the
/// person's language, not the framework's bare text or an empty 500; numbers too large for a price are a message next
/// to the field.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class ErrorPageTests(BrowserFixture web)
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
                var path = "/" + RouteTemplates.Fill(pattern, blank).TrimStart('/');
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

    [Fact]
    public async Task AFormThatCannotBeRead_IsTheErrorPageWith400_ForABrowser_AndAProblemForAMachine()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = web.Server.Address };
        foreach (var path in new[] { "/search", "/language", "/account/sign-in", "/no-such-page" })
        {
            using var browser = Post(path, "text/html");
            using var sent = await client.SendAsync(browser);
            Assert.True(sent.StatusCode == HttpStatusCode.SeeOther, $"POST {path}: {(int)sent.StatusCode}");
            Assert.Equal("/error/400", sent.Headers.Location?.OriginalString);
            using var shown = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, sent.Headers.Location) { Headers = { { "Accept", "text/html" }, { "Accept-Language", "en" } } });
            Assert.Equal(HttpStatusCode.BadRequest, shown.StatusCode);
            Assert.Contains("could not be read", await shown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var machine = Post(path, "application/json");
            using var problem = await client.SendAsync(machine);
            Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
            Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);
        }

        // The token endpoint is a machine's even for a browser: its problem document, although the writer declines HTML.
        using var token = await client.SendAsync(Post("/connect/token", "text/html"));
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("application/problem+json", token.Content.Headers.ContentType?.MediaType);

        static HttpRequestMessage Post(string path, string accept) => new(HttpMethod.Post, path)
        {
            Content = new StringContent("q=%00", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
            Headers = { { "Accept", accept } },
        };
    }

    [Fact]
    public async Task AnAddressTooLong_Is414_AProblemForAMachine_AndTheErrorPageForABrowser()
    {
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        var q = new string('t', 9_000);
        using var machine = await client.GetAsync($"/api/v1/listings/search?q={q}");
        Assert.Equal(HttpStatusCode.RequestUriTooLong, machine.StatusCode);
        Assert.Equal("application/problem+json", machine.Content.Headers.ContentType?.MediaType);
        Assert.Contains("urn:marketplace:problem:uri-too-long", await machine.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var browser = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/search?q={q}") { Headers = { { "Accept", "text/html" }, { "Accept-Language", "en" } } });
        Assert.Equal(HttpStatusCode.RequestUriTooLong, browser.StatusCode);
        Assert.Contains("could not be read", await browser.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Five thousand parameters (35 KB) are refused the same way.
        using var many = await client.GetAsync("/api/v1/listings/search?" + string.Join('&', Enumerable.Range(0, 5_000).Select(i => $"p{i}=1")));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, many.StatusCode);
        Assert.Equal("application/problem+json", many.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// A form's body is read by the framework, which left escapes that do not spell UTF-8 as typed ("%ED%A0%80" was stored
    /// as a lot's text): 400, the error page for a browser and a problem for the sign-in server's callers; UTF-8 escapes pass.
    /// </summary>
    [Fact]
    public async Task AFormWhoseEscapesAreNotUtf8_Is400_AndAUtf8OneIsReadAsEver()
    {
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        static ByteArrayContent Form(string body)
        {
            var content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(body));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
            return content;
        }

        using var browser = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Headers = { { "Accept", "text/html" }, { "Accept-Language", "en" } }, Content = Form("Email=a%ED%A0%80%40example.com&Password=x"),
        });
        Assert.Equal(HttpStatusCode.BadRequest, browser.StatusCode);
        Assert.Contains("could not be read", await browser.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A charset the server cannot read, the same way (its error page is not refused in turn).
        var latin = Form("Email=a%40example.com&Password=x");
        latin.Headers.ContentType!.CharSet = "utf-999";
        using var charset = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/account/sign-in")
        {
            Headers = { { "Accept", "text/html" }, { "Accept-Language", "en" } }, Content = latin,
        });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, charset.StatusCode);
        Assert.Contains("could not be read", await charset.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var machine = await client.PostAsync("/connect/token", Form("grant_type=client_credentials&client_id=erp%FF&client_secret=x"));
        Assert.Equal(HttpStatusCode.BadRequest, machine.StatusCode);
        Assert.Contains("urn:marketplace:problem:invalid-encoding", await machine.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // UTF-8 escapes reach the sign-in server, which answers as ever (an unknown client).
        using var finnish = await client.PostAsync("/connect/token", Form("grant_type=client_credentials&client_id=ty%C3%B6maa&client_secret=x"));
        Assert.DoesNotContain("invalid-encoding", await finnish.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("invalid_client", await finnish.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("q=%ED%A0%80")] // a surrogate half
    [InlineData("q=tiili%FF")]
    [InlineData("q=%C3")] // a truncated sequence
    public async Task AQueryWhoseEscapesAreNotUtf8_Is400_AProblemForAMachine_AndTheErrorPageForABrowser(string query)
    {
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        using var machine = await client.GetAsync($"/api/v1/listings/search?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, machine.StatusCode);
        Assert.Equal("application/problem+json", machine.Content.Headers.ContentType?.MediaType);
        Assert.Contains("urn:marketplace:problem:invalid-encoding", await machine.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var browser = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/search?{query}") { Headers = { { "Accept", "text/html" }, { "Accept-Language", "en" } } });
        Assert.Equal(HttpStatusCode.BadRequest, browser.StatusCode);
        Assert.Contains("could not be read", await browser.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // UTF-8 escapes and a literal percent sign are searched as ever.
        using var finnish = await client.GetAsync("/api/v1/listings/search?q=" + Uri.EscapeDataString("tiiliä 100%"));
        Assert.Equal(HttpStatusCode.OK, finnish.StatusCode);
    }

    [Fact]
    public async Task APriceTooLargeForArithmetic_IsAMessageNextToTheField()
    {
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        client.DefaultRequestHeaders.Add("Accept-Language", "en");
        foreach (var field in new[] { "minPrice", "maxPrice" })
        {
            using var response = await client.GetAsync($"/search?{field}=79228162514264337593543950335");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Enter a smaller number.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var errors = new Dictionary<string, string>();
        var form = new Marketplace.Host.Web.Pages.Sell.LotForm { Quantity = "1", Price = "99999999999999999999", Latitude = "60.2", Longitude = "24.9" };
        form.ToRequest(errors, text => text);
        Assert.Equal("Enter a smaller number.", errors["Form.Price"]);
        Assert.Null(Marketplace.Host.Web.Formats.Cents(1_000_000_000_001m));

        // A hold's time typed at the calendar's ends (a browser lets a person type year 1) is passed on for the API to refuse.
        Assert.Equal(DateTimeOffset.MinValue, Marketplace.Host.Web.Formats.FromLocalInput(DateTime.MinValue));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 12, 0, 0, TimeSpan.FromHours(2)), Marketplace.Host.Web.Formats.FromLocalInput(new DateTime(2027, 1, 1, 12, 0, 0)));
        Assert.Equal(123_456L, Marketplace.Host.Web.Formats.Cents(1234.555m));
    }
}
