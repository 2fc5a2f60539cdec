using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Orleans.Storage;

namespace Marketplace.Benchmarks.Matching;

/// <summary>
/// What one change costs the silo, counted while the harness runs: grain activations, grain calls, grain-state reads
/// and writes (from Orleans' own instruments; with memory storage each read and write is also a call to a storage
/// grain) and the bytes each state type writes (through <see cref="Counting"/>, wrapped around the storage serializer).
/// <see cref="Take"/> gives the counts since the last take.
/// </summary>
public sealed class MatchingProfile : IDisposable
{
    private static readonly string[] Instruments =
    [
        "orleans-catalog-activation-created", "orleans-app-requests-latency", "orleans-storage-read-latency", "orleans-storage-write-latency",
    ];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    /// <summary>Starts listening to Orleans' instruments.</summary>
    public MatchingProfile()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name.StartsWith("orleans-", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        // A counter adds its value; a histogram (the storage latencies) counts its measurements.
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Add(i.Name, i is Counter<long> or ObservableCounter<long> ? v : 1));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Add(i.Name, i is Counter<int> ? v : 1));
        _listener.SetMeasurementEventCallback<double>((i, _, _, _) => Add(i.Name, 1));
        _listener.SetMeasurementEventCallback<float>((i, _, _, _) => Add(i.Name, 1));
        _listener.Start();
    }

    /// <summary>Wraps the storage's serializer so that every write's bytes are counted by state type.</summary>
    public IGrainStorageSerializer Counting(IGrainStorageSerializer inner) => new CountingSerializer(inner, this);

    /// <summary>Counts since the last take (activations, grain calls, state reads, state writes, bytes per state type), then starts again.</summary>
    public IReadOnlyDictionary<string, long> Take()
    {
        var taken = new Dictionary<string, long>();
        foreach (var key in _counts.Keys)
        {
            taken[key] = Exchange(key);
        }

        return taken;
    }

    /// <summary>One line per change: the counts of <see cref="Take"/> divided by <paramref name="changes"/>.</summary>
    public static string Describe(IReadOnlyDictionary<string, long> taken, long changes)
    {
        double Per(string key) => taken.TryGetValue(key, out var v) ? v / (double)changes : 0;
        var bytes = taken.Where(t => t.Key.StartsWith("bytes:", StringComparison.Ordinal)).OrderByDescending(t => t.Value)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key["bytes:".Length..]} {t.Value / (double)changes / 1024:N1} KiB in {Per("writes:" + t.Key["bytes:".Length..]):N2}"));
        var others = taken.Where(t => t.Key.StartsWith("orleans-", StringComparison.Ordinal) && !Instruments.Contains(t.Key) && t.Value >= changes / 10)
            .OrderByDescending(t => t.Value).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value / (double)changes:N2}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"Per change: {Per("orleans-catalog-activation-created"):N2} activations, {Per("orleans-app-requests-latency"):N1} grain calls (storage grains included), {Per("orleans-storage-read-latency"):N2} state reads, {Per("orleans-storage-write-latency"):N2} state writes; written per change by state type: {string.Join(", ", bytes)}; other Orleans instruments: {string.Join(", ", others)}");
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private long Exchange(string key)
    {
        long value;
        do
        {
            value = _counts[key];
        }
        while (!_counts.TryUpdate(key, 0, value));

        return value;
    }

    private void Add(string key, long value) => _counts.AddOrUpdate(key, value, (_, v) => v + value);

    private sealed class CountingSerializer(IGrainStorageSerializer inner, MatchingProfile profile) : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input)
        {
            var data = inner.Serialize(input);
            profile.Add("bytes:" + typeof(T).Name, data.ToMemory().Length);
            profile.Add("writes:" + typeof(T).Name, 1);
            return data;
        }

        public T Deserialize<T>(BinaryData input) => inner.Deserialize<T>(input)!;
    }
}
