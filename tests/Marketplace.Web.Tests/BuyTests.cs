using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Marketplace.Web.Tests;

/// <summary>
/// Buying, as a person clicks it: find bricks near Vantaa on the map, hold 200, check out on invoice, receive them and
/// see the completed order with its CO2e, while the seller accepts and hands over in its own browser; and a wanted
/// notice whose match appears in the inbox without reloading.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class BuyTests(BrowserFixture web)
{
    private static readonly (double Lat, double Lon) Tikkurila = (60.2925, 25.0404);
    private static readonly (double Lat, double Lon) Porvoo = (60.3932, 25.6650);

    [BrowserTheory]
    [InlineData("en", true)]
    [InlineData("fi", false)]
    public async Task Buyer_FindsBricksNearVantaa_HoldsChecksOutAndReceives(string language, bool javaScript)
    {
        var seller = await web.Server.FirmAsync("Purku Oy", "Sami Seller", "seller");
        var buyer = await web.Server.FirmAsync("Rakennus Oy", "Bea Buyer", "buyer");
        var word = "brick" + Guid.NewGuid().ToString("N")[..10];
        var title = "Reclaimed bricks " + word;
        var lotId = await web.Server.ActiveLotAsync(seller, WebServer.Bricks(title, Tikkurila.Lat, Tikkurila.Lon, "Vantaa"));
        await web.Server.ActiveLotAsync(seller, WebServer.Bricks(title + " far", Porvoo.Lat, Porvoo.Lon, "Porvoo"));

        var page = await web.NewPageAsync(language, javaScript);
        await web.GoAsync(page, "/");
        await page.Locator("form[role=search] input[name=q]").FillAsync(word);
        await page.Locator("form[role=search] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/search?**");
        await page.Locator("#Place").SelectOptionAsync("Vantaa");
        await page.Locator("#RadiusKm").FillAsync("20");
        await page.Locator("form.filters button[type=submit]").First.ClickAsync();
        await page.WaitForURLAsync("**place=Vantaa**");
        Assert.Equal(1, await page.Locator(".hit").CountAsync());
        // One lot is said in the singular ("1 erää löytyi" was the partitive of many).
        Assert.Equal(language == "fi" ? "1 erä löytyi" : "1 lot found", (await page.Locator("#results-title").TextContentAsync())?.Trim());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (javaScript)
        {
            // One marker on the map, over a plain background (no tile server is configured); open the lot from it.
            await page.Locator("#map[data-ready='1']").WaitForAsync();
            Assert.Equal(1, await page.Locator("#map path.leaflet-interactive").CountAsync());
            await BrowserFixture.ScreenshotAsync(page, "search");
            await page.Locator("#map path.leaflet-interactive").ClickAsync();
            await page.Locator(".leaflet-popup-content a").ClickAsync();
        }
        else
        {
            await page.Locator(".hit h3 a").ClickAsync();
        }

        await page.WaitForURLAsync($"**/lots/{lotId}");
        Assert.Equal(title, (await page.Locator("h1").TextContentAsync())?.Trim());
        Assert.Contains("Purku Oy", await page.Locator("#seller").TextContentAsync());
        Assert.NotEqual("", (await page.Locator("#carbon").TextContentAsync())?.Trim());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (javaScript)
        {
            await BrowserFixture.ScreenshotAsync(page, "lot");
        }

        await page.Locator("header a[href^='/signin']").ClickAsync();
        await web.SignInAsync(page, buyer);
        await page.WaitForURLAsync($"**/lots/{lotId}");
        await page.Locator("#Hold_Quantity").FillAsync("200");
        await BrowserFixture.SubmitAsync(page, page.Locator("form[action*='handler=Hold'] button[type=submit]"), "**/checkout?**");
        Assert.Contains("200", await page.Locator("#hold-quantity").TextContentAsync());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (javaScript)
        {
            await BrowserFixture.ScreenshotAsync(page, "checkout");
        }

        await page.Locator("input[name='Form.Fulfilment'][value=pickup]").CheckAsync();
        await page.Locator("#Form_Address").FillAsync("Työmaantie 5");
        await page.Locator("#Form_PostalCode").FillAsync("01300");
        await page.Locator("#Form_Municipality").SelectOptionAsync("Vantaa");
        await page.Locator("input[name='Form.PaymentMethod'][value=invoice]").CheckAsync();
        await BrowserFixture.SubmitAsync(page, page.Locator("main form button[type=submit]"), "**/orders/**");
        var orderId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        var code = (await page.Locator("dd strong").First.TextContentAsync())!.Trim();

        // The seller, in a browser of its own, finds the order among those for its lots, accepts it and hands over
        // with the pickup code the buyer's person shows.
        var sellerPage = await web.NewPageAsync(language, javaScript);
        await web.GoAsync(sellerPage, "/sell");
        await web.SignInAsync(sellerPage, seller);
        await sellerPage.Locator("main a[href='/orders?role=seller']").ClickAsync();
        await sellerPage.WaitForURLAsync("**/orders?role=seller");
        await BrowserFixture.SubmitAsync(sellerPage, sellerPage.Locator($"main a[href='/orders/{orderId}']"), $"**/orders/{orderId}");
        // The seller sees who buys, and that its profile names no account for the invoice yet.
        await Expect(sellerPage.Locator("#order-party")).ToContainTextAsync("Rakennus Oy");
        // An invoice that says nowhere to pay is not issued: the seller adds the firm's account first, then accepts.
        await Expect(sellerPage.Locator("#missing-iban a[href='/firm/profile']")).ToBeVisibleAsync();
        await Expect(sellerPage.Locator("#accept")).ToBeDisabledAsync();
        await BrowserFixture.SubmitAsync(sellerPage, sellerPage.Locator("#missing-iban a[href='/firm/profile']"), "**/firm/profile");
        await sellerPage.Locator("#Form_Iban").FillAsync("FI21 1234 5600 0007 85");
        await BrowserFixture.SubmitAsync(sellerPage, sellerPage.Locator("#save-profile"), "**/firm/profile");
        await web.GoAsync(sellerPage, $"/orders/{orderId}");
        await Expect(sellerPage.Locator("#missing-iban")).ToHaveCountAsync(0);
        await BrowserFixture.SubmitAsync(sellerPage, sellerPage.Locator("#accept"), $"**/orders/{orderId}");
        await Expect(sellerPage.Locator("#order-status")).ToHaveTextAsync(language == "fi" ? "Hyväksytty" : "Accepted");
        await sellerPage.Locator("#PickupCode").FillAsync(code);
        await BrowserFixture.SubmitAsync(sellerPage, sellerPage.Locator("#hand-over"), $"**/orders/{orderId}");
        await Expect(sellerPage.Locator("#order-status")).ToHaveTextAsync(language == "fi" ? "Luovutettu" : "Handed over");
        await BrowserFixture.AssertAccessibleAsync(sellerPage);
        await sellerPage.Context.CloseAsync();

        await page.ReloadAsync();
        await page.Locator("form[action*='handler=Complete'] button").ClickAsync();
        await page.WaitForURLAsync($"**/orders/{orderId}");
        Assert.Equal(language == "fi" ? "Valmis" : "Completed", (await page.Locator("#order-status").TextContentAsync())?.Trim());
        Assert.Contains("CO2e", await page.Locator("#order-carbon").TextContentAsync());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (javaScript)
        {
            await BrowserFixture.ScreenshotAsync(page, "order");
        }

        // The buyer's orders list it, completed.
        await page.Locator("header nav a[href='/orders']").ClickAsync();
        await page.WaitForURLAsync("**/orders");
        Assert.Contains(language == "fi" ? "Valmis" : "Completed", await page.Locator($"main tr:has(a[href='/orders/{orderId}'])").TextContentAsync());
        await BrowserFixture.AssertAccessibleAsync(page);

        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// Card at checkout: the browser is sent (303) to the order's Stripe Checkout page, which the test fulfils as
    /// Stripe's hosted page would show (every other outside host stays blocked); back on the order page the buyer finds it
    /// awaiting payment and "pay by card" sends it to the same page; once paid there, Stripe's signed webhook about the
    /// page's payment intent marks the order's card payment authorised.
    /// </summary>
    [BrowserFact]
    public async Task Buyer_PaysByCardOnStripesPage_TheWebhookShowsTheCardAuthorised()
    {
        var seller = await web.Server.FirmAsync("Purku Oy", "Sami Seller", "seller");
        var buyer = await web.Server.FirmAsync("Rakennus Oy", "Bea Buyer", "buyer");
        using (var sellerApi = web.Server.Api(seller))
        {
            var onboarded = await sellerApi.PostAsync("/api/v1/payments/stripe/onboarding", null);
            Assert.True(onboarded.IsSuccessStatusCode, await onboarded.Content.ReadAsStringAsync());
        }

        await PostStripeWebhookAsync(Testing.Payments.StripeStub.AccountUpdated(seller.TraderId, chargesEnabled: true, DateTimeOffset.UtcNow));
        var lotId = await web.Server.ActiveLotAsync(seller, WebServer.Bricks("Bricks by card " + Guid.NewGuid().ToString("N")[..8], Tikkurila.Lat, Tikkurila.Lon, "Vantaa"));
        string holdId;
        using (var buyerApi = web.Server.Api(buyer))
        {
            var held = await buyerApi.PostAsJsonAsync($"/api/v1/listings/{lotId}/holds", new JsonObject { ["quantity"] = 200 });
            var body = JsonNode.Parse(await held.Content.ReadAsStringAsync())!;
            Assert.True(held.IsSuccessStatusCode, body.ToJsonString());
            holdId = body["hold"]!["id"]!.GetValue<string>();
        }

        var page = await web.NewPageAsync("en");
        // Stripe's hosted page stands in here for the one navigation to it; the fixture's guard still blocks any other host.
        var stripePages = new List<string>();
        await page.RouteAsync("https://checkout.stripe.com/**", route =>
        {
            stripePages.Add(route.Request.Url);
            return route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html; charset=utf-8", Body = "<!doctype html><html lang=en><title>Stripe Checkout</title><main><h1>Pay Purku Oy</h1></main></html>" });
        });
        await web.GoAsync(page, $"/checkout?lot={lotId}&hold={holdId}");
        await web.SignInAsync(page, buyer);
        await page.WaitForURLAsync("**/checkout?**");
        await page.Locator("input[name='Form.Fulfilment'][value=pickup]").CheckAsync();
        await page.Locator("#Form_Address").FillAsync("Työmaantie 5");
        await page.Locator("#Form_Municipality").SelectOptionAsync("Vantaa");
        await page.Locator("input[name='Form.PaymentMethod'][value=card]").CheckAsync();
        await BrowserFixture.SubmitAsync(page, page.Locator("main form button[type=submit]"), "https://checkout.stripe.com/c/pay/**");

        // The page Stripe was asked for: the order's amount, the fee, the seller's account, manual capture, the order's metadata.
        var session = Assert.Single(web.Stripe.Sessions.Values, s => s.Url == page.Url);
        var orderId = session.ClientReferenceId!;
        using (var buyerApi = web.Server.Api(buyer))
        {
            var order = await buyerApi.GetFromJsonAsync<JsonObject>($"/api/v1/orders/{orderId}");
            Assert.Equal(order!["totals"]!["grossMinor"]!.GetValue<long>(), session.Amount);
            Assert.Equal(order["totals"]!["platformFeeMinor"]!.GetValue<long>(), session.ApplicationFee);
        }

        Assert.Equal((Testing.Payments.StripeStub.AccountIdFor(seller.TraderId), "manual"), (session.Destination, session.CaptureMethod));
        Assert.Equal((orderId, buyer.TraderId, seller.TraderId), (session.IntentMetadata["order_id"], session.IntentMetadata["buyer_id"], session.IntentMetadata["seller_id"]));
        Assert.Equal(new Uri(web.Server.Address, $"/orders/{orderId}").ToString(), session.SuccessUrl);

        // The buyer leaves Stripe's page unpaid: the order waits for the card, and "pay by card" opens the same page.
        await page.GotoAsync(session.CancelUrl);
        await Expect(page.Locator("#order-payment")).ToHaveTextAsync("Awaiting card payment");
        await BrowserFixture.AssertAxeAsync(page);
        await BrowserFixture.SubmitAsync(page, page.Locator("#pay-by-card"), "https://checkout.stripe.com/c/pay/**");
        Assert.Equal([session.Url, session.Url], stripePages);
        Assert.Single(web.Stripe.Sessions.Values, s => s.ClientReferenceId == orderId);

        // Paid there; Stripe tells the marketplace about the page's payment intent, and sends the browser back.
        var intent = web.Stripe.PayOnCheckoutPage(session.Id);
        await PostStripeWebhookAsync(web.Stripe.Webhook("payment_intent.amount_capturable_updated", intent.Id, DateTimeOffset.UtcNow));
        await page.GotoAsync(session.SuccessUrl);
        await Expect(page.Locator("#order-payment")).ToHaveTextAsync("Card payment authorised");
        Assert.Equal(0, await page.Locator("#pay-by-card").CountAsync());

        // The seller takes the payment, then cancels: the card is refunded in full, and the page says so.
        using (var sellerApi = web.Server.Api(seller))
        {
            var accepted = await sellerApi.PostAsJsonAsync($"/api/v1/orders/{orderId}/accept", new JsonObject());
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
            await page.ReloadAsync();
            await Expect(page.Locator("#order-payment")).ToHaveTextAsync("Paid by card");
            var cancelled = await sellerApi.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new JsonObject { ["reason"] = "Damaged in storage" });
            Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        }

        await page.ReloadAsync();
        await Expect(page.Locator("#order-payment")).ToHaveTextAsync("Paid by card, refunded");
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    [BrowserTheory]
    [InlineData("fi")]
    [InlineData("en")]
    public async Task Buyer_WantedNotice_MatchesAppearLive_DecliningOneAndAcceptingAnotherHoldsIt(string language)
    {
        var seller = await web.Server.FirmAsync("Purku Oy", "Sami Seller", "seller");
        var buyer = await web.Server.FirmAsync("Rakennus Oy", "Bea Buyer", "buyer");
        var page = await web.NewPageAsync(language);
        await web.GoAsync(page, "/demands/edit");
        await web.SignInAsync(page, buyer);
        await page.WaitForURLAsync("**/demands/edit");
        await page.Locator("#Form_Category").SelectOptionAsync("masonry/blocks");
        await page.Locator("#Form_Quantity").FillAsync("300");
        await page.Locator("#Form_Unit").SelectOptionAsync("pcs");
        await page.Locator("#Form_Place").SelectOptionAsync("Vantaa");
        await page.Locator("#Form_RadiusKm").FillAsync("30");
        await BrowserFixture.AssertAccessibleAsync(page);
        var sent = await page.EvaluateAsync<Dictionary<string, string>>("() => Object.fromEntries(new FormData(document.querySelector('main form')))");
        var editUrl = page.Url;
        await BrowserFixture.SubmitAsync(page, page.Locator("main form button[type=submit]"), "**/demands");
        // The same form sent again (a double tap, a reload after sending) posts no second notice (probe 15 found two).
        var again = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in sent)
        {
            again.Set(name, value);
        }

        var resent = await page.Context.APIRequest.PostAsync(editUrl, new() { Form = again, MaxRedirects = 0 });
        Assert.Equal(302, resent.Status);
        await page.ReloadAsync();
        Assert.Equal(1, await page.Locator("main tbody tr").CountAsync());
        // Where is said as it was chosen, not as the coordinates it was stored as.
        await Expect(page.Locator("main tbody tr")).ToContainTextAsync("Vantaa");
        await BrowserFixture.AssertAccessibleAsync(page);

        // The inbox listens to the match stream; two lots that fit the notice arrive while it is open. Other tests'
        // lots may match too, so the rows are found by lot.
        await web.GoAsync(page, "/matches");
        await page.Locator("#inbox[data-live='true']").WaitForAsync();
        await page.EvaluateAsync("window.__sameDocument = true");
        var declined = await web.Server.ActiveLotAsync(seller, Blocks("Harkkoja Hakunilasta", Tikkurila.Lat + 0.01, Tikkurila.Lon));
        var accepted = await web.Server.ActiveLotAsync(seller, Blocks("Harkkoja Tikkurilasta", Tikkurila.Lat, Tikkurila.Lon));
        ILocator Row(string lotId, string status) => page.Locator($"#inbox tr[data-status={status}]:has(a[href='/lots/{lotId}'])");
        await Row(declined, "proposed").WaitForAsync();
        await Row(accepted, "proposed").WaitForAsync();
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the inbox reloaded instead of updating in place");
        Assert.NotEqual("", (await page.Locator("#live-status").TextContentAsync())?.Trim());
        await BrowserFixture.AssertAccessibleAsync(page);
        if (language == "en")
        {
            await BrowserFixture.ScreenshotAsync(page, "matches");
        }

        // Declining reloads the inbox (a form, so it works without script too): the row stays, declined, without actions.
        await Row(declined, "proposed").Locator("form[action*='handler=Decline'] button").ClickAsync();
        await Row(declined, "declined").WaitForAsync();
        Assert.Equal(0, await Row(declined, "declined").Locator("form").CountAsync());

        await BrowserFixture.SubmitAsync(page, Row(accepted, "proposed").Locator("form[action*='handler=Accept'] button"), "**/orders/**");
        using var api = web.Server.Api(buyer);
        var lot = await api.GetFromJsonAsync<JsonObject>($"/api/v1/listings/{accepted}");
        Assert.Equal(300m, lot!["quantities"]!["held"]!.GetValue<decimal>());
        var other = await api.GetFromJsonAsync<JsonObject>($"/api/v1/listings/{declined}");
        Assert.Equal(0m, other!["quantities"]!["held"]!.GetValue<decimal>());
        web.AssertNoOutsideRequests();
        await page.Context.CloseAsync();
    }

    /// <summary>Posts a signed delivery to the marketplace's Stripe webhook, as Stripe does.</summary>
    private async Task PostStripeWebhookAsync((string Body, string Signature) delivery)
    {
        using var client = new HttpClient { BaseAddress = web.Server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments/stripe/webhook")
        {
            Content = new StringContent(delivery.Body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", delivery.Signature);
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A lot of masonry blocks (a category the other journeys leave alone, so their lots do not crowd the inbox).</summary>
    private static JsonObject Blocks(string title, double latitude, double longitude)
    {
        var lot = WebServer.Bricks(title, latitude, longitude, "Vantaa");
        lot["category"] = "masonry/blocks";
        lot["description"] = "Lightweight concrete blocks from a demolished warehouse, on pallets.";
        return lot;
    }
}
