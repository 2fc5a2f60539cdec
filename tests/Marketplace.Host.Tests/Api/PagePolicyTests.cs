using System.Net.Http.Headers;
using Marketplace.Host.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// The pages carry a Content-Security-Policy that lets only this host's own script files run (no inline script or
/// handler), and may not be framed; the API and the sign-in server's endpoints keep their answers as they are.
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
    [InlineData("https://{s}.tile.example.org/{z}/{x}/{y}.png", true)]
    [InlineData("/tiles/{z}/{x}/{y}.png", true)]
    [InlineData("https://tiles.{s}.example.org/{z}/{x}/{y}.png", false)]
    [InlineData("ftp://tiles.example.org/{z}/{x}/{y}.png", false)]
    public void ATileServerThePolicyCannotAdmit_IsRefusedAtStart_NotLeftAsABlankMap(string template, bool taken)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Web:Map:TileUrl"] = template;
        builder.AddMarketplaceWeb();
        using var app = builder.Build();
        WebOptions Read() => app.Services.GetRequiredService<IOptions<WebOptions>>().Value;

        if (taken)
        {
            Assert.Equal(template, Read().Map.TileUrl);
        }
        else
        {
            Assert.Contains("Web:Map:TileUrl must be", Assert.Throws<OptionsValidationException>(Read).Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A GET as a browser asks for a page.</summary>
    private async Task<HttpResponseMessage> AsBrowserAsync(string path)
    {
        using var client = fixture.Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org")]
    [InlineData("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org")]
    [InlineData("https://tile-{s}.example.org/{z}/{x}/{y}.png", "https://*.example.org")]
    [InlineData("https://tiles.{s}.example.org/{z}/{x}/{y}.png", null)]
    [InlineData("https://{s}/{z}/{x}/{y}.png", null)]
    [InlineData("HTTP://tiles.local:8080/{z}/{x}/{y}.png", "http://tiles.local:8080")]
    [InlineData("javascript:alert(1)//{z}", null)]
    [InlineData("https://tiles.example.org; script-src *", null)]
    [InlineData("/tiles/{z}/{x}/{y}.png", null)]
    public void TheTileServer_IsTheOnlyOtherImageSource(string? template, string? expected)
    {
        Assert.Equal(expected, PagePolicy.TileSource(template));
        var images = PagePolicy.For(template).Split("; ").Single(d => d.StartsWith("img-src ", StringComparison.Ordinal));
        Assert.Equal(expected is null ? "img-src 'self' data:" : $"img-src 'self' data: {expected}", images);
    }
}
