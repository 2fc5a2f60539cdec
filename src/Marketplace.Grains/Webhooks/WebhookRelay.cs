using Marketplace.Domain.Webhooks;
using Microsoft.Extensions.Logging;

namespace Marketplace.Grains.Webhooks;

/// <summary>
/// The emitting side of the outbox, one per activation of a grain whose state carries an <c>Outbox</c>:
/// <see cref="Record"/> adds a change's events to the state before it is written (so they are stored in the same
/// write), <see cref="HandOver"/> gives what is not yet handed over to the firms' registries after the write, one-way
/// for the grain (it never waits), and tries again on a timer until they took it. Events handed over are dropped from
/// the state at its next write (or at deactivation), so the outbox holds little more than the last change's events;
/// one still stored after a crash is handed over again on activation (or by the start-up sweep), and since its id is
/// derived from subject, version and type, a subscription drops it as a duplicate.
/// </summary>
public sealed class WebhookRelay(Grain grain, IGrainFactory grains, WebhookOptions options, ILogger logger)
{
    private readonly HashSet<string> _handedOver = [];

    /// <summary>
    /// Events in a hand-over still waiting for its answer: not sent again with the next change's (a slow registry saw every
    /// change re-send the whole outbox, hundreds of events a call, and fell further behind). A failed hand-over's events
    /// leave this set and go with the retry.
    /// </summary>
    private readonly HashSet<string> _inFlight = [];
    private IGrainTimer? _retry;
    private Func<IReadOnlyList<OutboxEvent>>? _outbox;

    /// <summary>Before a write: drops from <paramref name="outbox"/> what was handed over, and adds <paramref name="events"/>.</summary>
    public void Record(List<OutboxEvent> outbox, IReadOnlyList<OutboxEvent> events)
    {
        if (_handedOver.Count > 0)
        {
            outbox.RemoveAll(e => _handedOver.Contains(e.Id));
            _handedOver.Clear();
        }

        foreach (var e in events)
        {
            if (!Contains(outbox, e.Id))
            {
                outbox.Add(e);
            }
        }
    }

    private static bool Contains(List<OutboxEvent> outbox, string id)
    {
        foreach (var o in outbox)
        {
            if (o.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// At deactivation: when the stored outbox still holds events already handed over, drops them and writes the state
    /// through <paramref name="write"/>, so the next activation has nothing to hand over again. Not while the silo shuts
    /// down (storage may be going too); a failed write is only logged, since what is left is handed over again and
    /// dropped as a duplicate. <paramref name="relay"/> is null when the activation never recorded or handed over.
    /// </summary>
    public static Task TrimAsync(WebhookRelay? relay, DeactivationReason reason, List<OutboxEvent> outbox, Func<Task> write)
        => relay is null || reason.ReasonCode == DeactivationReasonCode.ShuttingDown ? Task.CompletedTask : relay.TrimAsync(outbox, write);

    private async Task TrimAsync(List<OutboxEvent> outbox, Func<Task> write)
    {
        if (!outbox.Any(e => _handedOver.Contains(e.Id)))
        {
            return;
        }

        try
        {
            Record(outbox, []);
            await write();
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "{Grain}: trimming the webhook outbox at deactivation failed; the events are handed over again and dropped as duplicates", grain.GetGrainId());
        }
    }

    /// <summary>
    /// After a write or on activation: hands every event of <paramref name="outbox"/> not yet handed over to its firms'
    /// registries; returns at once. A failure is logged and retried every <see cref="WebhookOptions.HandOverRetry"/>
    /// (reading the outbox again through <paramref name="outbox"/>) while the grain stays active.
    /// </summary>
    public void HandOver(Func<IReadOnlyList<OutboxEvent>> outbox)
    {
        _outbox = outbox;
        var pending = outbox().Where(e => !_handedOver.Contains(e.Id) && !_inFlight.Contains(e.Id)).ToArray();
        if (pending.Length == 0)
        {
            return;
        }

        foreach (var e in pending)
        {
            _inFlight.Add(e.Id);
        }

        _ = Publish(pending).ContinueWith(
            t =>
            {
                foreach (var e in pending)
                {
                    _inFlight.Remove(e.Id);
                }

                if (t.IsCompletedSuccessfully)
                {
                    foreach (var e in pending)
                    {
                        _handedOver.Add(e.Id);
                    }

                    return;
                }

                logger.LogWarning(t.Exception, "{Grain}: handing over {Count} webhook event(s) failed; tried again in {Delay}", grain.GetGrainId(), pending.Length, options.HandOverRetry);
                _retry ??= grain.RegisterGrainTimer(RetryAsync, new GrainTimerCreationOptions(options.HandOverRetry, options.HandOverRetry) { Interleave = false, KeepAlive = true });
            },
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
    }

    /// <summary>
    /// One call per firm named by <paramref name="pending"/>, with its events. Nearly always every event names the same
    /// one firm (a lot's seller, a demand's buyer): that is one call with the array as it is, without grouping.
    /// </summary>
    private Task Publish(OutboxEvent[] pending)
    {
        string? only = null;
        var one = true;
        foreach (var e in pending)
        {
            for (var i = 0; i < e.Firms.Count; i++)
            {
                only ??= e.Firms[i];
                one &= e.Firms[i] == only;
            }
        }

        if (only is null)
        {
            return Task.CompletedTask;
        }

        return one
            ? grains.GetGrain<IWebhookFirmGrain>(only).PublishAsync(pending)
            : Task.WhenAll(pending.SelectMany(e => e.Firms.Distinct().Select(firm => (Firm: firm, Event: e)))
                .GroupBy(x => x.Firm)
                .Select(g => grains.GetGrain<IWebhookFirmGrain>(g.Key).PublishAsync(g.Select(x => x.Event).ToArray())));
    }

    private Task RetryAsync(CancellationToken cancellationToken)
    {
        var pending = _outbox?.Invoke().Where(e => !_handedOver.Contains(e.Id)).ToArray() ?? [];
        if (pending.Length == 0)
        {
            _retry?.Dispose();
            _retry = null;
            return Task.CompletedTask;
        }

        if (pending.All(e => _inFlight.Contains(e.Id)))
        {
            // Still waiting for the answer of a hand-over that has them all: the next tick looks again.
            return Task.CompletedTask;
        }

        HandOver(_outbox!);
        return Task.CompletedTask;
    }
}
