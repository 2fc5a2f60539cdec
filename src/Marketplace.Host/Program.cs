using Marketplace.Host;
using Marketplace.Host.Seed;

if (SeedCommand.Matches(args))
{
    return await SeedCommand.RunAsync(args);
}

var app = MarketplaceApp.Create(args);
await app.RunAsync();
return 0;
