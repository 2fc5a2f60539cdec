using Marketplace.Host;
using Marketplace.Host.Seed;

if (SeedCommand.Matches(args))
{
    return await SeedCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddMarketplaceSilo();
builder.Services.AddMarketplaceApi();

var app = builder.Build();
app.UseMarketplaceApi();
app.MapMarketplaceApi();
await app.RunAsync();
return 0;

/// <summary>The host's entry point, visible to the API tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
