using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Tests.Silo;

/// <summary>Options as a silo set up by <c>AddMarketplaceGrains</c> reads them from configuration (validated on access).</summary>
public static class SiloOptions
{
    /// <summary>The options of type <typeparamref name="T"/> given <paramref name="settings"/>.</summary>
    public static T Of<T>(Dictionary<string, string?> settings)
        where T : class
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseLocalhostClustering().AddMarketplaceGrains(configuration));
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<T>>().Value;
    }
}
