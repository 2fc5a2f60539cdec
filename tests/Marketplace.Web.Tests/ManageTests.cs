using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Marketplace.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SkiaSharp;

namespace Marketplace.Web.Tests;

/// <summary>The seller's, the firm's and the admins' pages, clicked through as a person would, in both languages.</summary>
[Collection(WebCollection.Name)]
public sealed partial class ManageTests(BrowserFixture web)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [BrowserTheory]
    [InlineData("en")]
    [InlineData("fi")]
    public async Task Seller_CreatesALotWithTwoPhotos_PublishesIt_AndBuyersFindIt(string language)
    {
        var seller = await web.Server.FirmAsync("Purkupiha Oy", "Sanna Seller", "seller");
        var word = "kahitiili" + Guid.NewGuid().ToString("N")[..6];
        var page = await web.NewPageAsync(language);
        await web.GoAsync(page, "/sell/lots/new");
        await web.SignInAsync(page, seller);
        await page.WaitForURLAsync(url => url.Contains("/sell/lots/new", StringComparison.Ordinal));
        await BrowserFixture.AssertAccessibleAsync(page);

        var decimalPoint = language == "fi" ? "," : ".";
        await page.Locator("#Form_Description").FillAsync("Cleaned clay bricks from a 1960s school, on pallets.");
        await page.Locator("#Form_Category").SelectOptionAsync("masonry/bricks");
        await page.Locator("#Form_Quantity").FillAsync("500");
        await page.Locator("#Form_Unit").SelectOptionAsync("pcs");
        await page.Locator("#Form_Price").FillAsync($"0{decimalPoint}45");
        await page.Locator("#Form_Address").FillAsync("Tikkurilantie 1");
        // No coordinates: the lot is placed at the municipality's centre.
        await page.Locator("#Form_Municipality").FillAsync("Vantaa");

        // Without a title the API refuses the lot: its problem is shown next to the field, the rest of the form kept.
        await page.Locator("#save").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#Form-Title-error")).ToBeVisibleAsync();
        Assert.Equal("true", await page.Locator("#Form_Title").GetAttributeAsync("aria-invalid"));
        Assert.Equal("Vantaa", await page.Locator("#Form_Municipality").InputValueAsync());
        await page.Locator("#Form_Title").FillAsync($"Red bricks {word}");
        await page.Locator("#save").ClickAsync();
        await page.WaitForURLAsync(new Regex("/sell/lots/[0-9a-f]{32}"));
        using (var lots = web.Server.Api(seller))
        {
            var stored = await lots.GetFromJsonAsync<JsonObject>("/api/v1/listings/" + new Uri(page.Url).Segments[^1]);
            Assert.Equal((60.2934, 25.0378), (stored!["location"]!["latitude"]!.GetValue<double>(), stored["location"]!["longitude"]!.GetValue<double>()));
            Assert.Equal("", await page.Locator("#Form_Latitude").InputValueAsync());
        }

        // A phone's full-size photo, past the bound: refused next to the field in the page's language, not an error page.
        await page.Locator("#Photo").SetInputFilesAsync(new FilePayload { Name = "phone.jpg", MimeType = "image/jpeg", Buffer = new byte[12 * 1024 * 1024] });
        await page.Locator("#upload").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#Photo-error")).ToContainTextAsync(language == "fi" ? "enintään 8" : "at most 8");
        Assert.Equal(0, await page.Locator("#photos img").CountAsync());
        // Past even the form's own bound the body cannot be read: the error page says so, in the page's language (it
        // said "page not found": the unreadable body failed its own binding of the status, probe 15).
        var tooLarge = page.Context.APIRequest.CreateFormData();
        tooLarge.Set("__RequestVerificationToken", await page.Locator("#photo-form input[name=__RequestVerificationToken]").InputValueAsync());
        tooLarge.Set("Photo", new FilePayload { Name = "huge.jpg", MimeType = "image/jpeg", Buffer = new byte[Marketplace.Host.Web.Pages.Sell.LotModel.MaxPostBytes + 1024] });
        var refusedPage = await page.Context.APIRequest.PostAsync(
            new Uri(new Uri(page.Url), await page.Locator("#photo-form").GetAttributeAsync("action")).ToString(),
            new() { Multipart = tooLarge, Headers = new Dictionary<string, string> { ["Accept"] = "text/html" } });
        var refusedText = await refusedPage.TextAsync();
        Assert.True(refusedPage.Status is 400 or 413, $"{refusedPage.Status}");
        Assert.DoesNotContain(language == "fi" ? "Sivua ei löytynyt" : "Page not found", refusedText, StringComparison.Ordinal);
        Assert.Contains(language == "fi" ? "Lomaketta tai osoitetta ei voitu lukea" : "could not be read", refusedText, StringComparison.Ordinal);

        await UploadAsync(page, "front.png", "image/png", Image(1600, 1200, SKEncodedImageFormat.Png));
        await UploadAsync(page, "pallet.jpg", "image/jpeg", Image(800, 600, SKEncodedImageFormat.Jpeg));
        Assert.Equal(2, await page.Locator("#photos img").CountAsync());
        Assert.True(await page.Locator("#photos img").First.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"), "the uploaded photo's thumbnail did not load");
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "sell-lot");
        }

        await page.Locator("#publish").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#lot-status strong")).ToHaveTextAsync(language == "fi" ? "Myynnissä" : "On the market");

        // Buyers find it (the index follows within moments) with its photos.
        var found = await Eventually.TrueAsync(async () =>
        {
            await web.GoAsync(page, "/search?q=" + word);
            return await page.Locator($"a:has-text('{word}')").CountAsync() > 0;
        }, Deadline);
        Assert.True(found, "the published lot was not found by search");
        await page.Locator($"a:has-text('{word}')").First.ClickAsync();
        Assert.Equal(2, await page.Locator("ul.photos img").CountAsync());

        await web.GoAsync(page, "/sell");
        Assert.Equal(1, await page.Locator($"#my-lots a:has-text('{word}')").CountAsync());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "sell");
        }

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    [BrowserTheory]
    [InlineData("fi")]
    [InlineData("en")]
    public async Task Admin_HidesALotWithAReason_ItLeavesTheMarket_AndTheSellerIsTold(string language)
    {
        var seller = await web.Server.FirmAsync("Tiilivarasto Oy", "Timo Seller", "seller");
        var lot = await web.Server.ActiveLotAsync(seller, WebServer.Bricks("Bricks to hide " + language, 60.29, 25.04, "Vantaa"));
        var admin = await PlatformAdminAsync(web.Server);
        var page = await web.NewPageAsync(language);
        await web.GoAsync(page, "/admin");
        await web.SignInAsync(page, admin);
        await page.WaitForURLAsync(url => url.Contains("/admin", StringComparison.Ordinal));
        await BrowserFixture.AssertAccessibleAsync(page);

        // A page of text pasted as the id (past the field's maxlength) is named at the field, not the API's "URI Too Long".
        await page.Locator("#Verify_Id").EvaluateAsync("(e, v) => e.value = v", new string('x', 100_000));
        await page.Locator("#verify").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#Verify-Id-error")).ToHaveTextAsync(
            language == "fi" ? "Noin pitkää tunnusta ei ole yhdelläkään yrityksellä, erällä tai arviolla." : "No firm, lot or review has an id that long.");

        await page.Locator("#HideLot_Id").FillAsync(lot);
        await page.Locator("#HideLot_Reason").FillAsync("Asbestos suspected in the mortar");
        await page.Locator("#hide-lot").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#done")).ToBeVisibleAsync();
        await page.Locator("#Verify_Id").FillAsync(seller.TraderId);
        await page.Locator("#verify").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#done")).ToBeVisibleAsync();
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "admin");
        }

        var anonymous = await web.NewPageAsync(language);
        Assert.Equal(404, (await web.GoAsync(anonymous, "/lots/" + lot))!.Status);
        await anonymous.Context.CloseAsync();

        // A firm's person who is no admin is told so on the admin page, which shows no forms.
        var sellerPage = await web.NewPageAsync(language);
        await web.GoAsync(sellerPage, "/admin");
        await web.SignInAsync(sellerPage, seller);
        await sellerPage.WaitForURLAsync(url => url.Contains("/admin", StringComparison.Ordinal));
        await Microsoft.Playwright.Assertions.Expect(sellerPage.Locator("#not-admin")).ToBeVisibleAsync();
        Assert.Equal(0, await sellerPage.Locator("main form").CountAsync());
        await sellerPage.Context.CloseAsync();

        using var api = web.Server.Api(seller);
        var notices = await api.GetFromJsonAsync<JsonObject>($"/api/v1/traders/{seller.TraderId}/notices");
        Assert.Equal("Asbestos suspected in the mortar", notices!["items"]![0]!["reason"]!.GetValue<string>());
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    [BrowserTheory]
    [InlineData("en")]
    [InlineData("fi")]
    public async Task FirmAdmin_InvitesAColleague_WhoSignsUpThroughTheMailedLink(string language)
    {
        var firm = await web.Server.FirmAsync("Rakennus Kumppanit Oy", "Anna Admin", "seller", "buyer");
        var page = await web.NewPageAsync(language);
        await web.GoAsync(page, "/firm");
        await web.SignInAsync(page, firm);
        await page.WaitForURLAsync(url => url.Contains("/firm", StringComparison.Ordinal));
        await BrowserFixture.AssertAccessibleAsync(page);

        var colleague = $"colleague-{Guid.NewGuid():N}@firm.example";
        await page.Locator("#Invite_Email").FillAsync(colleague);
        await page.Locator("#invite").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#invitations")).ToContainTextAsync(colleague);

        // The colleague follows the mailed link, makes an account and confirms the address.
        var invitee = await web.NewPageAsync(language);
        await invitee.GotoAsync(await MailedLinkAsync(colleague, "/account/accept-invitation?"));
        await BrowserFixture.AssertAccessibleAsync(invitee);
        await invitee.Locator("main a[href^='/account/register']").ClickAsync();
        await invitee.Locator("#DisplayName").WaitForAsync();
        await BrowserFixture.AssertAccessibleAsync(invitee);
        await invitee.Locator("#DisplayName").FillAsync("Kalle Colleague");
        await invitee.Locator("#Email").FillAsync(colleague);
        await invitee.Locator("#Password").FillAsync(WebServer.Password);
        await invitee.Locator("main form button[type=submit]").ClickAsync();
        await invitee.WaitForURLAsync(url => url.Contains("/account/confirm-email", StringComparison.Ordinal));
        await invitee.GotoAsync(await MailedLinkAsync(colleague, "/account/confirm-email?"));
        await Microsoft.Playwright.Assertions.Expect(invitee.Locator("#confirmed")).ToBeVisibleAsync();
        await BrowserFixture.AssertAccessibleAsync(invitee);
        await web.GoAsync(invitee, "/firm");
        await web.SignInAsync(invitee, new TestFirm(colleague, firm.TraderId, ""));
        await Microsoft.Playwright.Assertions.Expect(invitee.Locator("h1")).ToContainTextAsync("Rakennus Kumppanit Oy");
        await invitee.Context.CloseAsync();

        await page.ReloadAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#member-list")).ToContainTextAsync(colleague);
        // The API client form says what each scope lets a client do, in the page's language (it listed bare codes).
        await Microsoft.Playwright.Assertions.Expect(page.Locator("label.choice:has(input[value='listings.read'])"))
            .ToContainTextAsync(language == "fi" ? "Lukea yrityksen eriä" : "Read the firm's lots");

        // The admin makes the colleague an admin from the list (before, only a new invitation could).
        var row = page.Locator($"#member-list tr:has-text('{colleague}')");
        await row.Locator("form[action*='handler=Role'] button").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(row).ToContainTextAsync(language == "fi" ? "Ylläpitäjä" : "Firm admin");
        await Microsoft.Playwright.Assertions.Expect(row.Locator("form[action*='handler=Role'] button")).ToContainTextAsync(language == "fi" ? "jäsen" : "a member");
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "firm");
        }

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    private static async Task UploadAsync(IPage page, string name, string type, byte[] image)
    {
        var before = await page.Locator("#photos img").CountAsync();
        await page.Locator("#Photo").SetInputFilesAsync(new FilePayload { Name = name, MimeType = type, Buffer = image });
        await page.Locator("#upload").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#photos img")).ToHaveCountAsync(before + 1);
    }

    private static byte[] Image(int width, int height, SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(new SKColor(170, 70, 50));
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 85);
        return data.ToArray();
    }

    /// <summary>A person of a firm of their own made platform admin (as <c>users make-admin</c> does).</summary>
    private static async Task<TestFirm> PlatformAdminAsync(WebServer server)
    {
        var admin = await server.FirmAsync("Ylläpito Oy", "Aada Admin", "buyer");
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<MarketplaceUser>>();
        var user = await users.FindByEmailAsync(admin.Email);
        user!.IsPlatformAdmin = true;
        await users.UpdateAsync(user);
        return admin;
    }

    /// <summary>The newest link to <paramref name="pathPrefix"/> mailed to the address (the embedded mode writes .eml files under the data folder).</summary>
    private async Task<string> MailedLinkAsync(string email, string pathPrefix)
    {
        var folder = Path.Combine(web.Server.Services.GetRequiredService<IConfiguration>()["DataPath"]!, "mail");
        string? link = null;
        var found = await Eventually.TrueAsync(async () =>
        {
            foreach (var file in Directory.Exists(folder) ? new DirectoryInfo(folder).GetFiles("*.eml").OrderByDescending(f => f.LastWriteTimeUtc) : Enumerable.Empty<FileInfo>())
            {
                var text = await File.ReadAllTextAsync(file.FullName);
                if (text.Contains("To: " + email + "\r\n", StringComparison.Ordinal)
                    && MailLink().Matches(text).FirstOrDefault(m => new Uri(m.Value).PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal)) is { } match)
                {
                    link = match.Value;
                    return true;
                }
            }

            return false;
        }, Deadline);
        Assert.True(found, $"no mail to {email} with a {pathPrefix} link in {folder}");
        return link!;
    }

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex MailLink();
}
