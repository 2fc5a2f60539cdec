using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Marketplace.Benchmarks.Api;

/// <summary>
/// Which types the process allocates, from the runtime's allocation sampling (one <c>GCAllocationTick</c> event per
/// about 100 KB allocated, naming the type of the object that crossed the mark): each event stands for its amount.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEvent = 10;
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _recording;

    /// <summary>Starts or stops counting (the source stays enabled).</summary>
    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    /// <summary>The types with the most sampled bytes, largest first.</summary>
    public IReadOnlyList<(string Type, long Bytes)> Top(int count)
        => _bytes.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value)).ToList();

    /// <summary>Forgets what was counted.</summary>
    public void Clear() => _bytes.Clear();

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventId != AllocationTickEvent || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? payload[t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
