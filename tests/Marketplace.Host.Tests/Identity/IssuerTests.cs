using System.Net;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>Which addresses accept a token, and what a refused token is told.</summary>
public class IssuerTests
{
    [Fact]
    public async Task TokenIssuedAt127001_IsAcceptedAtLocalhost_AndARefusedTokenIsToldWhy()
    {
        // Every host name let through, to reach the issuer check with a non-loopback name.
        await using var server = await MarketplaceServer.StartAsync(new() { ["AllowedHosts"] = "*" });
        using var browser = new Browser(server.Address);
        await browser.RegisterAsync(Browser.NewEmail("loopback"), NewBusinessId(), "Silmukka Oy");
        var token = (await browser.TokensAsync())["access_token"]!.GetValue<string>();
        using var api = server.BearerClient(token);

        // Embedded mode: the loopback names of one port are one issuer.
        foreach (var host in new[] { $"localhost:{server.Address.Port}", $"[::1]:{server.Address.Port}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Host = host;
            await ReadAsync(await api.SendAsync(request), HttpStatusCode.OK);
        }

        // Under another name the token is refused, and the problem says it is the issuer, not that no token was sent.
        using var elsewhere = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        elsewhere.Headers.Host = $"marketplace.example:{server.Address.Port}";
        var refused = await ProblemAsync(await api.SendAsync(elsewhere), HttpStatusCode.Unauthorized, "unauthenticated");
        var detail = refused["detail"]!.GetValue<string>();
        Assert.Contains("issuer", detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Send a bearer token", detail, StringComparison.Ordinal);

        // Without a token it still says to send one.
        using var anonymous = server.Client();
        var missing = await ProblemAsync(await anonymous.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("Send a bearer token", missing["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
