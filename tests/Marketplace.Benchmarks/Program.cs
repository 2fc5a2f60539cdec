using BenchmarkDotNet.Running;
using Marketplace.Benchmarks.Matching;
using Marketplace.Benchmarks.Search;

// dotnet run -c Release --project tests/Marketplace.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- search-harness [--listings 1000000] [--queries 1000]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- matching-harness [--lots 1000000] [--demands 100000] [--rate 200] [--seconds 30]
if (args.Length > 0 && args[0] == "matching-harness")
{
    return await MatchingHarness.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "search-harness")
{
    return await SearchHarness.RunAsync(args.Skip(1).ToArray());
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point of the benchmark runner.</summary>
public partial class Program;
