using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Marketplace.Host.Backup;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Backup;

/// <summary>
/// <c>backup</c> takes an online copy of a running host's data folder; <c>restore</c> puts it into a fresh folder
/// where a new host finds the lots (by id and by search), the demand and the firm's sign-in (its token still works).
/// </summary>
public class BackupCommandTests
{
    [Fact]
    public async Task Backup_OfARunningHost_RestoredIntoAFreshFolder_ServesEverything()
    {
        var serviceId = "backup-" + Guid.NewGuid().ToString("N")[..8];
        var original = Directory.CreateTempSubdirectory("marketplace-backup-a-").FullName;
        var fresh = Directory.CreateTempSubdirectory("marketplace-backup-b-").FullName;
        var file = Path.Combine(Directory.CreateTempSubdirectory("marketplace-backup-file-").FullName, "marketplace.zip");
        try
        {
            var lots = new List<string>();
            string seller, buyer, demand;
            await using (var server = await MarketplaceServer.StartAsync(Settings(original, serviceId)))
            {
                seller = await RegisterFirmAsync(server, "seller");
                buyer = await RegisterFirmAsync(server, "buyer");
                for (var i = 0; i < 12; i++)
                {
                    lots.Add(await ActiveLotAsync(server, seller, 100 + i));
                }

                demand = await DemandAsync(server, buyer);

                // Online: the host keeps running while the backup is taken.
                var (rc, output, error) = await RunAsync(["backup", "--to", file, .. Arguments(original, serviceId)]);
                Assert.True(rc == 0, error);
                Assert.Contains("Backing up: done", output, StringComparison.Ordinal);

                // A data folder held by a host is never restored over, even with --force.
                (rc, _, error) = await RunAsync(["restore", "--from", file, "--force", .. Arguments(original, serviceId)]);
                Assert.Equal(1, rc);
                Assert.Contains("in use", error, StringComparison.Ordinal);

                // Nor does a command that opens its own silo (seed, import, clients, users) run on that folder.
                await Assert.ThrowsAsync<Marketplace.Hosting.DataFolderInUseException>(() => Marketplace.Identity.IdentityCommands.RunAsync(
                    ["clients", "list", "--trader", seller, .. Arguments(original, serviceId)], silo => silo.AddMarketplaceCommandSilo(), TextWriter.Null, TextWriter.Null));

                // Nor reindex, which would clear the index the host is serving.
                var reindexError = new StringWriter();
                Assert.Equal(1, await Marketplace.Host.Search.ReindexCommand.RunAsync(["reindex", .. Arguments(original, serviceId)], TextWriter.Null, reindexError));
                Assert.Contains("in use by another host or command", reindexError.ToString(), StringComparison.Ordinal);
            }

            using (var zip = ZipFile.OpenRead(file))
            {
                var manifest = JsonNode.Parse(zip.GetEntry("manifest.json")!.Open())!;
                Assert.Equal(BackupCommands.Format, manifest["format"]!.GetValue<int>());
                var entries = manifest["contents"]!.AsArray().Select(c => c!["entry"]!.GetValue<string>()).ToList();
                Assert.Contains("grains.db", entries);
                Assert.Contains("identity.db", entries);
                Assert.Contains("keys/signing.pem", entries);
                Assert.Contains(entries, e => e.StartsWith("keys/data-protection/", StringComparison.Ordinal));
            }

            var (restored, restoreOutput, restoreError) = await RunAsync(["restore", "--from", file, .. Arguments(fresh, serviceId)]);
            Assert.True(restored == 0, restoreError);
            Assert.Contains("Restoring: done", restoreOutput, StringComparison.Ordinal);
            Assert.Contains("Indexed 12 lots", restoreOutput, StringComparison.Ordinal);

            // The fresh folder is now in use by the restored data: a second restore needs --force.
            var (again, _, againError) = await RunAsync(["restore", "--from", file, .. Arguments(fresh, serviceId)]);
            Assert.Equal(1, again);
            Assert.Contains("not empty", againError, StringComparison.Ordinal);

            // A backup whose grain store is not a database changes nothing, even with --force: it is checked before anything is replaced.
            var broken = Path.Combine(Path.GetDirectoryName(file)!, "broken.zip");
            File.Copy(file, broken);
            using (var zip = ZipFile.Open(broken, ZipArchiveMode.Update))
            {
                zip.GetEntry("grains.db")!.Delete();
                await using var garbage = zip.CreateEntry("grains.db").Open();
                await garbage.WriteAsync(new byte[64 * 1024].Select((_, i) => (byte)(i * 31)).ToArray());
            }

            var before = await File.ReadAllBytesAsync(Path.Combine(fresh, "marketplace.db"));
            var (forced, _, forcedError) = await RunAsync(["restore", "--from", broken, "--force", .. Arguments(fresh, serviceId)]);
            Assert.Equal(1, forced);
            Assert.Contains("Nothing was changed", forcedError, StringComparison.Ordinal);
            Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(fresh, "marketplace.db")));
            Assert.True(Directory.Exists(Path.Combine(fresh, "keys")), "the keys were deleted by a refused restore");

