namespace Marketplace.Web.Tests;

/// <summary>
/// What the journeys of the order, holds and profile pages share: a hard limit on a whole journey, so that a hung page
/// fails its test (saying the step it was at) instead of holding up the run.
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
}
