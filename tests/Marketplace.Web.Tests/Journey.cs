using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Marketplace.Web.Tests;

/// <summary>
/// What the journeys of the order, holds and profile pages share: a hard limit on a whole journey, so that a hung page
/// fails its test (saying the step it was at) instead of holding up the run, and axe on pages seen with script off.
/// </summary>
public static class Journey
{
    /// <summary>Runs <paramref name="journey"/>, which reports each step it starts; fails when it takes longer than <paramref name="limit"/>.</summary>
    public static async Task WithinAsync(TimeSpan limit, Func<Action<string>, Task> journey)
    {
        var step = "start";
        var run = journey(s => step = s);
        if (await Task.WhenAny(run, Task.Delay(limit)) != run)
        {
            Assert.Fail($"the journey took over {limit.TotalSeconds:0} s; it was at: {step}");
        }

        await run;
    }

    /// <summary>
    /// Asserts the page has no serious or critical axe violation. Axe is a script, and in a page with script off it
    /// never finishes (seen on the holds and orders pages): there the same HTML, as the server sent it, is checked in a
    /// page with script on at the marketplace's address, so its styles load as they did.
    /// </summary>
    public static async Task AssertAccessibleAsync(BrowserFixture web, IPage page, bool javaScript)
    {
        if (javaScript)
        {
            await BrowserFixture.AssertAccessibleAsync(page);
            return;
        }

        var html = await page.ContentAsync();
        var language = await page.Locator("html").GetAttributeAsync("lang") ?? "en";
        var checker = await web.NewPageAsync(language);
        try
        {
            await web.GoAsync(checker, "/");
            await checker.SetContentAsync(html);
            var results = await checker.RunAxe().WaitAsync(TimeSpan.FromSeconds(60));
            var bad = results.Violations.Where(v => v.Impact is "serious" or "critical").ToArray();
            Assert.True(bad.Length == 0, $"axe on {page.Url}: " + string.Join("; ", bad.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
        }
        finally
        {
            await checker.Context.CloseAsync();
        }
    }
}
