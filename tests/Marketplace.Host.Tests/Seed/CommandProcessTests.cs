using Marketplace.Host.Seed;

namespace Marketplace.Host.Tests.Seed;

/// <summary>The one-off commands as an operator runs them: the built host in its own process, its console output read whole.</summary>
public class CommandProcessTests
{
    [Fact]
    public async Task SeedThenClientsCreate_WithOnlyDataPath_KeepTheGrainStoreInIt_AndPrintNoWarningsOrErrors()
    {
        var folder = Directory.CreateTempSubdirectory("marketplace-commands-").FullName;
        try
        {
            string[] settings =
            [
                $"--DataPath={folder}",
                $"--Cluster:ServiceId=cmd-{Guid.NewGuid():N}"[..30],
                $"--Cluster:SiloPort={MarketplaceServer.FreePort()}",
                $"--Cluster:GatewayPort={MarketplaceServer.FreePort()}",
            ];

            var (seedRc, seeded) = await HostProcess.RunCommandAsync(["seed", "--listings", "300", .. settings], TimeSpan.FromMinutes(2));
            Assert.True(seedRc == 0, $"exit {seedRc}: {seeded}");
            Assert.Contains("Seeded 20 firms, 300 lots", seeded, StringComparison.Ordinal);
            // DataPath alone moves the grain store with the identity store and keys (a container's volume, a restore's target).
            Assert.True(File.Exists(Path.Combine(folder, "marketplace.db")), $"no grain store in {folder}: {string.Join(", ", Directory.GetFiles(folder))}");

            // The silo opened for the command holds 300 lots to rebuild partitions from; the command ends without cutting
            // that rebuild short into a screen of failed calls.
            var seller = SeedCommand.FirmId(SeedCatalogue.Load().Firms.First(f => f.Roles.Contains("seller")));
            var (rc, created) = await HostProcess.RunCommandAsync(
                ["clients", "create", "--trader", seller, "--name", "Kierto", "--scopes", "listings.read", .. settings], TimeSpan.FromMinutes(2));
            Assert.True(rc == 0, $"exit {rc}: {created}");
            Assert.Contains("client_id:", created, StringComparison.Ordinal);

            // A mistyped command is refused, not taken for a host to start.
            var (typoRc, typo) = await HostProcess.RunCommandAsync(["backpu", .. settings], TimeSpan.FromMinutes(1));
            Assert.True(typoRc == 2, $"exit {typoRc}: {typo}");
            Assert.Contains("Unknown command 'backpu'", typo, StringComparison.Ordinal);

            foreach (var (name, output) in new[] { ("seed", seeded), ("clients create", created) })
            {
                var noisy = output.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal)
                    || l.StartsWith("crit:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).ToArray();
                Assert.True(noisy.Length == 0, $"{name} printed {noisy.Length} warning or error line(s):\n{output}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
