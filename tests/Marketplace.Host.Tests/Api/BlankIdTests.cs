using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// An id in the path that is empty or only white space (<c>%20</c>, <c>%09</c>) is a clear 404, on every endpoint the
/// host maps: a grain refuses a blank key with an exception, which every endpoint once answered with a 500.
/// </summary>
[Collection(ApiCollection.Name)]
public class BlankIdTests(ServerFixture fixture)
{
    [Fact]
    public async Task EveryEndpointWithAnIdInItsPath_ABlankId_IsAProblemDocument_NeverA500()
    {
        var server = fixture.Server;
        var firm = await RegisterFirmAsync(server, "seller", "buyer", "operator");
        using var client = server.Client(firm);
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && p.StartsWith("/api/", StringComparison.Ordinal) && e.RoutePattern.Parameters.Count > 0)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToArray();
        Assert.True(endpoints.Length >= 40, $"only {endpoints.Length} endpoints with path parameters");

        var failures = new List<string>();
        var notFound = 0;
        foreach (var (method, pattern) in endpoints)
        {
            foreach (var blank in new[] { "%20", "%09%0A" })
            {
                var path = RouteTemplates.Fill(pattern, blank);
                foreach (var body in method is "GET" or "DELETE" ? [null] : new[] { null, "{}" })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (body is not null)
                    {
                        request.Content = JsonBody(body);
                    }

                    using var response = await client.SendAsync(request);
                    var type = response.Content.Headers.ContentType?.MediaType;
                    if ((int)response.StatusCode >= 500 || type != "application/problem+json")
                    {
                        failures.Add($"{method} {path}{(body is null ? "" : " with {}")}: {(int)response.StatusCode} {type}");
                    }

                    notFound += response.StatusCode == HttpStatusCode.NotFound ? 1 : 0;
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answer(s) that are not a problem document below 500:\n{string.Join("\n", failures)}");
        Assert.True(notFound > endpoints.Length, $"a blank id was 404 only {notFound} times over {endpoints.Length} endpoints");

        var problem = await ProblemAsync(await client.GetAsync("/api/v1/listings/%20"), HttpStatusCode.NotFound, "not-found");
        Assert.Contains("blank id", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
