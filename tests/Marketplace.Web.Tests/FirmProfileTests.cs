using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Microsoft.Playwright.Assertions;

namespace Marketplace.Web.Tests;

/// <summary>A firm admin changes the firm's profile: a bad IBAN is refused next to its field, a good one saved.</summary>
[Collection(WebCollection.Name)]
public sealed class FirmProfileTests(BrowserFixture web)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public Task FirmAdmin_EditsTheProfile_BadIbanIsRefusedNextToItsField()
        => Journey.WithinAsync(Limit, JourneyAsync);

    private async Task JourneyAsync(Action<string> step)
    {
        step("firm through the API");
        var firm = await web.Server.FirmAsync("Vanha Nimi Oy", "Paula Profile", "seller");
        step("sign in");
        var page = await web.NewPageAsync("en");
        await web.GoAsync(page, "/firm");
        await web.SignInAsync(page, firm);
        await page.Locator("#edit-profile").ClickAsync();
        await page.WaitForURLAsync("**/firm/profile");
        Assert.Equal("Vanha Nimi Oy", await page.Locator("#Form_Name").InputValueAsync());
        Assert.Equal(firm.Email, await page.Locator("#Form_ContactEmail").InputValueAsync());
        await BrowserFixture.AssertAccessibleAsync(page);

        step("bad IBAN");
        await page.Locator("#Form_Name").FillAsync("Uusi Nimi Oy");
        await page.Locator("#role-buyer").CheckAsync();
        await page.Locator("#Form_Iban").FillAsync("FI00 1234");
        await page.Locator("#Form_PostalCode").FillAsync("00100");
        await page.Locator("#save-profile").ClickAsync();
        await Expect(page.Locator("#Form-Iban-error")).ToBeVisibleAsync();
        Assert.Equal("true", await page.Locator("#Form_Iban").GetAttributeAsync("aria-invalid"));
        Assert.Equal("Uusi Nimi Oy", await page.Locator("#Form_Name").InputValueAsync());
        await BrowserFixture.AssertAccessibleAsync(page);

        step("good IBAN");
        await page.Locator("#Form_Iban").FillAsync("FI21 1234 5600 0007 85");
        await BrowserFixture.SubmitAsync(page, page.Locator("#save-profile"), "**/firm/profile");
        await Expect(page.Locator("#done")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "firm-profile");

        using var api = web.Server.Api(firm);
        var saved = await api.GetFromJsonAsync<JsonObject>($"/api/v1/traders/{firm.TraderId}");
        Assert.Equal("Uusi Nimi Oy", saved!["name"]!.GetValue<string>());
        Assert.Equal(["buyer", "seller"], saved["roles"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("FI2112345600000785", saved["billing"]!["iban"]!.GetValue<string>().Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal("00100", saved["billing"]!["postalCode"]!.GetValue<string>());
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }
}
