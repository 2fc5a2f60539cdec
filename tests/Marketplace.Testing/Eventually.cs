namespace Marketplace.Testing;

/// <summary>Polls a condition until it holds or a deadline passes: how tests wait for asynchronous effects, instead of sleeping.</summary>
public static class Eventually
{
    /// <summary>How often the condition is asked again.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>True as soon as the condition holds; false when it still does not hold at the deadline (asked once more then).</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(Interval);
        }

        return await condition();
    }

    /// <summary>True as soon as the condition holds; false when it still does not hold at the deadline.</summary>
    public static Task<bool> TrueAsync(Func<bool> condition, TimeSpan deadline) => TrueAsync(() => Task.FromResult(condition()), deadline);

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> accepts its value or the deadline passes; returns the last value read.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan deadline)
    {
        var value = await read();
        var until = DateTime.UtcNow + deadline;
        while (!done(value) && DateTime.UtcNow < until)
        {
            await Task.Delay(Interval);
            value = await read();
        }

        return value;
    }
}
