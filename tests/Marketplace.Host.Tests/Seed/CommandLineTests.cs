using Marketplace.Host.Search;
using Marketplace.Host.Seed;
using Marketplace.Hosting;
using Marketplace.Identity;

namespace Marketplace.Host.Tests.Seed;

/// <summary>One parser for every command: both option forms, host settings passed through, unknown options refused with exit code 2.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--listings=50")]
    [InlineData("--listings 50")]
    public void Seed_BothOptionForms_SeedTheAskedNumber(string option)
    {
        Assert.True(SeedCommand.TryParse(["seed", .. option.Split(' '), "--Storage:Provider=Memory", "--DataPath", "/tmp/x"], out var count, out var settings, out var error), error);

        Assert.Equal(50, count);
        Assert.Equal(["--Storage:Provider=Memory", "--DataPath=/tmp/x"], settings);
    }

    [Theory]
    [InlineData("--listing=50")]
    [InlineData("--count", "50")]
    [InlineData("listings")]
    public void Seed_UnknownOption_IsRefusedNamingIt(params string[] args)
    {
        Assert.False(SeedCommand.TryParse(["seed", .. args], out _, out _, out var error));
        Assert.Contains(args[0].Split('=')[0], error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OptionWithoutValue_IsRefused()
    {
        Assert.False(CommandLine.TryParse(["--listings", "--Storage:Provider=Memory"], ["listings"], out _, out var error));
        Assert.Contains("--listings needs a value", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_UnknownOption_ExitsWith2()
        => Assert.Equal(2, await SeedCommand.RunAsync(["seed", "--listing=50"]));

    [Fact]
    public async Task Reindex_UnknownOption_ExitsWith2WithAMessage()
    {
        var error = new StringWriter();
        Assert.Equal(2, await ReindexCommand.RunAsync(["reindex", "--force"], TextWriter.Null, error));
        Assert.Contains("Unknown option '--force'", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clients", "create", "--trader=x", "--nmae=y")]
    [InlineData("clients", "list", "--trader", "x", "--email", "y")]
    [InlineData("users", "make-admin", "--mail=a@b.example")]
    public async Task IdentityCommands_UnknownOption_ExitsWith2WithAMessage(params string[] args)
    {
        var error = new StringWriter();
        Assert.Equal(2, await IdentityCommands.RunAsync(args, silo => silo.AddMarketplaceCommandSilo(), TextWriter.Null, error));
        Assert.Contains("Unknown option", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Name the firm with --trader", "clients", "create", "--name=ERP")]
    [InlineData("Name the firm with --trader", "clients", "list")]
    [InlineData("Name the client with --client", "clients", "revoke", "--trader=x")]
    [InlineData("Name the person with --email", "users", "make-admin", "--email=")]
    public async Task IdentityCommands_MissingRequiredOption_ExitsWith2BeforeStartingASilo(string message, params string[] args)
    {
        var error = new StringWriter();
        var started = false;
        Assert.Equal(2, await IdentityCommands.RunAsync(args, _ => started = true, TextWriter.Null, error));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(error.ToString(), message));
        Assert.False(started);
    }

    /// <summary>
    /// A file named on the command line is found from the folder the person typed it in (the shell's PWD), not the
    /// project folder <c>dotnet run</c> starts the host in; without a usable PWD, from the process's folder.
    /// </summary>
    [Fact]
    public void CallersPath_IsFromTheShellsFolder()
    {
        var shell = Directory.CreateTempSubdirectory("callers-").FullName;
        var project = Path.Combine(Path.GetTempPath(), "project");
        try
        {
            Assert.Equal(Path.Combine(shell, "surplus.csv"), CommandLine.CallersPath("surplus.csv", shell, project));
            Assert.Equal(Path.Combine(shell, "backups", "a.zip"), CommandLine.CallersPath("backups/a.zip", shell, project));
            Assert.Equal(Path.Combine(project, "surplus.csv"), CommandLine.CallersPath("surplus.csv", null, project));
            Assert.Equal(Path.Combine(project, "surplus.csv"), CommandLine.CallersPath("surplus.csv", "relative/folder", project));
            Assert.Equal(Path.Combine(project, "surplus.csv"), CommandLine.CallersPath("surplus.csv", Path.Combine(shell, "gone"), project));
            Assert.Equal("/abs/file.csv", CommandLine.CallersPath("/abs/file.csv", shell, project));
        }
        finally
        {
            Directory.Delete(shell, recursive: true);
        }
    }

    [Fact]
    public void FirmTable_NamesEveryDemoFirm_ItsRoles_AndALot()
    {
        var catalogue = SeedCatalogue.Load();
        var table = SeedCommand.FirmTable(catalogue, 50, new DateOnly(2026, 11, 29));
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        foreach (var firm in catalogue.Firms)
        {
            var line = Assert.Single(lines, l => l.StartsWith(SeedCommand.FirmId(firm) + " ", StringComparison.Ordinal));
            Assert.Contains(string.Join(",", firm.Roles), line, StringComparison.Ordinal);
            Assert.Matches(@"seed-lot-\d{7}\s*$", line);
        }
    }
}
