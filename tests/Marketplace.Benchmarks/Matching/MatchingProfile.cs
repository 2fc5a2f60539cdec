using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Marketplace.Grains.Storage;
using Orleans.Storage;

namespace Marketplace.Benchmarks.Matching;

/// <summary>
/// What one change costs the silo, counted while the harness runs: grain activations, grain calls, grain-state reads
/// and writes (activations and calls from Orleans' instruments, reads and writes from the marketplace's
/// <c>marketplace.grain_state.duration</c>; with memory storage each read and write is also a call to a storage grain) and the writes and bytes of each state type (through <see cref="Counting"/>, wrapped around the storage
/// serializer). <see cref="Take"/> gives the counts since the last take. Kept cheap (three instruments, an array slot
/// each, no allocation per measurement), since it runs inside the measured process.
/// </summary>
public sealed class MatchingProfile : IDisposable
{
    /// <summary>Orleans' instruments counted (slots 0 and 1); a counter adds its value, a histogram counts its measurements.</summary>
    private static readonly string[] Instruments = ["orleans-catalog-activation-created", "orleans-app-requests-latency"];

    /// <summary>The grain states' instrument, counted by its <c>operation</c> tag into slots 2 (reads) and 3 (writes).</summary>
    private const string StateInstrument = "marketplace.grain_state.duration";

    private readonly MeterListener _listener = new();
    private readonly long[] _counts = new long[4];
    private readonly ConcurrentDictionary<Type, long[]> _written = new();

    /// <summary>Starts listening to the instruments.</summary>
    public MatchingProfile()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var slot = Array.IndexOf(Instruments, instrument.Name);
            if (slot >= 0)
            {
                listener.EnableMeasurementEvents(instrument, slot);
            }
            else if (instrument.Name == StateInstrument)
            {
                // Recorded by DirectPersistentState, through which the grains read and write their states.
                listener.EnableMeasurementEvents(instrument, -1);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, slot) => Interlocked.Add(ref _counts[(int)slot!], i is Counter<long> ? v : 1));
        _listener.SetMeasurementEventCallback<int>((i, v, _, slot) => Interlocked.Add(ref _counts[(int)slot!], i is Counter<int> ? v : 1));
        _listener.SetMeasurementEventCallback<double>((_, _, tags, slot) => Interlocked.Increment(ref _counts[(int)slot! >= 0 ? (int)slot : StateSlot(tags)]));
        _listener.Start();
    }

    /// <summary>The slot of a grain state operation by its <c>operation</c> tag: reads and writes counted (clears in the write slot).</summary>
    private static int StateSlot(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "operation")
            {
                return tag.Value as string == "read" ? 2 : 3;
            }
        }

        return 3;
    }

    /// <summary>Grain calls by interface and method, counted by <see cref="CallCounter"/> when the harness asks for it.</summary>
    private readonly ConcurrentDictionary<(string Interface, string Method), long[]> _calls = new();

    /// <summary>
    /// An incoming grain-call filter counting every call by interface and method (storage grains and one-way calls
    /// included): what the harness's <c>--count-calls</c> installs. Not installed by default: the counting allocates a
    /// little per call and would blur a comparison of builds.
    /// </summary>
    public IIncomingGrainCallFilter CallCounter() => new CountingFilter(this);

    /// <summary>The calls counted since the last take, most frequent first, each divided by <paramref name="changes"/>.</summary>
    public string DescribeCalls(long changes)
    {
        var taken = _calls.Select(c => (c.Key.Interface, c.Key.Method, Count: Interlocked.Exchange(ref c.Value[0], 0)))
            .Where(c => c.Count > 0).OrderByDescending(c => c.Count).ToArray();
        if (taken.Length == 0)
        {
            return "";
        }

        var total = taken.Sum(c => c.Count);
        return string.Create(CultureInfo.InvariantCulture, $"Grain calls per change by method ({total / (double)changes:N2} counted by the filter):")
            + string.Concat(taken.Select(c => string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  {c.Count / (double)changes,6:N2}  {c.Interface}.{c.Method}")));
    }

    /// <summary>Wraps the storage's serializer so that every write's bytes are counted by state type.</summary>
    public IGrainStorageSerializer Counting(IGrainStorageSerializer inner) => new CountingSerializer(inner, this);

    /// <summary>Counts since the last take, then starts again.</summary>
    public Counts Take()
    {
        var counts = _counts.Select((_, i) => Interlocked.Exchange(ref _counts[i], 0)).ToArray();
        var written = _written.ToDictionary(w => w.Key.Name, w => (Writes: Interlocked.Exchange(ref w.Value[0], 0), Bytes: Interlocked.Exchange(ref w.Value[1], 0)));
        return new Counts(counts[0], counts[1], counts[2], counts[3], written);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    /// <summary>What the silo did over a stretch of the run.</summary>
    public sealed record Counts(long Activations, long GrainCalls, long StateReads, long StateWrites, IReadOnlyDictionary<string, (long Writes, long Bytes)> Written)
    {
        /// <summary>Bytes written in all.</summary>
        public long Bytes => Written.Values.Sum(w => w.Bytes);

        /// <summary>One line: each count divided by <paramref name="changes"/>, the state types by bytes written.</summary>
        public string Describe(long changes)
        {
            var types = Written.Where(w => w.Value.Writes > 0).OrderByDescending(w => w.Value.Bytes)
                .Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Key} {w.Value.Writes / (double)changes:N2} writes, {w.Value.Bytes / (double)changes / 1024:N1} KiB"));
            return string.Create(CultureInfo.InvariantCulture,
                $"Per change: {Activations / (double)changes:N2} activations, {GrainCalls / (double)changes:N1} grain calls (storage grains included), {StateReads / (double)changes:N2} state reads, {StateWrites / (double)changes:N2} state writes of {Bytes / (double)changes / 1024:N1} KiB: {string.Join("; ", types)}");
        }
    }

    private sealed class CountingFilter(MatchingProfile profile) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            // A timer's tick names the timer invoker, not the grain: name the grain's class instead.
            var target = context.InterfaceName.EndsWith("IGrainTimerInvoker", StringComparison.Ordinal) ? "timer of " + context.Grain.GetType().Name : context.InterfaceName;
            var counts = profile._calls.GetOrAdd((target, context.MethodName), _ => new long[1]);
            Interlocked.Increment(ref counts[0]);
            return context.Invoke();
        }
    }

    /// <summary>
    /// Counts the states serialized, and passes the pooled calls on to a pooled serializer (the marketplace's), so that
    /// the storage measured takes the path it takes in the product.
    /// </summary>
    private sealed class CountingSerializer(IGrainStorageSerializer inner, MatchingProfile profile) : IPooledStorageSerializer
    {
        public BinaryData Serialize<T>(T? input)
        {
            var data = inner.Serialize(input);
            Count<T>(data.ToMemory().Length);
            return data;
        }

        public byte[] SerializePooled<T>(T? input, out int length)
        {
            var data = ((IPooledStorageSerializer)inner).SerializePooled(input, out length);
            Count<T>(length);
            return data;
        }

        public T Deserialize<T>(BinaryData input) => inner.Deserialize<T>(input)!;

        public T Deserialize<T>(ReadOnlySpan<byte> input) => ((IPooledStorageSerializer)inner).Deserialize<T>(input);

        private void Count<T>(int bytes)
        {
            var counts = profile._written.GetOrAdd(typeof(T), _ => new long[2]);
            Interlocked.Increment(ref counts[0]);
            Interlocked.Add(ref counts[1], bytes);
        }
    }
}
