using System.Net.Http.Headers;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// The pages carry a Content-Security-Policy that lets only this host's own script files run (no inline script or
/// handler), and may not be framed; images still come from where sellers keep them. The API and the sign-in server's
/// endpoints keep their answers as they are.
/// </summary>
[Collection(ApiCollection.Name)]
public class PagePolicyTests(ServerFixture fixture)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/search?q=brick")]
    [InlineData("/account/sign-in")]
    [InlineData("/no-such-page")]
    public async Task APage_HasThePolicy(string path)
    {
        using var response = await AsBrowserAsync(path);

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        // A seller's photos may be on its own site (any http(s) address), the map's tiles on the tile server.
        Assert.Contains("img-src 'self' data: https: http:;", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/api/v1/materials")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/health/live")]
    public async Task AMachineAddress_HasNone(string path)
    {
        using var response = await AsBrowserAsync(path);

        Assert.False(response.Headers.Contains("Content-Security-Policy"), $"{path} answered {(int)response.StatusCode} with a page policy");
    }

    [Theory]
    [InlineData("/api/v1/materials")]
    [InlineData("/api/v1/listings/no-such-lot")]
    [InlineData("/api/v1/open-data/lots")]
    [InlineData("/connect/token")]
    [InlineData("/js/map.js")]
    public async Task EveryAnswer_TellsTheBrowserNotToSniff(string path)
    {
        // JSON, problems, exports and open data carry sellers' text: a browser must never read one as a page (probe 28).
        using var client = fixture.Server.Client();
        using var response = await client.GetAsync(path);

        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    /// <summary>A GET as a browser asks for a page.</summary>
    private async Task<HttpResponseMessage> AsBrowserAsync(string path)
    {
        using var client = fixture.Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return await client.SendAsync(request);
    }
}
