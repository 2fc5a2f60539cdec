using System.Text.Json;
using Marketplace.Domain.Common;
using Marketplace.Domain.Webhooks;

namespace Marketplace.Domain.Tests.Webhooks;

public class WebhookSubscriptionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly WebhookRetryPolicy Policy = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), TimeSpan.FromMinutes(1));

    private static WebhookSubscription New(params string[] types)
        => WebhookSubscription.Create("s1", "firm", null, "https://hooks.example.com/x", types.Length == 0 ? ["*"] : types, null, "whsec_a", false, T0);

    private static (OutboxEvent, string) Event(string subject, long version, string type = "listing.updated", DateTimeOffset? at = null)
    {
        var e = OutboxEvent.Create(type, subject, subject, version, at ?? T0, ["firm"], JsonSerializer.SerializeToElement(new { version }));
        return (e, "{}");
    }

    [Fact]
    public void Due_LaterVersionOfASubject_WaitsForTheEarlierOneStillPending_OtherSubjectsGoAhead()
    {
        var s = New();
        // One hand-over carries every version not yet handed over; whatever their order, they are queued by version.
        s.Enqueue([Event("listing/a", 2), Event("listing/a", 1), Event("listing/b", 1)], T0, TimeSpan.FromDays(1));
        Assert.Equal(0, s.Enqueue([Event("listing/a", 1)], T0, TimeSpan.FromDays(1))); // handed over again: a duplicate
        var due = s.Due(T0, new HashSet<string>(), 10);
        Assert.Equal([("listing/a", 1L), ("listing/b", 1L)], due.Select(d => (d.Subject, d.Version)));

        s.RecordAttempt(due[0].EventId, 500, null, Policy, 0, T0);
        Assert.DoesNotContain(s.Due(T0, new HashSet<string>(), 10), d => d.Subject == "listing/a");
        s.RecordAttempt(due[0].EventId, 204, null, Policy, 0, T0 + TimeSpan.FromSeconds(1));
        Assert.Equal(2, Assert.Single(s.Due(T0 + TimeSpan.FromSeconds(1), new HashSet<string>(), 10), d => d.Subject == "listing/a").Version);
    }

    [Fact]
    public void Enqueue_AVersionHandedOverTwice_IsQueuedOnce_AndIdsAreDerived()
    {
        var s = New();
        Assert.Equal(2, s.Enqueue([Event("listing/a", 1, "listing.created"), Event("listing/a", 1, "hold.placed")], T0, TimeSpan.FromDays(1)));
        Assert.Equal(0, s.Enqueue([Event("listing/a", 1, "listing.created"), Event("listing/a", 1, "hold.placed")], T0, TimeSpan.FromDays(1)));
        Assert.Equal(OutboxEvent.IdFor("listing/a", "listing/a", 1, "listing.created"), s.Queue[0].EventId);
        Assert.Equal(0, s.Enqueue([Event("listing/b", 1, at: T0 - TimeSpan.FromDays(2))], T0, TimeSpan.FromDays(1)));
    }

    /// <summary>
    /// The queue and the marks are stored in separate records: a delivery read back without its mark (the marks' write
    /// failed) is still not queued twice when its event is handed over again; restored deliveries keep each subject's
    /// version order, and restored marks drop what they cover.
    /// </summary>
    [Fact]
    public void Restore_ADeliveryWithoutItsMark_IsNotQueuedTwice_AndMarksStillDropDuplicates()
    {
        var stored = New();
        stored.Enqueue([Event("listing/a", 1), Event("listing/b", 1), Event("listing/a", 2)], T0, TimeSpan.FromDays(1));

        var read = New();
        read.Restore(stored.Queue.Reverse(), []);
        Assert.Equal([("listing/b", 1L), ("listing/a", 1L), ("listing/a", 2L)], read.Queue.Select(d => (d.Subject, d.Version)));
        Assert.Equal(3, read.PendingCount);
        Assert.Equal(0, read.Enqueue([Event("listing/a", 2)], T0, TimeSpan.FromDays(1)));
        Assert.Equal(3, read.Queue.Count);

        var marked = New();
        marked.Restore([], stored.Marks);
        Assert.Equal(0, marked.Enqueue([Event("listing/b", 1)], T0, TimeSpan.FromDays(1)));
        Assert.Equal(1, marked.Enqueue([Event("listing/b", 2)], T0, TimeSpan.FromDays(1)));
    }

    /// <summary>A lot's outbox handed over again after a restart holds changes from before the subscription: not its events.</summary>
    [Fact]
    public void Enqueue_EventsFromBeforeTheSubscription_AreNotItsOwn_WithinTheClockTolerance()
    {
        var s = New();
        Assert.Equal(0, s.Enqueue([Event("listing/a", 1, at: T0 - TimeSpan.FromSeconds(30))], T0, TimeSpan.FromDays(1)));
        Assert.Equal(1, s.Enqueue([Event("listing/a", 2, at: T0 - (WebhookSubscription.ClockTolerance / 2))], T0, TimeSpan.FromDays(1)));
        Assert.Equal(1, s.Enqueue([Event("listing/a", 3, at: T0 + TimeSpan.FromSeconds(5))], T0 + TimeSpan.FromSeconds(5), TimeSpan.FromDays(1)));
    }

    [Fact]
    public void RecordAttempt_FailingPastTheRetryPeriod_DeadLetters_WithBackoffDoublingUpToTheMaximum()
    {
        var s = New();
        s.Enqueue([Event("listing/a", 1)], T0, TimeSpan.FromDays(1));
        var id = s.Queue[0].EventId;
        var now = T0;
        var delays = new List<TimeSpan>();
        while (s.Queue.Count > 0)
        {
            s.RecordAttempt(id, 503, null, Policy, 0, now);
            if (s.Queue.Count > 0)
            {
                delays.Add(s.Queue[0].NextAttemptAt - now);
                now = s.Queue[0].NextAttemptAt;
            }
        }

        Assert.Equal([1, 2, 4, 8, 8, 8, 8, 8, 8], delays.Select(d => (int)d.TotalSeconds));
        var dead = Assert.Single(s.Log);
        Assert.Equal((WebhookDeliveryStatus.Dead, 10, 503), (dead.Status, dead.Attempts, dead.LastStatusCode));
        Assert.InRange(Policy.Delay(3, 0.999), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void RotateSecret_BothSign_DuringTheOverlap_OnlyTheNewAfter()
    {
        var s = New();
        s.RotateSecret("whsec_b", TimeSpan.FromHours(24), T0);
        Assert.Equal(["whsec_b", "whsec_a"], s.SecretsAt(T0 + TimeSpan.FromHours(23)));
        Assert.Equal(["whsec_b"], s.SecretsAt(T0 + TimeSpan.FromHours(24)));

        var header = WebhookSignature.Sign(s.SecretsAt(T0), T0.ToUnixTimeSeconds(), "{\"id\":1}");
        Assert.True(WebhookSignature.Verify(header, "whsec_a", "{\"id\":1}", T0, TimeSpan.FromMinutes(5)));
        Assert.True(WebhookSignature.Verify(header, "whsec_b", "{\"id\":1}", T0, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(header, "whsec_b", "{\"id\":1}", T0 + TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData("http://hooks.example.com/x", false)]
    [InlineData("https://127.0.0.1/x", false)]
    [InlineData("https://10.1.2.3/x", false)]
    [InlineData("https://169.254.169.254/latest", false)]
    [InlineData("https://[fd00::1]/x", false)]
    [InlineData("https://localhost/x", false)]
    [InlineData("https://user:pw@hooks.example.com/x", false)]
    [InlineData("ftp://hooks.example.com/x", false)]
    [InlineData("https://LOCALHOST./x", false)]
    [InlineData("https://foo.localhost/x", false)]
    [InlineData("https://192.0.2.2/x", false)]
    [InlineData("https://198.18.0.1/x", false)]
    [InlineData("https://192.0.0.1/x", false)]
    [InlineData("https://203.0.113.9/x", false)]
    [InlineData("https://240.0.0.1/x", false)]
    [InlineData("https://[64:ff9b::7f00:1]/x", false)]
    [InlineData("https://[64:ff9b::a00:1]/x", false)]
    [InlineData("https://[2002:7f00:1::]/x", false)]
    [InlineData("https://[2001:db8::1]/x", false)]
    [InlineData("https://[2001:0:4136:e378::1]/x", false)]
    [InlineData("https://[::ffff:10.0.0.1]/x", false)]
    [InlineData("https://[100::1]/x", false)]
    [InlineData("https://hooks.example.com/x", true)]
    [InlineData("https://93.184.216.34/x", true)]
    [InlineData("https://[64:ff9b::5db8:d822]/x", true)]
    [InlineData("https://[2002:5db8:d822::1]/x", true)]
    [InlineData("https://[2606:4700::1111]/x", true)]
    public void Urls_OutsideDevelopment_OnlyHttpsToPublicAddresses(string url, bool accepted)
        => Assert.Equal(accepted, WebhookUrls.Problem(url, allowDevelopmentTargets: false) is null);

    [Theory]
    [InlineData("http://127.0.0.1:5000/x", true)]
    [InlineData("http://localhost:5000/x", true)]
    [InlineData("http://10.0.0.5/x", false)]
    [InlineData("https://10.0.0.5/x", true)]
    public void Urls_InDevelopment_PlainHttpOnlyToLoopback(string url, bool accepted)
        => Assert.Equal(accepted, WebhookUrls.Problem(url, allowDevelopmentTargets: true) is null);

    [Fact]
    public void Create_UnknownOrTooManyEventTypes_OrNone_IsRefusedNamingTheField()
    {
        // A null or empty entry too: a null once passed (FirstOrDefault's default looked like "none invalid") and every
        // change of a firm it was told about then failed on it.
        foreach (var types in new[] { Array.Empty<string>(), ["orders.*"], ["listing.deleted"], Enumerable.Repeat("order.*", 41).ToArray(), [null!], ["order.*", null!], [""] })
        {
            var e = Assert.Throws<DomainException>(() => WebhookSubscription.Create("s", "f", null, "https://hooks.example.com", types, null, "x", false, T0));
            Assert.Equal(("validation-failed", true), (e.Code, e.Errors.ContainsKey("eventTypes")));
        }

        Assert.True(WebhookEventTypes.Matches(["hold.*"], "hold.placed"));
        Assert.False(WebhookEventTypes.Matches(["hold.*"], "holds.placed"));
        Assert.False(WebhookEventTypes.Matches(["order.*"], "invoice.issued"));
        Assert.False(WebhookEventTypes.Matches([null!], "order.placed"));
        Assert.True(WebhookEventTypes.Matches([null!, "order.*"], "order.placed"));
    }
}
