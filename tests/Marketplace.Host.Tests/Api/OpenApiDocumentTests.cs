using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Marketplace.Host.Tests.Api;

/// <summary>
/// The OpenAPI document the running host serves passes <c>@redocly/cli</c>'s recommended rules with no error and no
/// warning. Redocly comes from <c>infra/dev/package-lock.json</c> (installed by <c>npm ci</c> there, which
/// <c>./test.sh</c> runs through <c>infra/dev/azurite-start.sh</c>), so CI fails when the description regresses.
/// </summary>
[Collection(ApiCollection.Name)]
public class OpenApiDocumentTests(ServerFixture fixture)
{
    private MarketplaceServer Server => fixture.Server;

    [Fact]
    public async Task OpenApiDocument_RedoclyRecommendedRules_NoErrorAndNoWarning()
    {
        using var client = Server.Client();
        var document = await client.GetStringAsync("/openapi/v1.json");
        var file = Path.Combine(Path.GetTempPath(), $"marketplace-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document);
        try
        {
            var (exit, output, errors) = await RedoclyAsync("lint", file, "--format=json");
            var report = JsonNode.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..])!;
            var problems = report["problems"]!.AsArray()
                .Select(p => $"{p!["severity"]} {p["ruleId"]}: {p["message"]} at {string.Join(", ", p["location"]!.AsArray().Select(l => l!["pointer"]?.GetValue<string>()))}")
                .ToArray();
            Assert.True(problems.Length == 0 && exit == 0,
                $"redocly lint exited {exit} with {problems.Length} problems:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}{Environment.NewLine}{errors}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// <c>docs/openapi-v1.json</c>, from which the typed client of <c>TypedClientTests</c> is generated at build,
    /// is the document the host serves (less its <c>servers</c>, which name the address it was called at). After an API
    /// change, refresh it with <c>MARKETPLACE_WRITE_OPENAPI=1 dotnet test tests/Marketplace.Host.Tests --filter OpenApiDocumentTests</c>.
    /// </summary>
    [Fact]
    public async Task CommittedDescription_IsTheServedDocument()
    {
        using var client = Server.Client();
        var served = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        served.Remove("servers");
        var text = served.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var path = Path.Combine(Path.GetDirectoryName(DevFolder())!, "..", "docs", "openapi-v1.json");
        if (Environment.GetEnvironmentVariable("MARKETPLACE_WRITE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, text);
        }

        var committed = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        Assert.True(committed == text,
            "docs/openapi-v1.json is not the document the host serves: refresh it with "
            + "MARKETPLACE_WRITE_OPENAPI=1 dotnet test tests/Marketplace.Host.Tests --filter OpenApiDocumentTests, and rebuild (the typed client is generated from it).");
    }

    /// <summary>The repository's <c>infra/dev</c> folder, where the locked <c>@redocly/cli</c> is installed.</summary>
    internal static string DevFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Marketplace.sln")))
            {
                return Path.Combine(dir.FullName, "infra", "dev");
            }
        }

        throw new InvalidOperationException("Marketplace.sln not found above the test assembly.");
    }

    /// <summary>Runs <c>npx --no-install redocly</c> in <c>infra/dev</c>: exit code, standard output and standard error.</summary>
    private static async Task<(int Exit, string Output, string Errors)> RedoclyAsync(params string[] args)
    {
        var dev = DevFolder();
        Assert.True(File.Exists(Path.Combine(dev, "node_modules", ".bin", "redocly")),
            $"@redocly/cli is not installed in {dev}: run `npm ci` there (./test.sh does, through infra/dev/azurite-start.sh).");
        var start = new ProcessStartInfo("npx") { WorkingDirectory = dev, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--no-install", "redocly" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
