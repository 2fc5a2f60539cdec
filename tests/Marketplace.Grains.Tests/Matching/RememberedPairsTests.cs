using Marketplace.Grains.Matching;

namespace Marketplace.Grains.Tests.Matching;

/// <summary>A partition's memory of stored pairs and open rounds: never wrong, kept to the live pairs, bounded, and allocation-free once grown.</summary>
public sealed class RememberedPairsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Random stores, opens, ended rounds and lots and demands leaving, checked against a plain model of what is true:
    /// a pair said stored is stored, a round said open is open and not due; until the cap is reached nothing is
    /// forgotten that is still so, and the count never passes the cap.
    /// </summary>
    [Theory]
    [InlineData(1, 10_000)]
    [InlineData(2, 64)]
    [InlineData(3, 16)]
    public void RandomChanges_AgreeWithTheModel_AndStayWithinTheCap(int seed, int cap)
    {
        var random = new Random(seed);
        var pairs = new RememberedPairs(cap);
        var stored = new HashSet<(string, string)>();
        var open = new Dictionary<(string, string), DateTimeOffset>();
        var now = T0;
        var reachedCap = false;
        for (var step = 0; step < 20_000; step++)
        {
            now += TimeSpan.FromSeconds(random.Next(3));
            var (lot, demand) = ("lot-" + random.Next(30), "demand-" + random.Next(40));
            switch (random.Next(10))
            {
                case < 4:
                    pairs.Stored(lot, demand, now);
                    stored.Add((lot, demand));
                    break;
                case < 7:
                    var until = now + TimeSpan.FromSeconds(random.Next(1, 120));
                    pairs.Opened(lot, demand, until, now);
                    stored.Add((lot, demand));
                    open[(lot, demand)] = until;
                    break;
                case 7:
                    pairs.RoundEnded(lot, demand);
                    open.Remove((lot, demand));
                    break;
                case 8 when random.Next(4) == 0:
                    pairs.ForgetLot(lot);
                    stored.RemoveWhere(p => p.Item1 == lot);
                    open.Keys.Where(p => p.Item1 == lot).ToList().ForEach(p => open.Remove(p));
                    break;
                case 9 when random.Next(4) == 0:
                    pairs.ForgetDemand(demand);
                    stored.RemoveWhere(p => p.Item2 == demand);
                    open.Keys.Where(p => p.Item2 == demand).ToList().ForEach(p => open.Remove(p));
                    break;
            }

            Assert.InRange(pairs.Count, 0, cap);
            reachedCap |= pairs.Count == cap;
            var (askLot, askDemand) = ("lot-" + random.Next(30), "demand-" + random.Next(40));
            var isStored = pairs.IsStored(askLot, askDemand);
            var isOpen = pairs.IsOpen(askLot, askDemand, now);
            Assert.True(!isStored || stored.Contains((askLot, askDemand)), $"step {step}: {askLot}/{askDemand} said stored, never stored or forgotten with its side");
            Assert.True(!isOpen || (open.TryGetValue((askLot, askDemand), out var due) && now < due), $"step {step}: {askLot}/{askDemand} said open, not open");
            if (!reachedCap)
            {
                Assert.Equal(stored.Contains((askLot, askDemand)), isStored);
                Assert.Equal(open.TryGetValue((askLot, askDemand), out var until) && now < until, isOpen);
            }
        }

        if (cap >= 30 * 40)
        {
            Assert.Equal(0, pairs.Evicted);
            Assert.Equal(stored.Count, pairs.Count);
        }
    }

    /// <summary>Past the cap, room is made a 64th at a time: the expired rounds first, then pairs at random; never the whole set.</summary>
    [Fact]
    public void AtTheCap_ExpiredRoundsGoFirst_ThenPairsAtRandom_NeverAll()
    {
        var pairs = new RememberedPairs(64);
        for (var i = 0; i < 64; i++)
        {
            pairs.Opened("lot", "demand-" + i, T0.AddMinutes(i < 8 ? 1 : 60), T0);
        }

        pairs.Stored("lot", "demand-64", T0.AddMinutes(2));
        Assert.Equal((57, 0L), (pairs.Count, pairs.Evicted));
        Assert.All(Enumerable.Range(0, 8), i => Assert.False(pairs.IsStored("lot", "demand-" + i)));
        Assert.All(Enumerable.Range(8, 56), i => Assert.True(pairs.IsOpen("lot", "demand-" + i, T0.AddMinutes(2))));

        for (var i = 65; i < 1_000; i++)
        {
            pairs.Stored("lot", "demand-" + i, T0.AddMinutes(2));
            Assert.InRange(pairs.Count, 57, 64);
        }

        Assert.Equal(1_000 - 8 - 64, pairs.Evicted);
        pairs.ForgetLot("lot");
        Assert.Equal(0, pairs.Count);
    }

    /// <summary>Once its arrays have grown, remembering and forgetting pairs allocates nothing (the ids are the caller's).</summary>
    [Fact]
    public void RememberAndForget_OnceGrown_AllocateNothingPerPair()
    {
        var lots = Enumerable.Range(0, 100).Select(i => "lot-" + i).ToArray();
        var demands = Enumerable.Range(0, 1_000).Select(i => "demand-" + i).ToArray();
        var pairs = new RememberedPairs(50_000);
        Cycle();

        // The fewest bytes of five cycles count: the runtime's own work (tiering a method up) can allocate a few hundred
        // bytes on the thread during one cycle. One allocation per pair would be at least 24 bytes x 40,000 pairs.
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Cycle();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.InRange(fewest, 0, 1_024);

        void Cycle()
        {
            foreach (var demand in demands)
            {
                for (var l = 0; l < 40; l++)
                {
                    pairs.Opened(lots[(demand.Length + l) % lots.Length], demand, T0.AddDays(3), T0);
                }
            }

            foreach (var demand in demands)
            {
                pairs.ForgetDemand(demand);
            }
        }
    }
}
