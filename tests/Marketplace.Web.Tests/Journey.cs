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
    /// Asserts the page has no serious or critical axe violation. With script on, each page is checked once per language
    /// per run (<see cref="BrowserFixture.AssertAccessibleAsync"/>); with script off, every call checks the page as it is
    /// now, through the fixture's copy of it (script elements removed, noscript shown) served at its address to a page
    /// with script on, since axe never finishes in a page without script (seen on the holds and orders pages).
    /// </summary>
    public static Task AssertAccessibleAsync(BrowserFixture web, IPage page, bool javaScript)
        => javaScript ? BrowserFixture.AssertAccessibleAsync(page) : BrowserFixture.AssertAxeAsync(page);
}
