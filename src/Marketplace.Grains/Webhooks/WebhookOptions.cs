using Marketplace.Domain.Webhooks;

namespace Marketplace.Grains.Webhooks;

/// <summary>Outbound webhooks (<c>Webhooks</c> section).</summary>
public sealed class WebhookOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Webhooks";

    /// <summary>
    /// Development only: also accept plain http to loopback and targets on loopback, private and link-local addresses.
    /// Default false (https to public addresses only, checked again when connecting, against SSRF).
    /// </summary>
    public bool AllowDevelopmentTargets { get; set; }

    /// <summary>Wait after the first failed attempt; doubles per attempt (with up to half of it taken off at random). Default 30 s; 10 ms to 1 h.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between attempts. Default 1 h; at least <see cref="FirstRetryDelay"/>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an event is tried before it is dead-lettered; also the age past which a late event is dropped. Default 24 h; 1 s to 7 days.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a rotated secret keeps signing beside the new one. Default 24 h; 0 to 7 days.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Time allowed for one delivery's HTTP request and answer. Default 10 s; 100 ms to 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a subscription with queued deliveries looks for due ones. Default 1 s; 10 ms to 1 min.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an emitting grain tries again to hand over events it could not. Default 5 s; 10 ms to 10 min.</summary>
    public TimeSpan HandOverRetry { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a silo keeps the webhook directory's firms and filters (<see cref="WebhookInterest"/>) before it asks
    /// again: changes make events only for the firms wanting them. A firm's first subscription to an event type (or a
    /// change widening its types) answers only once every list lent before it has run out, so it takes up to this much
    /// longer. Default 1 s; 0 (no list: every change's events go to all its firms' registries) to 10 s.
    /// </summary>
    public TimeSpan DirectoryLease { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most requests one subscription has in flight (to different subjects). Default 8; 1 to 64.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>Most subscriptions per firm (its clients' included). Default 10; 1 to 100.</summary>
    public int MaxSubscriptionsPerFirm { get; set; } = 10;

    /// <summary>The retry policy these settings describe.</summary>
    public WebhookRetryPolicy RetryPolicy => new(FirstRetryDelay, MaxRetryDelay, RetryFor);

    /// <summary>True when every setting is within its range.</summary>
    public bool IsValid
        => FirstRetryDelay >= TimeSpan.FromMilliseconds(10) && FirstRetryDelay <= TimeSpan.FromHours(1) && MaxRetryDelay >= FirstRetryDelay
           && RetryFor >= TimeSpan.FromSeconds(1) && RetryFor <= TimeSpan.FromDays(7) && SecretOverlap >= TimeSpan.Zero && SecretOverlap <= TimeSpan.FromDays(7)
           && Timeout >= TimeSpan.FromMilliseconds(100) && Timeout <= TimeSpan.FromSeconds(60)
           && PollInterval >= TimeSpan.FromMilliseconds(10) && PollInterval <= TimeSpan.FromMinutes(1)
           && HandOverRetry >= TimeSpan.FromMilliseconds(10) && HandOverRetry <= TimeSpan.FromMinutes(10)
           && DirectoryLease >= TimeSpan.Zero && DirectoryLease <= TimeSpan.FromSeconds(10)
           && MaxConcurrentDeliveries is >= 1 and <= 64 && MaxSubscriptionsPerFirm is >= 1 and <= 100;
}
