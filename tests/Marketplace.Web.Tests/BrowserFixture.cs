using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Marketplace.Web.Tests;

/// <summary>
/// One host and one Chromium shared by every browser test (collection <see cref="WebCollection"/>): starting either
/// costs seconds, a fresh browser context per test costs milliseconds. Nothing a test does can outlast its budget:
/// every Playwright action and navigation has a deadline, every context is closed (failing whatever still waits on
/// it) after <see cref="TestBudget"/>, the tests' attributes (<see cref="BrowserFactAttribute"/>) fail a test that runs
/// longer still, and disposing closes the contexts, the browser (killing it if it does not close) and the host, each
/// within a bound.
/// </summary>
public sealed partial class BrowserFixture : IAsyncLifetime
{
    /// <summary>How long one Playwright action (click, fill, wait for an element, expect) may take.</summary>
    public static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long one navigation may take.</summary>
    public static readonly TimeSpan NavigationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a browser context lives: then it is closed, so whatever a stuck test still waits on fails with this reason.</summary>
    public static readonly TimeSpan TestBudget = TimeSpan.FromSeconds(150);

    /// <summary>A marker on this fixture's Chromium command line, to find its processes if the browser will not close.</summary>
    private readonly string _marker = "--marketplace-web-tests=" + Guid.NewGuid().ToString("N");
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentDictionary<IBrowserContext, byte> _contexts = new();
    /// <summary>Contexts made with script off (axe checks their pages in a copy with script on).</summary>
    private static readonly ConcurrentDictionary<IBrowserContext, byte> ScriptOff = new();

    /// <summary>Pages axe has checked in this run, by language and path (one fixture per test run).</summary>
    private static readonly ConcurrentDictionary<string, byte> Checked = new(StringComparer.Ordinal);
    /// <summary>
    /// Axe's options: every rule it runs by default, details only of violations (the tests assert nothing else; axe's
    /// documented way to cut its time: passes and the rest are not serialised node by node). The pages have no frames.
    /// </summary>
    private static readonly AxeRunOptions AxeOptions = new() { ResultTypes = [ResultType.Violations], Iframes = false };

    /// <summary>Chromium's flags for a headless run in a container (see the README, Web).</summary>
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;

    /// <summary>The host.</summary>
    public WebServer Server { get; private set; } = null!;

    /// <summary>Stripe, as the host sees it (cards are taken); its hosted Checkout page is not on the marketplace's host, so the route guard blocks it.</summary>
    public Marketplace.Testing.Payments.StripeStub Stripe { get; } = new();

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Requests the pages made to any other host than the marketplace's (the route guard aborted them).</summary>
    public ConcurrentQueue<string> Blocked { get; } = new();

