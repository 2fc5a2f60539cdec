using System.Diagnostics;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Hosting;
using Marketplace.Search;

namespace Marketplace.Host.Search;

/// <summary>
/// <c>reindex</c>: rebuilds the search index from the lots in grain storage, with a progress line. Run it with the host
/// stopped (the embedded index has one writer); on a folder a host is serving it refuses, as the other commands do.
/// </summary>
public static class ReindexCommand
{
    /// <summary>True when the command line asks for a reindex.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] == "reindex";

    /// <summary>Rebuilds the index; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, folderHeld: false);

    /// <summary>Rebuilds the index; <paramref name="folderHeld"/> when the caller (restore) already holds the data folder's lock.</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool folderHeld)
    {
        if (!CommandLine.TryParse(args.Skip(1).ToArray(), [], out var line, out var usage))
        {
            await error.WriteLineAsync(usage);
            await error.WriteLineAsync("Usage: dotnet run --project src/Marketplace.Host -- reindex [--Section:Key=value ...]");
            return CommandLine.UsageExitCode;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(line.Settings);
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var cluster = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        if (storage.Provider == "Sqlite")
        {
            storage.Sqlite.Path = Hosting.DataFolder.GrainStore(builder);

            if (!File.Exists(storage.Sqlite.Path))
            {
                await error.WriteLineAsync($"There is no grain storage at '{storage.Sqlite.Path}': nothing to index. Run the host (or seed) first, or set Storage:Sqlite:Path.");
                return 1;
            }
        }

        // Not beside a running host on its embedded folder: it serves the same index and writes the same grain store.
        var folder = folderHeld ? null : HostSetup.EmbeddedDataFolder(builder);
        using var held = folder is null ? null : DataFolderLock.TryAcquire(folder);
        if (folder is not null && held is null)
        {
            await error.WriteLineAsync(new DataFolderInUseException(folder).Message);
            return 1;
        }

        IGrainStateArchive states;
        try
        {
            states = GrainStateArchives.Open(storage, cluster.ServiceId);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        if (!states.CanEnumerate)
        {
            await error.WriteLineAsync($"reindex reads lots from grain storage; Storage:Provider '{storage.Provider}' cannot be enumerated (use Sqlite or AzureStorage).");
            return 1;
        }

        var settings = builder.Configuration.GetSection(SearchSettings.Section).Get<SearchSettings>() ?? new SearchSettings();
        if (settings.Provider == SearchSetup.Off)
        {
            await error.WriteLineAsync("Search:Provider is None: there is no index to rebuild.");
            return 1;
        }

        ISearchEngine engine;
        try
        {
            engine = SearchSetup.CreateEngine(builder.Configuration, settings, DataFolder.Of(builder));
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        await using (engine)
        {
            var archive = new ListingArchive(states);
            var total = await archive.CountAsync();
            var watch = Stopwatch.StartNew();
            var progress = new ProgressLine(output, $"Reindexing into {engine.Name}", total);
            await engine.ClearAsync();
            var batch = new List<ListingDocument>(settings.BatchSize);
            long done = 0;
            await foreach (var listing in archive.ListingsAsync())
            {
                if (ListingDocument.From(listing, MaterialTaxonomy.Default) is { } document)
                {
                    batch.Add(document);
                }

                if (batch.Count == settings.BatchSize)
                {
                    await engine.IndexAsync(batch);
                    done += batch.Count;
                    batch.Clear();
                    progress.Report(done, watch.Elapsed);
                }
            }

            if (batch.Count > 0)
            {
                await engine.IndexAsync(batch);
                done += batch.Count;
                progress.Report(done, watch.Elapsed);
            }

            await engine.CommitAsync();
            progress.Finish(watch.Elapsed);
            await output.WriteLineAsync($"Indexed {done:N0} lots ({done / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0}/s).");

            // A rebuilt index is in as many segments as the writer flushed; queries answer fastest in one.
            var merging = Stopwatch.StartNew();
            if (await engine.SettleAsync())
            {
                await output.WriteLineAsync($"Merged the index into one segment in {merging.Elapsed.TotalSeconds:N1} s.");
            }
        }

        return 0;
    }
}
