using System.Net;
using Marketplace.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The pages' own calls to the sign-in server are not counted by its per-address limit.</summary>
public class HostCallsTests
{
    [Fact]
    public async Task TokenEndpointFullFromTheHostsAddress_APagesSignInStillCompletes_AndOnlyAMarkedCallPasses()
    {
        // A known port, so the pages' callback on it can be registered for the first-party client.
        var port = MarketplaceServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Identity:RateLimitPerMinute"] = "5", ["urls"] = $"http://127.0.0.1:{port}",
            ["Identity:FirstPartyRedirectUris:1"] = $"http://127.0.0.1:{port}/signin-callback",
        });
        var email = Browser.NewEmail("host-calls");
        using var browser = new Browser(server.Address, localAddress: IPAddress.Parse("127.0.3.1"));
        await browser.RegisterAsync(email, NewBusinessId(), "Host Calls Oy");

        // Someone on the host's own address (every person's code is redeemed from it) fills the per-address bucket.
        using var noisy = new HttpClient { BaseAddress = server.Address };
        HttpStatusCode last = 0;
        for (var i = 0; i < 8; i++)
        {
            using var junk = await noisy.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "nobody", ["client_secret"] = "x" }));
            last = junk.StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        using (var forged = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }) })
        {
            forged.Headers.Add(HostCalls.Header, "not a mark");
            Assert.Equal(HttpStatusCode.TooManyRequests, (await noisy.SendAsync(forged)).StatusCode);
        }

        using (var marked = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }) })
        {
            marked.Headers.Add(HostCalls.Header, server.Services.GetRequiredService<HostCalls>().Value);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await noisy.SendAsync(marked)).StatusCode);
        }

        // The person signs in to the pages: the code comes back and is redeemed (before, a 500 at /signin-callback: probe 29).
        var location = "/signin?returnUrl=%2Ffirm";
        for (var hop = 0; hop < 10 && location is not null && !location.StartsWith("/firm", StringComparison.Ordinal); hop++)
        {
            using var answer = await browser.Http.GetAsync(location);
            Assert.True(answer.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
                $"GET {location}: {(int)answer.StatusCode} {Browser.ErrorText(await answer.Content.ReadAsStringAsync())}");
            location = answer.Headers.Location is { } next ? (next.IsAbsoluteUri ? next.PathAndQuery : next.OriginalString) : null;
        }

        Assert.Equal("/firm", location);
        Assert.Contains("Host Calls Oy", await browser.PageAsync("/firm"), StringComparison.Ordinal);
    }
}
