using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marketplace.Grains.Storage;
using Marketplace.Host.Search;
using Marketplace.Hosting;
using Marketplace.Identity;
using Microsoft.Data.Sqlite;

namespace Marketplace.Host.Backup;

/// <summary>
/// <c>backup --to FILE</c> and <c>restore --from FILE</c> for the embedded mode. A backup is one zip: the grain store
/// and the identity database, each copied with SQLite's online backup API (a consistent snapshot while the host keeps
/// running), the keys folder (data protection, token signing and encryption), and <c>manifest.json</c> (format, time,
/// product version, contents). The search index is left out: it is derived data, and restore rebuilds it from the
/// restored grain store (the <c>reindex</c> command), so it can never disagree with the lots.
/// </summary>
public static class BackupCommands
{
    /// <summary>The manifest's format; restore refuses any other.</summary>
    public const int Format = 1;

    private const string ManifestEntry = "manifest.json";
    private const string GrainsEntry = "grains.db";
    private const string IdentityEntry = "identity.db";
    private const string KeysPrefix = "keys/";

    private const string BackupUsage = "Usage: dotnet run --project src/Marketplace.Host -- backup --to FILE [--Section:Key=value ...]";
    private const string RestoreUsage = "Usage: dotnet run --project src/Marketplace.Host -- restore --from FILE [--force] [--Section:Key=value ...]";

    /// <summary>True when the command line asks for a backup or a restore.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    /// <summary>Runs <c>backup</c> or <c>restore</c>; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        => args[0] == "backup" ? BackupAsync(args, output, error) : RestoreAsync(args, output, error);

    private static async Task<int> BackupAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (!CommandLine.TryParse(args.Skip(1).ToArray(), ["to"], out var line, out var usage) || !line.Options.TryGetValue("to", out var to))
        {
            await error.WriteLineAsync(usage.Length > 0 ? usage : "backup needs --to FILE.");
            await error.WriteLineAsync(BackupUsage);
            return CommandLine.UsageExitCode;
        }

        if (EmbeddedFiles.Resolve(line.Settings, out var files) is { } problem)
        {
            await error.WriteLineAsync(problem);
            return 1;
        }

        if (!File.Exists(files.GrainStore))
        {
            await error.WriteLineAsync($"There is no grain storage at '{files.GrainStore}': nothing to back up. Set DataPath or Storage:Sqlite:Path to the host's data.");
            return 1;
        }

        string target;
        try
        {
            target = CommandLine.CallersPath(to);
        }
        catch (ArgumentException)
        {
            await error.WriteLineAsync("backup needs --to FILE: a file name.");
            return CommandLine.UsageExitCode;
        }

        if (File.Exists(target) || Directory.Exists(target) || to.EndsWith('/') || to.EndsWith(Path.DirectorySeparatorChar))
        {
            // Never replaced: it may be an older backup, the live grain store itself, or a device.
            await error.WriteLineAsync($"'{target}' already exists (or names a folder): back up to a new file name.");
            return 1;
        }

