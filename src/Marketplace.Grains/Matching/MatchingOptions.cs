namespace Marketplace.Grains.Matching;

/// <summary>Matching settings (<c>Matching</c> section).</summary>
public sealed class MatchingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Matching";

    /// <summary>
    /// Most demands one buying firm keeps open (409 <c>open-demand-limit</c> beyond): each is matched against every lot
    /// of its category nearby, so one firm could otherwise load matching without bound. Default 500; 1 to 100,000.
    /// </summary>
    public int MaxOpenDemandsPerBuyer { get; set; } = 500;

    /// <summary>How long a firm found at <see cref="MaxOpenDemandsPerBuyer"/> is refused before its demands are read again; default 1 minute (reading 500 demands every few seconds for a firm that keeps trying would cost more than its demands do).</summary>
    public TimeSpan OpenDemandRecheckAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a proposal stays open (and an accepted one's hold lasts) before it expires. Default 3 days.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Lots and demands per call when a partition's book is rebuilt from storage.</summary>
    public int RecoveryBatchSize { get; set; } = 5_000;

    /// <summary>
    /// How long a live subscriber to a trader's matches (the match stream) stays subscribed unless it renews; the
    /// stream renews every third of it. Default 5 minutes; at least 1 second.
    /// </summary>
    public TimeSpan ObserverLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most proposals one round of matching makes for its changed side: a demand gets at most this many lots, and a
    /// lot's change proposes to at most this many demands, in each case the best ranked. Default 20; 1 to 1,000 (each
    /// proposal is a stored session and an entry in two inboxes, so a round is kept to what a firm can read).
    /// </summary>
    public int MaxProposalsPerRound { get; set; } = 20;

    /// <summary>
    /// Most pairs (lot, demand) a partition remembers as having a stored session, with whether their round is open: a
    /// remembered pair's change sends an open round nothing and a stored one straight to its session, not through a
    /// refused write. A lot or demand that leaves forgets its pairs; past the cap the expired rounds are dropped, then
    /// pairs at random, a 64th of the cap at a time, which each cost a refused write and a session call when next
    /// proposed. About 100 bytes a pair. Default 250,000 (about 25 MB, what the 100,000 session ids and rounds kept
    /// before took); 16 to 10,000,000.
    /// </summary>
    public int RememberedPairs { get; set; } = 250_000;

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
    /// Members per page when a partition lays its membership out in pages: a cell of more than twice this many
    /// members a page is laid out anew in pages of about this many, so that a join writes its page's changes and now
    /// and then its page, not the whole cell. Bigger pages: fewer records (an activation reads each, a bulk load
    /// writes each) but more bytes per join. Default 2,048 (a page of about 50 KB of ids); 64 to 65,536.
    /// </summary>
    public int MembershipPageSize { get; set; } = 2_048;

    /// <summary>
    /// Entries per page of a firm's match inbox once it holds more than this many: its entries are then stored in
    /// pages in the order they were first recorded (a session's page never changes); a write stores the entries changed
    /// since the pages were last written, and the pages holding them once those pass the square root of this size, not
    /// the whole inbox. A smaller inbox stays one record. Bigger pages: fewer records (an activation reads each) but more
    /// bytes per page write. Default 500 (a page of about 65 KB of JSON, under
    /// the large-object heap's 85,000 bytes); 64 to 65,536.
    /// </summary>
    public int InboxPageSize { get; set; } = 500;

    /// <summary>
    /// How often a partition re-reads members from their grains to repair a lost change: every member that joined
    /// and was not heard of within the interval, and a slice of the others in turn (see <see cref="ReconcileSweepPeriod"/>).
    /// Default 30 seconds; at least 1 second.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a partition takes to re-read each of its other members once, round-robin: each reconciliation reads
    /// the cell's members × <see cref="ReconcileInterval"/> ÷ this period of them (at least one, at most
    /// <see cref="ReconcileBatchSize"/>), so the silo's re-reads grow with the members it holds, not with its number of
    /// partitions (a fixed slice per partition re-read 433 members a second at 1M lots whatever the change rate).
    /// Bounds how long a lost change to a member already in the cell waits. Default 6 hours; at least
    /// <see cref="ReconcileInterval"/>.
    /// </summary>
    public TimeSpan ReconcileSweepPeriod { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Most members re-read per reconciliation besides the unheard joins. Default 100; at least 0 (0: no sweep).</summary>
    public int ReconcileBatchSize { get; set; } = 100;

    /// <summary>
    /// Members one reconciliation re-reads besides the unheard joins, for a cell of <paramref name="members"/>: every
    /// member once per <see cref="ReconcileSweepPeriod"/>, at least one, at most <see cref="ReconcileBatchSize"/>.
    /// </summary>
    public int ReconcileSlice(int members)
        => members == 0 || ReconcileBatchSize == 0
            ? 0
            : (int)Math.Clamp(Math.Ceiling(members * (ReconcileInterval / ReconcileSweepPeriod)), 1, ReconcileBatchSize);
}
