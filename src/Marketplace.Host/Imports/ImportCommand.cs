using System.Diagnostics;
using System.Text;
using Marketplace.Domain.Common;
using Marketplace.Domain.Imports;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Traders;
using Marketplace.Host.Api.Exports;
using Marketplace.Host.Search;
using Marketplace.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Marketplace.Host.Imports;

/// <summary>
/// <c>import --trader ID --file surplus.csv</c>: imports a firm's lots from a CSV or JSON Lines file through the same
/// importer as <c>POST /api/v1/imports</c> (the grains, the search feed and the matcher see every row), with a progress
/// line; problems go to a report file. Run it with the host stopped (it opens the same silo, data and index).
/// </summary>
public static class ImportCommand
{
    private const string Usage = "Usage: dotnet run --project src/Marketplace.Host -- import --trader ID --file FILE [--format csv|jsonl] "
        + "[--map field=column,...] [--publish true|false] [--report FILE] [--Section:Key=value ...]";

    /// <summary>True when the command line asks for an import.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "import";

    /// <summary>Runs the import; returns the process exit code (0 when every row was dealt with, problems included).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (!CommandLine.TryParse(args.Skip(1).ToArray(), ["trader", "file", "format", "map", "publish", "report"], out var line, out var usage)
            || !line.Options.ContainsKey("trader") || !line.Options.ContainsKey("file"))
        {
            await error.WriteLineAsync(usage.Length > 0 ? usage : "--trader and --file are required.");
            await error.WriteLineAsync(Usage);
            return CommandLine.UsageExitCode;
        }

        var trader = line.Options["trader"];
        var path = line.Options["file"];
        var format = line.Options.GetValueOrDefault("format")?.ToLowerInvariant() ?? (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) ? "jsonl" : "csv");
        if (format is not ("csv" or "jsonl") || line.Options.GetValueOrDefault("publish") is not (null or "true" or "false"))
        {
            await error.WriteLineAsync("--format is csv or jsonl; --publish is true or false.");
            return CommandLine.UsageExitCode;
        }

        var mapping = ImportMapping.Default;
        try
        {
            foreach (var pair in (line.Options.GetValueOrDefault("map") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    await error.WriteLineAsync($"--map takes field=column pairs separated by commas, not '{pair}'.");
                    return CommandLine.UsageExitCode;
                }

                mapping.With(pair[..equals], pair[(equals + 1)..]);
            }
        }
        catch (DomainException e)
        {
            await error.WriteLineAsync(Describe(e));
            return CommandLine.UsageExitCode;
        }

        try
        {
            path = CommandLine.CallersPath(path);
        }
        catch (ArgumentException)
        {
            await error.WriteLineAsync($"'{path}' is not a file name.");
            return CommandLine.UsageExitCode;
        }

        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"There is no file '{path}'.");
            return 1;
        }

        using var host = BuildHost(line.Settings);
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ImportOptions>>().Value;
        if (new FileInfo(path).Length > options.MaxFileBytes)
        {
            await error.WriteLineAsync($"An import file has at most {options.MaxFileBytes:N0} bytes (Imports:MaxFileBytes); split the file.");
            return 1;
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
            if (text.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
            {
                // Valid UTF-8 but no text: binary, or UTF-16 without a byte-order mark, as the API refuses it.
                await error.WriteLineAsync($"'{path}' holds a NUL character (line {text.AsSpan(0, nul).Count('\n') + 1}): it is not a text file, or it is UTF-16 without a byte-order mark; save it as UTF-8 (Excel: 'CSV UTF-8').");
                return 1;
            }
        }
        catch (DecoderFallbackException)
        {
            await error.WriteLineAsync($"'{path}' is not UTF-8 text; save it as UTF-8 (Excel: 'CSV UTF-8').");
            return 1;
        }

        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"Could not start the silo: {e.Message}");
            await error.WriteLineAsync("Is the marketplace already running? Stop it first (the import opens the same silo ports, data and index).");
            return 1;
        }

        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var jobs = host.Services.GetRequiredService<ImportJobs>();
        IReadOnlyList<LotRow> rows;
        try
        {
            if (await grains.GetGrain<ITraderGrain>(trader).GetAsync() is null)
            {
                await error.WriteLineAsync($"There is no firm '{trader}'.");
                return 1;
            }

            await grains.GetGrain<ITraderGrain>(trader).AddListingsAsync([]);
            rows = jobs.Read(trader, text, format == "csv" ? ImportFormat.Csv : ImportFormat.JsonLines, mapping);
        }
        catch (DomainException e)
        {
            await error.WriteLineAsync(Describe(e));
            return 1;
        }

        var id = Guid.CreateVersion7().ToString("N");
        await grains.GetGrain<IImportJobGrain>(id).StartAsync(trader, Path.GetFileName(path), format == "csv" ? ImportFormat.Csv : ImportFormat.JsonLines, rows.Count,
            rows.SelectMany(r => r.Errors).ToArray());
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        var watch = Stopwatch.StartNew();
        var progress = new ProgressLine(output, "Importing rows", rows.Count);
        var result = await jobs.RunAsync(id, trader, rows, line.Options.GetValueOrDefault("publish") != "false", c => progress.Report(c.Processed, watch.Elapsed), interrupt.Token);
        progress.Finish(watch.Elapsed);

        var c = result.Counts;
        await output.WriteLineAsync($"Import {id} {ImportJob.StatusCode(result.Status)}: {c.Created:N0} created, {c.Updated:N0} updated, {c.Unchanged:N0} unchanged, {c.Rejected:N0} rejected.");
        var problems = rows.SelectMany(r => r.Errors).Concat(result.Errors).OrderBy(e => e.Line).ToArray();
        if (problems.Length > 0)
        {
            var report = line.Options.GetValueOrDefault("report") is { } named ? CommandLine.CallersPath(named) : Path.ChangeExtension(path, ".report.csv");
            await File.WriteAllTextAsync(report, ReportCsv(problems), new UTF8Encoding(false));
            foreach (var p in problems.Take(10))
            {
                await output.WriteLineAsync($"  line {p.Line}{(p.ExternalId is null ? "" : $" ({p.ExternalId})")}: {p.Field}: {p.Message}");
            }

            await output.WriteLineAsync($"{problems.Length:N0} problem(s); all in {report}.");
        }

        if (result.Failure is not null)
        {
            await error.WriteLineAsync(result.Failure);
        }

        await host.StopAsync();
        return result.Status == ImportStatus.Completed ? 0 : 1;
    }

    /// <summary>
    /// The host the command (and the import benchmark) runs on: the silo, the search feed (so the index hears of every
    /// lot) and the import jobs, without the web server.
    /// </summary>
    public static IHost BuildHost(string[] settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(settings);
        builder.AddMarketplaceCommandSilo();
        builder.AddMarketplaceSearch();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMarketplaceImportJobs();
        return builder.Build();
    }

    /// <summary>The problems as the API's report writes them: line, externalId, field, message.</summary>
    public static string ReportCsv(IEnumerable<ImportError> problems)
    {
        var csv = new StringBuilder("line,externalId,field,message\r\n");
        foreach (var p in problems)
        {
            csv.Append(ExportWriter.Cell(p.Line)).Append(',').Append(ExportWriter.Cell(p.ExternalId)).Append(',')
                .Append(ExportWriter.Cell(p.Field)).Append(',').Append(ExportWriter.Cell(p.Message)).Append("\r\n");
        }

        return csv.ToString();
    }

    private static string Describe(DomainException e)
        => e.Errors.Count == 0 ? e.Message : e.Message + " " + string.Join(" ", e.Errors.SelectMany(kv => kv.Value.Select(m => $"{kv.Key}: {m}")));
}
