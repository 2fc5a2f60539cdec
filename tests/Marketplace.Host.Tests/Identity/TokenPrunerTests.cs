using System.Net;
using Marketplace.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenIddict.Abstractions;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The background job that deletes ended tokens.</summary>
[Collection(ApiCollection.Name)]
public class TokenPrunerTests(ServerFixture fixture)
{
    [Fact]
    public async Task Prune_DeletesRevokedTokensOlderThanADay_KeepsValidOnes()
    {
        var server = fixture.Server;
        using var browser = new Browser(server.Address);
        await browser.RegisterAsync(Browser.NewEmail("prune"), Api.ApiDriver.NewBusinessId(), "Karsinta Oy");
        var kept = (await browser.TokensAsync("openid"))["access_token"]!.GetValue<string>();
        var revoked = (await browser.TokensAsync("openid"))["access_token"]!.GetValue<string>();
        var revocation = await browser.Http.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = revoked, ["client_id"] = Browser.FirstPartyClient,
        }));
        Assert.Equal(HttpStatusCode.OK, revocation.StatusCode);

        await using var scope = server.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var revokedBefore = await CountAsync(tokens, OpenIddictConstants.Statuses.Revoked);
        Assert.True(revokedBefore >= 1);

        // Two days later, by the pruner's clock.
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));
        var pruner = new TokenPruner(server.Services, server.Services.GetRequiredService<IOptions<MarketplaceIdentityOptions>>(), later, NullLogger<TokenPruner>.Instance);
        var (pruned, _) = await pruner.PruneAsync(CancellationToken.None);

        Assert.True(pruned >= revokedBefore, $"pruned {pruned} of {revokedBefore} revoked tokens");
        Assert.Equal(0, await CountAsync(tokens, OpenIddictConstants.Statuses.Revoked));
        await Api.ApiDriver.ReadAsync(await server.BearerClient(kept).GetAsync("/api/v1/me"), HttpStatusCode.OK);
    }

    private static async Task<int> CountAsync(IOpenIddictTokenManager tokens, string status)
    {
        var count = 0;
        await foreach (var token in tokens.ListAsync())
        {
            if (await tokens.GetStatusAsync(token) == status)
            {
                count++;
            }
        }

        return count;
    }
}
