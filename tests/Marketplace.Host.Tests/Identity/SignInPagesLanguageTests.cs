using System.Net;

namespace Marketplace.Host.Tests.Identity;

/// <summary>
/// The sign-in pages speak the person's language as the marketplace's pages do (probe 12 found them English only):
/// the browser's language by default, the language cookie once chosen, and a switch on every page.
/// </summary>
[Collection(ApiCollection.Name)]
public class SignInPagesLanguageTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Theory]
    [InlineData("/account/sign-in", "Kirjaudu sisään", "Sign in")]
    [InlineData("/account/register", "Rekisteröi yrityksesi", "Register your firm")]
    [InlineData("/account/forgot-password", "Unohtunut salasana", "Forgot your password")]
    [InlineData("/account/confirm-email", "Vahvista osoitteesi", "Confirm your address")]
    [InlineData("/account/reset-password", "Valitse uusi salasana", "Choose a new password")]
    public async Task Page_IsInFinnish_ForAFinnishBrowser_AndInEnglishOtherwise(string path, string finnish, string english)
    {
        using var client = Server.Client();
        foreach (var (language, heading, lang, other) in new[] { ("fi-FI,fi;q=0.9", finnish, "fi", english), ("en-GB,en;q=0.9", english, "en", finnish) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept-Language", language);
            using var answer = await client.SendAsync(request);
            var html = WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains($"<html lang=\"{lang}\">", html, StringComparison.Ordinal);
            Assert.Contains($"<h1>{heading}</h1>", html, StringComparison.Ordinal);
            Assert.DoesNotContain($"<h1>{other}</h1>", html, StringComparison.Ordinal);
            Assert.Contains("action=\"/language\"", html, StringComparison.Ordinal);
        }
    }
}
