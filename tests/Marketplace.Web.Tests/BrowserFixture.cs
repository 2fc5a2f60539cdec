using System.Collections.Concurrent;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Marketplace.Web.Tests;

/// <summary>
/// One host and one Chromium shared by every browser test (collection <see cref="WebCollection"/>): starting either
/// costs seconds, a fresh browser context per test costs milliseconds.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Chromium's flags for a headless run in a container (see the README, Web).</summary>
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;

    /// <summary>The host.</summary>
    public WebServer Server { get; private set; } = null!;

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Requests the pages made to any other host than the marketplace's (the route guard aborted them).</summary>
    public ConcurrentQueue<string> Blocked { get; } = new();

    /// <summary>Chromium: <c>MARKETPLACE_CHROMIUM</c>, else Debian's <c>/usr/bin/chromium</c> (test.sh installs it when missing).</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MARKETPLACE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var server = WebServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumFlags });
        Server = await server;
    }

    /// <summary>
    /// A new page in a fresh context (no cookies) that asks for <paramref name="language"/> (fi or en), with script on
    /// or off; every request to another host is aborted and recorded in <see cref="Blocked"/>.
    /// </summary>
    public async Task<IPage> NewPageAsync(string language = "en", bool javaScript = true, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = language == "fi" ? "fi-FI" : "en-GB",
            JavaScriptEnabled = javaScript,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = language == "fi" ? "fi-FI,fi;q=0.9" : "en-GB,en;q=0.9" },
        });
        await context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Scheme is "http" or "https" && (url.Host != Server.Address.Host || url.Port != Server.Address.Port))
            {
                Blocked.Enqueue(route.Request.Url);
                await route.AbortAsync();
                return;
            }

            await route.ContinueAsync();
        });
        // Generous: the machine running the suite may be busy, and a deadline only bounds a failure.
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    /// <summary>Opens a path of the marketplace.</summary>
    public Task<IResponse?> GoAsync(IPage page, string path) => page.GotoAsync(new Uri(Server.Address, path).ToString());

    /// <summary>Signs in through the marketplace's sign-in page from wherever the page is (the page sent the browser there).</summary>
    public async Task SignInAsync(IPage page, TestFirm person)
    {
        await page.Locator("#Email").FillAsync(person.Email);
        await page.Locator("#Password").FillAsync(WebServer.Password);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal) && !url.Contains("/connect/", StringComparison.Ordinal) && !url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>Clicks and waits for the next page; on a timeout says what the page shows instead (its problem and field errors).</summary>
    public static async Task SubmitAsync(IPage page, ILocator button, string urlGlob)
    {
        await button.ClickAsync();
        try
        {
            await page.WaitForURLAsync(urlGlob);
        }
        catch (TimeoutException)
        {
            var shown = await page.Locator(".error, .field-error").AllTextContentsAsync();
            Assert.Fail($"expected {urlGlob}, still at {page.Url}: {string.Join(" | ", shown)} {(shown.Count == 0 ? await page.ContentAsync() : "")}");
        }
    }

    /// <summary>Asserts the page has no serious or critical axe violation.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var results = await page.RunAxe();
        var bad = results.Violations.Where(v => v.Impact is "serious" or "critical").ToArray();
        Assert.True(bad.Length == 0, $"axe on {page.Url}: " + string.Join("; ", bad.Select(Describe)));
    }

    /// <summary>Takes the page at desktop (1280) and phone (375) widths into docs/screenshots/{name}-desktop.png and -phone.png.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(folder);
        foreach (var (suffix, width, height) in new[] { ("desktop", 1280, 900), ("phone", 375, 812) })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}-{suffix}.png"), FullPage = true });
        }

        await page.SetViewportSizeAsync(1280, 900);
    }

    /// <summary>Asserts no page reached for another host.</summary>
    public void AssertNoOutsideRequests() => Assert.True(Blocked.IsEmpty, "requests to other hosts: " + string.Join(", ", Blocked));

    private static string Describe(AxeResultItem v)
        => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Marketplace.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Marketplace.sln not found above " + AppContext.BaseDirectory);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>The browser tests' collection: one <see cref="BrowserFixture"/> for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<BrowserFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "web";
}
