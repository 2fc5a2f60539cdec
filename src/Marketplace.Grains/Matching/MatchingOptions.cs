namespace Marketplace.Grains.Matching;

/// <summary>Matching settings (<c>Matching</c> section).</summary>
public sealed class MatchingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Matching";

    /// <summary>How long a proposal stays open (and an accepted one's hold lasts) before it expires. Default 3 days.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Lots and demands per call when a partition's book is rebuilt from storage.</summary>
    public int RecoveryBatchSize { get; set; } = 5_000;

    /// <summary>
    /// How long a live subscriber to a trader's matches (the match stream) stays subscribed unless it renews; the
    /// stream renews every third of it. Default 5 minutes; at least 1 second.
    /// </summary>
    public TimeSpan ObserverLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most proposals one demand gets in one round of matching, the best ranked. Default 20; at least 1.</summary>
    public int MaxProposalsPerRound { get; set; } = 20;

    /// <summary>
    /// How long a partition remembers the version of a removed lot or demand, to ignore a late, older change to it.
    /// Default 1 minute; at least 1 second.
    /// </summary>
    public TimeSpan RemovedVersionRetention { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a partition stores its membership (the ids of its lots and demands) when it changed; joins are stored
    /// at once. Default 1 second; at least 100 ms.
    /// </summary>
    public TimeSpan MembershipFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a partition re-reads members from their grains to repair a lost change: every member that joined
    /// and was not heard of within the interval, and <see cref="ReconcileBatchSize"/> others in turn. Default 30
    /// seconds; at least 1 second.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Members re-read per reconciliation besides the unheard joins, round-robin. Default 100; at least 0.</summary>
    public int ReconcileBatchSize { get; set; } = 100;
}