        try
        {
            return await WriteBackupAsync(files, target, output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"The backup could not be written to '{target}': {e.Message} Choose a file in a folder you can write to, with room for the data.");
            return 1;
        }
    }

    private static async Task<int> WriteBackupAsync(EmbeddedFiles files, string target, TextWriter output)
    {
        var partial = target + ".partial";
        var watch = Stopwatch.StartNew();
        var keys = Directory.Exists(files.Keys) ? Directory.GetFiles(files.Keys, "*", SearchOption.AllDirectories) : [];
        var progress = new ProgressLine(output, "Backing up", 1 + (files.IdentityDatabase is null ? 0 : 1) + keys.Length);
        var contents = new JsonArray();
        long done = 0;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var scratch = Directory.CreateTempSubdirectory("marketplace-backup-").FullName;
        try
        {
            // Owner-only: the zip holds the token-signing keys, the data-protection keys and every account's hashes.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var stream = new FileStream(partial, create))
            using (var zip = new ZipArchive(stream, ZipArchiveMode.Create))
            {
                contents.Add(AddDatabase(zip, files.GrainStore, GrainsEntry, "grain-store", scratch));
                progress.Report(++done, watch.Elapsed);
                if (files.IdentityDatabase is { } identity && File.Exists(identity))
                {
                    contents.Add(AddDatabase(zip, identity, IdentityEntry, "identity-database", scratch));
                    progress.Report(++done, watch.Elapsed);
                }

                foreach (var key in keys)
                {
                    var name = KeysPrefix + Path.GetRelativePath(files.Keys, key).Replace('\\', '/');
                    zip.CreateEntryFromFile(key, name);
                    contents.Add(new JsonObject { ["entry"] = name, ["kind"] = "key", ["bytes"] = new FileInfo(key).Length });
                    progress.Report(++done, watch.Elapsed);
                }

                var manifest = new JsonObject
                {
                    ["format"] = Format,
                    ["created"] = DateTimeOffset.UtcNow,
                    ["product"] = typeof(BackupCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
                    ["contents"] = contents,
                    ["searchIndex"] = "not included: restore rebuilds it from the grain store",
                };
                await using var writer = zip.CreateEntry(ManifestEntry).Open();
                await JsonSerializer.SerializeAsync(writer, manifest, new JsonSerializerOptions { WriteIndented = true });
            }

            File.Move(partial, target, overwrite: false);
        }
        finally
        {
            File.Delete(partial);
            Directory.Delete(scratch, recursive: true);
        }

        progress.Finish(watch.Elapsed);
        await output.WriteLineAsync($"Backed up {contents.Count} parts to {target} ({new FileInfo(target).Length:N0} bytes).");
        return 0;
    }

    /// <summary>Copies a live database with SQLite's online backup API into the zip.</summary>
    private static JsonObject AddDatabase(ZipArchive zip, string path, string entry, string kind, string scratch)
    {
        var copy = Path.Combine(scratch, entry);
        using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
        {
            source.Open();
            destination.Open();
            source.BackupDatabase(destination);
        }

        zip.CreateEntryFromFile(copy, entry);
        return new JsonObject { ["entry"] = entry, ["kind"] = kind, ["bytes"] = new FileInfo(copy).Length };
    }

    private static async Task<int> RestoreAsync(string[] args, TextWriter output, TextWriter error)
    {
        var rest = args.Skip(1).ToList();
        var force = rest.Remove("--force");
        if (!CommandLine.TryParse(rest.ToArray(), ["from"], out var line, out var usage) || !line.Options.TryGetValue("from", out var from))
        {
            await error.WriteLineAsync(usage.Length > 0 ? usage : "restore needs --from FILE.");
            await error.WriteLineAsync(RestoreUsage);
            return CommandLine.UsageExitCode;
        }

        from = CommandLine.CallersPath(from);
        if (!File.Exists(from))
        {
            await error.WriteLineAsync($"There is no backup at '{from}'.");
            return 1;
        }

        if (EmbeddedFiles.Resolve(line.Settings, out var files) is { } problem)
        {
            await error.WriteLineAsync(problem);
            return 1;
        }

        // Held to the end: no host may start on the folder while it is replaced (nor a restore on a host's folder).
        using var held = DataFolderLock.TryAcquire(files.DataFolder);
        if (held is null)
        {
            await error.WriteLineAsync($"The data folder '{files.DataFolder}' is in use by a host or another command. Stop it before restoring.");
            return 1;
        }

        if (await InUseAsync(files) is { } holder)
        {
            await error.WriteLineAsync(holder);
            return 1;
        }

        var existing = files.Existing().ToList();
        if (existing.Count > 0 && !force)
        {
            await error.WriteLineAsync($"The data folder is not empty ({string.Join(", ", existing)}); restore into a fresh folder (--DataPath=…), or pass --force to replace the grain store, identity database, keys and search index there.");
            return 1;
        }

        var watch = Stopwatch.StartNew();
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(from);
        }
        catch (InvalidDataException)
        {
            await error.WriteLineAsync($"'{from}' is not a marketplace backup (not a zip file).");
            return 1;
        }

        using (zip)
        {
            if (ReadManifest(zip) is not { } manifest)
            {
                await error.WriteLineAsync($"'{from}' is not a marketplace backup of format {Format} (no readable {ManifestEntry}).");
                return 1;
            }

            var entries = zip.Entries.Where(e => e.FullName != ManifestEntry && !e.FullName.EndsWith('/')).ToList();
            if (!entries.Any(e => e.FullName == GrainsEntry))
            {
                await error.WriteLineAsync($"'{from}' has no {GrainsEntry}: it is not a whole marketplace backup. Nothing was changed.");
                return 1;
            }

            // Everything is unpacked and checked beside the data first; only a backup that is whole replaces anything, so a
            // corrupt entry, a full disk or a zip bomb leaves the existing data as it was.
            var progress = new ProgressLine(output, "Restoring", entries.Count);
            var staging = Path.Combine(files.DataFolder, ".restore-" + Guid.NewGuid().ToString("N"));
            var staged = new List<(string From, string To)>();
            long done = 0;
            try
            {
                foreach (var entry in entries)
                {
                    var target = entry.FullName switch
                    {
                        GrainsEntry => files.GrainStore,
                        IdentityEntry => files.IdentityDatabase,
                        var name when name.StartsWith(KeysPrefix, StringComparison.Ordinal) => KeyPath(files.Keys, name[KeysPrefix.Length..]),
                        _ => null,
                    };
                    if (target is not null)
                    {
                        var copy = Path.Combine(staging, staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        Directory.CreateDirectory(staging);
                        entry.ExtractToFile(copy);
                        staged.Add((copy, target));
                    }

                    progress.Report(++done, watch.Elapsed);
                }

                foreach (var (copy, target) in staged.Where(p => p.To == files.GrainStore || p.To == files.IdentityDatabase))
                {
                    CheckDatabase(copy);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or SqliteException)
            {
                Directory.Delete(staging, recursive: true);
                await error.WriteLineAsync($"'{from}' could not be restored: {e.Message} Nothing was changed.");
                return 1;
            }

            files.DeleteExisting();
            foreach (var (copy, target) in staged)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(copy, target, overwrite: true);
            }

            Directory.Delete(staging, recursive: true);
            progress.Finish(watch.Elapsed);
            await output.WriteLineAsync($"Restored the backup of {manifest["created"]} ({done} parts); rebuilding the search index from the restored lots.");
        }

        // The index is not in the backup: rebuild it from the restored grain store, with reindex's own progress lines.
        return await ReindexCommand.RunAsync(["reindex", .. line.Settings], output, error, folderHeld: true);
    }

    /// <summary>Throws unless the file is a SQLite database that passes its own quick check.</summary>
    private static void CheckDatabase(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check";
        if (command.ExecuteScalar() as string != "ok")
        {
            throw new InvalidDataException("A database in the backup is not a sound SQLite database (its quick check failed).");
        }
    }

    /// <summary>A key file's place under the keys folder; an entry that would leave it is ignored.</summary>
    private static string? KeyPath(string keys, string relative)
    {
        var path = Path.GetFullPath(Path.Combine(keys, relative));
        return path.StartsWith(Path.GetFullPath(keys) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : null;
    }

    private static JsonObject? ReadManifest(ZipArchive zip)
    {
        try
        {
            using var stream = zip.GetEntry(ManifestEntry)?.Open();
            return stream is not null && JsonNode.Parse(stream) is JsonObject manifest && manifest["format"]?.GetValue<int>() == Format ? manifest : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Why the data folder is in use (a host or a reindex holds its search index's one writer lock), or null.</summary>
    private static async Task<string?> InUseAsync(EmbeddedFiles files)
    {
        if (files.Index is null || !Directory.Exists(files.Index))
        {
            return null;
        }

        try
        {
            await Marketplace.Search.Lucene.LuceneSearchEngine.Open(files.Index).DisposeAsync();
            return null;
        }
        catch (Lucene.Net.Store.LockObtainFailedException)
        {
            return $"The data folder is in use: a host (or a reindex) holds the search index in '{files.Index}'. Stop it before restoring.";
        }
    }

    /// <summary>The embedded mode's files, as the host would resolve them from the same settings.</summary>
    private sealed record EmbeddedFiles(string DataFolder, string GrainStore, string? IdentityDatabase, string Keys, string? Index)
    {
        public static string? Resolve(string[] settings, out EmbeddedFiles files)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(settings);
            var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
            var identity = builder.Configuration.GetSection(MarketplaceIdentityOptions.Section).Get<MarketplaceIdentityOptions>() ?? new MarketplaceIdentityOptions();
            var search = builder.Configuration.GetSection(SearchSettings.Section).Get<SearchSettings>() ?? new SearchSettings();
            var data = Hosting.DataFolder.Of(builder);
            var grains = Hosting.DataFolder.GrainStore(builder);
            var identityDb = identity.Store == IdentityStore.PostgreSql
                ? null
                : new SqliteConnectionStringBuilder(IdentitySetup.SqliteConnectionString(identity.ConnectionString, data)).DataSource;
            var index = search.Provider != "Lucene" ? null
                : Path.IsPathRooted(search.LucenePath) ? search.LucenePath : Path.Combine(data, search.LucenePath);
            files = new EmbeddedFiles(data, grains, identityDb, Path.Combine(data, "keys"), index);
            return storage.Provider == "Sqlite"
                ? null
                : $"backup and restore are for the embedded mode (Storage:Provider=Sqlite), not '{storage.Provider}': back up a cluster's own stores with their tools.";
        }

        /// <summary>What a restore would replace that is already there.</summary>
        public IEnumerable<string> Existing()
        {
            foreach (var file in new[] { GrainStore, IdentityDatabase })
            {
                if (file is not null && File.Exists(file))
                {
                    yield return file;
                }
            }

            foreach (var folder in new[] { Keys, Index })
            {
                if (folder is not null && Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    yield return folder;
                }
            }
        }

        public void DeleteExisting()
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { GrainStore, IdentityDatabase }.OfType<string>())
            {
                foreach (var part in new[] { file, file + "-wal", file + "-shm" })
                {
                    File.Delete(part);
                }
            }

            foreach (var folder in new[] { Keys, Index }.OfType<string>())
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }
}