    /// <summary>Chromium: <c>MARKETPLACE_CHROMIUM</c>, else Debian's <c>/usr/bin/chromium</c> (test.sh installs it when missing).</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("MARKETPLACE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        // Playwright's expectations (Assertions.Expect) wait 5 s by default: too short for a busy machine.
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout((float)ActionTimeout.TotalMilliseconds);
        var server = WebServer.StartAsync(Stripe.HostSettings());
        try
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath, Headless = true, Args = [.. ChromiumFlags, _marker], Timeout = 60_000,
            });
        }
        finally
        {
            // Started either way, so that a failed launch does not leave the host running.
            Server = await server;
        }
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
        _contexts.TryAdd(context, 0);
        if (!javaScript)
        {
            ScriptOff.TryAdd(context, 0);
        }

        context.Close += (_, _) =>
        {
            _contexts.TryRemove(context, out _);
            ScriptOff.TryRemove(context, out _);
        };
        context.SetDefaultTimeout((float)ActionTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)NavigationTimeout.TotalMilliseconds);
        _ = CloseWhenOverBudgetAsync(context);
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
        return await context.NewPageAsync();
    }

    /// <summary>Closes a context still open after <see cref="TestBudget"/>: every call still waiting on it fails with the reason.</summary>
    private async Task CloseWhenOverBudgetAsync(IBrowserContext context)
    {
        try
        {
            await Task.Delay(TestBudget, _disposing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (_contexts.ContainsKey(context))
        {
            await CloseQuietlyAsync(context, $"the browser test ran over its budget of {TestBudget.TotalSeconds:N0} s");
        }
    }

    private static async Task CloseQuietlyAsync(IBrowserContext context, string reason)
    {
        try
        {
            await context.CloseAsync(new BrowserContextCloseOptions { Reason = reason }).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            // Already closed, or the browser is gone: disposing kills it.
        }
    }

    /// <summary>Opens a path of the marketplace.</summary>
    public Task<IResponse?> GoAsync(IPage page, string path) => page.GotoAsync(new Uri(Server.Address, path).ToString());

    /// <summary>Signs in through the marketplace's sign-in page from wherever the page is (the page sent the browser there).</summary>
    public async Task SignInAsync(IPage page, TestFirm person)
    {
        await page.Locator("#Email").WaitForAsync();
        await AssertAccessibleAsync(page);
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

    /// <summary>
    /// Asserts the page has no serious or critical axe violation. Each page (its path with ids folded) is checked once
    /// per language, per script on or off, and per state with or without a refused field, in a run: the journeys pass
    /// the same pages many times, and axe costs seconds on a busy machine (a page seen with script off most: it is
    /// checked through a copy in a second browser context).
    /// </summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var language = await page.Locator("html").GetAttributeAsync("lang") ?? "";
        var scripts = ScriptOff.ContainsKey(page.Context) ? "script off" : "script on";
        var refused = await page.Locator("[aria-invalid='true']").CountAsync() > 0 ? "a field refused" : "no field refused";
        if (!Checked.TryAdd($"{language} {scripts} {refused} {Id().Replace(new Uri(page.Url).AbsolutePath, "{id}")}", 0))
        {
            return;
        }

        await AssertAxeAsync(page);
    }

    /// <summary>Asserts the page, as it is now, has no serious or critical axe violation (whether or not it was checked before).</summary>
    public static async Task AssertAxeAsync(IPage page)
    {
        // Evaluating a script has no Playwright deadline of its own.
        var results = ScriptOff.ContainsKey(page.Context)
            ? await AxeWithoutScriptAsync(page).WaitAsync(NavigationTimeout)
            : await RunAxeAsync(page).WaitAsync(NavigationTimeout);
        var bad = results.Violations.Where(v => v.Impact is "serious" or "critical").ToArray();
        Assert.True(bad.Length == 0, $"axe on {page.Url}: " + string.Join("; ", bad.Select(Describe)));
    }

    /// <summary>
    /// Runs axe (all its default rules) in the page itself: <c>axe.run</c> in the page, as the package's "legacy" mode
    /// does. The package's default mode runs the rules per frame and then assembles the results in a blank page of a new
    /// browser context, which for these frameless pages gives the same violations at about six times the cost (measured:
    /// 5-6 s against under 1 s per page on the 2-core machine under load; see docs/architecture.md, Browser tests).
    /// <see cref="AxeCheckTests"/> proves a serious violation is still found this way.
    /// </summary>
    public static Task<AxeResult> RunAxeAsync(IPage page)
    {
#pragma warning disable CS0618 // "Legacy Mode is being removed in the future": pinned package version; see above.
        return page.RunAxeLegacy(options: AxeOptions);
#pragma warning restore CS0618
    }

    /// <summary>
    /// Axe on a page whose scripts are off: axe schedules its work with timers, which never fire there (its promise never
    /// settled, and the no-script journey hung the run). The page as it is, its script elements removed and its
    /// noscript contents shown as a browser without script shows them, is served at the same address to a page with
    /// script on, and checked there. That page is kept for the whole run (<see cref="NoScriptCopy"/>): a new browser
    /// context per check compiled axe's half-megabyte script afresh each time, 4-5 s a check against about 1.5 s on
    /// a page with script on (measured at load 25), and the no-script journeys took about twice as long as the others.
    /// </summary>
    private static async Task<AxeResult> AxeWithoutScriptAsync(IPage page)
    {
        var html = Scripts().Replace(await page.ContentAsync(), "").Replace("<noscript>", "", StringComparison.Ordinal).Replace("</noscript>", "", StringComparison.Ordinal);
        await NoScriptCopy.Gate.WaitAsync();
        try
        {
            var copy = await NoScriptCopy.PageAsync(page.Context.Browser!);
            NoScriptCopy.Serve(new Uri(page.Url), html);
            if (page.ViewportSize is { } size && (copy.ViewportSize?.Width != size.Width || copy.ViewportSize?.Height != size.Height))
            {
                await copy.SetViewportSizeAsync(size.Width, size.Height);
            }

            await copy.GotoAsync(page.Url);
            return await RunAxeAsync(copy);
        }
        finally
        {
            NoScriptCopy.Gate.Release();
        }
    }

    /// <summary>
    /// The page (script on, in a context of its own) where copies of script-off pages are checked, one check at a time:
    /// the copy's address answers with the copy, the page's own host serves the rest (styles, pictures), others are
    /// refused.
    /// </summary>
    private static class NoScriptCopy
    {
        public static readonly SemaphoreSlim Gate = new(1, 1);
        private static IPage? _page;
        private static Uri? _address;
        private static string _html = "";

        public static void Serve(Uri address, string html) => (_address, _html) = (address, html);

        public static async Task<IPage> PageAsync(IBrowser browser)
        {
            if (_page is { IsClosed: false } open && open.Context.Browser == browser)
            {
                return open;
            }

            var context = await browser.NewContextAsync();
            context.SetDefaultTimeout((float)ActionTimeout.TotalMilliseconds);
            context.SetDefaultNavigationTimeout((float)NavigationTimeout.TotalMilliseconds);
            await context.RouteAsync("**/*", route =>
            {
                var url = new Uri(route.Request.Url);
                return url == _address ? route.FulfillAsync(new RouteFulfillOptions { Body = _html, ContentType = "text/html; charset=utf-8" })
                    : url.Authority == _address?.Authority ? route.ContinueAsync() : route.AbortAsync();
            });
            _page = await context.NewPageAsync();
            return _page;
        }
    }

    /// <summary>
    /// Whether the tests retake the screenshots in <c>docs/screenshots/</c>: only when <c>MARKETPLACE_SCREENSHOTS=1</c>.
    /// They assert nothing and cost seconds per run (two full-page pictures at each of 14 places), and a run on a clean
    /// clone (CI) would only throw them away.
    /// </summary>
    public static bool TakesScreenshots => Environment.GetEnvironmentVariable("MARKETPLACE_SCREENSHOTS") == "1";

    /// <summary>
    /// Takes the page at desktop (1280) and phone (360, the narrowest the pages support) widths into
    /// docs/screenshots/{name}-desktop.png and -phone.png, when <see cref="TakesScreenshots"/>.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (!TakesScreenshots)
        {
            return;
        }

        var folder = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(folder);
        foreach (var (suffix, width, height) in new[] { ("desktop", 1280, 900), ("phone", 360, 780) })
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
        await _disposing.CancelAsync();
        try
        {
            await Task.WhenAll(_contexts.Keys.Select(c => CloseQuietlyAsync(c, "the browser tests ended")));
            if (Browser is not null)
            {
                try
                {
                    await Browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
                catch (Exception e) when (e is PlaywrightException or TimeoutException)
                {
                    // Killed below.
                }
            }

            _playwright?.Dispose();
        }
        finally
        {
            KillBrowserProcesses();
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }

            Stripe.Dispose();
            _disposing.Dispose();
        }
    }

    /// <summary>Kills whatever is left of this fixture's Chromium (its processes carry <see cref="_marker"/>).</summary>
    private void KillBrowserProcesses()
    {
        if (!Directory.Exists("/proc"))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(_marker, StringComparison.Ordinal))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already, or not ours to read.
            }
        }
    }

    [GeneratedRegex("[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{32}")]
    private static partial Regex Id();

    [GeneratedRegex("<script\\b[^>]*>.*?</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Scripts();
}

/// <summary>The browser tests' collection: one <see cref="BrowserFixture"/> for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<BrowserFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "web";
}
