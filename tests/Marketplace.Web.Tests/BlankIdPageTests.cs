using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Web.Tests;

/// <summary>A page whose path names something by an id of only white space (<c>/lots/%20</c>) is not found, never a 500.</summary>
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

    [GeneratedRegex(@"\{\**([^}:=?]+)[^}]*\}")]
    private static partial Regex Parameter();
}