            // A backup never replaces an existing file (an older backup, the grain store itself), and only its owner reads it.
            var (overwrite, _, overwriteError) = await RunAsync(["backup", "--to", file, .. Arguments(fresh, serviceId)]);
            Assert.Equal(1, overwrite);
            Assert.Contains("already exists", overwriteError, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            await using (var server = await MarketplaceServer.StartAsync(Settings(fresh, serviceId)))
            {
                // The tokens issued by the original host still work: the identity database and keys came along.
                using var sellerClient = server.Client(seller);
                foreach (var lot in lots)
                {
                    var read = await ReadAsync(await sellerClient.GetAsync($"/api/v1/listings/{lot}"), HttpStatusCode.OK);
                    Assert.Equal(lot, read["id"]!.GetValue<string>());
                }

                using var buyerClient = server.Client(buyer);
                await ReadAsync(await buyerClient.GetAsync($"/api/v1/demands/{demand}"), HttpStatusCode.OK);
                var found = await ReadAsync(await server.Client().GetAsync("/api/v1/listings/search?q=bricks&limit=50"), HttpStatusCode.OK);
                Assert.Equal(lots.Order(), found["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).Order());
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var folder in new[] { original, fresh, Path.GetDirectoryName(file)! })
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("backup")]
    [InlineData("backup", "--to")]
    [InlineData("backup", "--to", "x.zip", "--bogus", "1")]
    [InlineData("restore")]
    [InlineData("restore", "--from", "x.zip", "--bogus", "1")]
    public async Task BadArguments_ExitWithTwo_AndShowUsage(params string[] args)
    {
        var (rc, _, error) = await RunAsync(args);
        Assert.Equal(2, rc);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_OfAFileThatIsNotABackup_SaysSo()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-backup-c-").FullName;
        var text = Path.Combine(folder, "text.zip");
        var empty = Path.Combine(folder, "empty.zip");
        await File.WriteAllTextAsync(text, "hello");
        ZipFile.CreateFromDirectory(Directory.CreateDirectory(Path.Combine(folder, "nothing")).FullName, empty);
        try
        {
            foreach (var file in new[] { text, empty })
            {
                var (rc, _, error) = await RunAsync(["restore", "--from", file, .. Arguments(Path.Combine(folder, "data"), "x")]);
                Assert.Equal(1, rc);
                Assert.Contains("is not a marketplace backup", error, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Dictionary<string, string?> Settings(string folder, string serviceId) => new()
    {
        ["Storage:Provider"] = "Sqlite",
        ["Storage:Sqlite:Path"] = Path.Combine(folder, "marketplace.db"),
        ["DataPath"] = folder,
        ["Cluster:ServiceId"] = serviceId,

        // Both hosts answer under one public address, as a restored production host would (test hosts get a new port each).
        ["Identity:Issuer"] = "https://marketplace.test/",
    };

    private static string[] Arguments(string folder, string serviceId)
        => Settings(folder, serviceId).Select(kv => $"--{kv.Key}={kv.Value}").ToArray();

    private static async Task<(int Rc, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var rc = await BackupCommands.RunAsync(args, output, error);
        return (rc, output.ToString(), error.ToString());
    }
}
