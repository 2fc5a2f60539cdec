using Marketplace.Host;
using Marketplace.Host.Backup;
using Marketplace.Host.Imports;
using Marketplace.Host.Search;
using Marketplace.Host.Seed;
using Marketplace.Identity;

try
{
    if (SeedCommand.Matches(args))
    {
        return await SeedCommand.RunAsync(args);
    }

    if (ReindexCommand.Matches(args))
    {
        return await ReindexCommand.RunAsync(args, Console.Out, Console.Error);
    }

    if (ImportCommand.Matches(args))
    {
        return await ImportCommand.RunAsync(args, Console.Out, Console.Error);
    }

    if (BackupCommands.Matches(args))
    {
        return await BackupCommands.RunAsync(args, Console.Out, Console.Error);
    }

    if (IdentityCommands.Matches(args))
    {
        return await IdentityCommands.RunAsync(args, silo => silo.AddMarketplaceCommandSilo(), Console.Out, Console.Error);
    }
}
catch (Marketplace.Hosting.DataFolderInUseException e)
{
    // A command on the folder of a running host (seed, import, clients, users): say so instead of a stack trace.
    Console.Error.WriteLine(e.Message);
    return 1;
}

if (args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal))
{
    // A mistyped command ("backpu") would otherwise start a whole host, with exit code 0 once stopped.
    Console.Error.WriteLine($"Unknown command '{args[0]}'. Commands: seed, reindex, import, backup, restore, clients, users; with none, the host starts (settings as --Section:Key=value).");
    return 2;
}

try
{
    var app = MarketplaceApp.Create(args);
    StartupProblem.EnsureHttpPortsFree(app.Configuration);
    if (!File.Exists(Path.Combine(app.Environment.ContentRootPath, "appsettings.json")))
    {
        // Started from another folder (`dotnet path/to/Marketplace.Host.dll`): the settings file is looked for in the
        // working folder, and without it the host runs on built-in defaults (another port, no sign-in callbacks).
        app.Logger.LogWarning("No appsettings.json in {ContentRoot}: running on built-in defaults. Start the host from the folder that holds appsettings.json, or pass --contentRoot {AppFolder}",
            app.Environment.ContentRootPath, AppContext.BaseDirectory);
    }

    await app.RunBoundedAsync();
    return 0;
}
catch (Exception e) when (StartupProblem.Explain(e) is { } explanation)
{
    Console.Error.WriteLine(explanation);
    return 1;
}
