namespace Marketplace.Domain.Webhooks;

/// <summary>
/// When a failed delivery is tried again: exponential backoff from <paramref name="FirstDelay"/>, doubling up to
/// <paramref name="MaxDelay"/>, each delay shortened by a random jitter of up to half; no later than
/// <paramref name="RetryFor"/> after the event was queued, after which it is dead-lettered.
/// </summary>
public sealed record WebhookRetryPolicy(TimeSpan FirstDelay, TimeSpan MaxDelay, TimeSpan RetryFor)
{
    /// <summary>The defaults: 30 s, doubling to 1 h, for 24 h (about 30 attempts).</summary>
    public static WebhookRetryPolicy Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), TimeSpan.FromHours(24));

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt; <paramref name="jitter"/> is a random number in [0, 1).</summary>
    public TimeSpan Delay(int attempts, double jitter)
    {
        var exponent = Math.Min(Math.Max(attempts - 1, 0), 30);
        var full = Math.Min(FirstDelay.TotalMilliseconds * Math.Pow(2, exponent), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(full * (1 - (Math.Clamp(jitter, 0, 1) / 2)));
    }
}
