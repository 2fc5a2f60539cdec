using BenchmarkDotNet.Attributes;
using Marketplace.Domain.Common;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;
using Marketplace.Domain.Matching;

namespace Marketplace.Benchmarks.Matching;

/// <summary>
/// The matcher's filter stage: one lot checked against every demand of a partition's book (100,000 demands), in the
/// demand columns, on vector instructions and on the scalar loop. Candidate checks per second = Demands / mean time.
/// </summary>
[MemoryDiagnoser]
public class MatchFilterBenchmark
{
    private MatchBook _book = new();

    /// <summary>Demands in the book.</summary>
    public const int Demands = 100_000;

    /// <summary>Whether the book may use vector instructions (false: the scalar loop kept for machines without them).</summary>
    [Params(true, false)]
    public bool Vectorised { get; set; }

    /// <summary>Fills the book with demands around the Helsinki region and one lot.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _book = new MatchBook(Vectorised);
        var random = new Random(5);
        string[] categories = ["masonry", "masonry/bricks", "concrete", "concrete/crushed", "metals/steel/beams", "wood/timber", "insulation"];
        Unit[] units = [Unit.Kg, Unit.T, Unit.Pcs, Unit.M2, Unit.M3];
        for (var i = 0; i < Demands; i++)
        {
            var from = new DateOnly(2027, 3, 1).AddDays(random.Next(90));
            var quantity = random.Next(1, 500);
            _book.UpsertDemand(new DemandSummary($"d{i}", "buyer", categories[random.Next(categories.Length)], units[random.Next(units.Length)],
                quantity, random.Next(1, quantity + 1), random.Next(1, 4), random.Next(3) == 0 ? null : random.Next(100, 5000),
                new GeoPoint(60.2 + ((random.NextDouble() - 0.5) * 0.6), 24.9 + ((random.NextDouble() - 0.5) * 1.2)), 5 + random.Next(60),
                new DateWindow(from, from.AddDays(random.Next(60)))));
        }

        _book.UpsertLot(new LotSummary("lot", "seller", "concrete/crushed", Unit.T, 40, null, 2, 900, new GeoPoint(60.25, 24.95),
            new DateWindow(new DateOnly(2027, 3, 20), new DateOnly(2027, 5, 1))));
    }

    /// <summary>Checks every demand against the lot; returns how many pass the filter.</summary>
    [Benchmark(OperationsPerInvoke = Demands)]
    public int FilterStage() => _book.CountCandidates("lot");
}
