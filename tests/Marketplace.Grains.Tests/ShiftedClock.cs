using System.Diagnostics;

namespace Marketplace.Grains.Tests;

/// <summary>
/// A clock that starts at a chosen instant and runs at real speed, and that a test can move forward. Unlike a frozen
/// fake clock it keeps Orleans' own timekeeping (membership, gateways, timers) working when it is the silo's
/// <see cref="TimeProvider"/>: a frozen clock intermittently left the test client without a gateway.
/// </summary>
public sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _offsetTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
        => start + Stopwatch.GetElapsedTime(_started) + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Sets the clock to <paramref name="now"/> (it runs on from there).</summary>
    public void Set(DateTimeOffset now) => Advance(now - GetUtcNow());

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
