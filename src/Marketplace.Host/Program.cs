using Marketplace.Host;
using Marketplace.Host.Seed;

if (SeedCommand.Matches(args))
{
    return await SeedCommand.RunAsync(args);
}

try
{
    var app = MarketplaceApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartupProblem.Explain(e) is { } explanation)
{
    Console.Error.WriteLine(explanation);
    return 1;
}
