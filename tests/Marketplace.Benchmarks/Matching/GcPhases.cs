using System.Diagnostics.Tracing;
using System.Globalization;

namespace Marketplace.Benchmarks.Matching;

/// <summary>
/// Where the runtime's GC pauses go, read in process from its own events (the GC keyword at informational level):
/// the time from asking the threads to stop to all stopped (suspension), from the collection's start to its end, and
/// from restarting to all running again; with the bytes the mark phase found live through each kind of root. A pause
/// long for the bytes it promotes is told apart this way: waiting for threads, scanning old objects' cards, or handles.
/// <see cref="Take"/> gives the totals since the last take.
/// </summary>
public sealed class GcPhases : EventListener
{
    private static readonly string[] RootKinds = ["stack", "finalizer queue", "handles", "older generation (cards)", "sized ref", "overflow", "dependent handles", "new finalizer queue", "steal"];

    private readonly object _gate = new();
    private DateTime _suspendBegin, _gcStart, _restartBegin;
    private TimeSpan _suspending, _collecting, _restarting;
    private int _collections;
    private readonly long[] _marked = new long[RootKinds.Length];

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x1);
        }
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        lock (_gate)
        {
            switch (e.EventId)
            {
                case 9: _suspendBegin = e.TimeStamp; break;
                case 8: _suspending += Positive(e.TimeStamp - _suspendBegin); break;
                case 1: _gcStart = e.TimeStamp; break;
                case 2: _collecting += Positive(e.TimeStamp - _gcStart); _collections++; break;
                case 7: _restartBegin = e.TimeStamp; break;
                case 3: _restarting += Positive(e.TimeStamp - _restartBegin); break;
                case 202 when e.Payload is { Count: >= 4 } p:
                    var kind = Convert.ToInt32(p[2], CultureInfo.InvariantCulture);
                    if (kind >= 0 && kind < _marked.Length)
                    {
                        _marked[kind] += Convert.ToInt64(p[3], CultureInfo.InvariantCulture);
                    }
                    break;
            }
        }
    }

    /// <summary>The GC the process runs: its mode and the settings that decide how often and how long it pauses.</summary>
    public static string Settings()
    {
        var config = GC.GetConfigurationVariables();
        string Value(string name) => config.TryGetValue(name, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "" : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"GC: server {System.Runtime.GCSettings.IsServerGC}, concurrent {Value("ConcurrentGC")}, heaps {Value("HeapCount")}, dynamic adaptation {Value("GCDynamicAdaptationMode")}, gen0 max budget {Value("GCGen0MaxBudget")}, latency mode {System.Runtime.GCSettings.LatencyMode}");
    }

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    /// <summary>The totals since the last take, as one line, then cleared.</summary>
    public string Take()
    {
        lock (_gate)
        {
            var marked = string.Join(", ", RootKinds.Select((k, i) => (k, _marked[i])).Where(m => m.Item2 > 0).Select(m => $"{m.k} {m.Item2 / 1024:N0} KiB"));
            var line = string.Create(CultureInfo.InvariantCulture,
                $"GC phases: {_collections} collections; suspending {_suspending.TotalMilliseconds:N0} ms, collecting {_collecting.TotalMilliseconds:N0} ms, restarting {_restarting.TotalMilliseconds:N0} ms; marked live through {marked}");
            _suspending = _collecting = _restarting = TimeSpan.Zero;
            _collections = 0;
            Array.Clear(_marked);
            return line;
        }
    }
}
