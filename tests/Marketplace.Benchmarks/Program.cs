using BenchmarkDotNet.Running;
using Marketplace.Benchmarks.Api;
using Marketplace.Benchmarks.Imports;
using Marketplace.Benchmarks.Matching;
using Marketplace.Benchmarks.Search;
using Marketplace.Benchmarks.Web;

// dotnet run -c Release --project tests/Marketplace.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- search-harness [--listings 1000000] [--queries 1000] [--threads 1,2,4,8] [--cell-share PERCENT] [--own 0|1] [--compare] [--force-merge N] [--index PATH] [--slowest N]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- search-refresh-probe [--lots 2000] [--batch 8] [--rounds 300] [--hits-mb 32]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- search-probe --index PATH [--repeat 50] "text|lat|lon|radiusKm" ...
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- matching-harness [--lots 1000000] [--demands 100000] [--rate 200 | --rates 100,200,400,700,1000,1500] [--seconds 30] [--reconcile-batch 100] [--storage memory|sqlite]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- import-harness [--rows 50000]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- page-harness [--listings 100000] [--requests 1000]
// dotnet run -c Release --project tests/Marketplace.Benchmarks -- api-load-harness [--firms 40] [--lots-per-firm 10] [--seconds 10] [--max-concurrency 256] [--stop-p99-ms 100] [--levels 1,4,16] [--Host:Setting=value ...]
if (args.Length > 0 && args[0] == "api-load-harness")
{
    return await ApiLoadHarness.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "import-harness")
{
    return await ImportHarness.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "matching-harness")
{
    return await MatchingHarness.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "page-harness")
{
    return await PageHarness.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "search-probe")
{
    return await SearchProbe.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "search-refresh-probe")
{
    return await RefreshProbe.RunAsync(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "search-harness")
{
    return await SearchHarness.RunAsync(args.Skip(1).ToArray());
}

BenchmarkSwitcher.FromAssembly(typeof(ImportHarness).Assembly).Run(args);
return 0;

