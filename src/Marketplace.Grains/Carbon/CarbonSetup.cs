using Marketplace.Domain.Carbon;
using Marketplace.Domain.Materials;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marketplace.Grains.Carbon;

/// <summary>Registers the carbon calculator over the configured emission-factor file.</summary>
public static class CarbonSetup
{
    /// <summary>
    /// Binds <see cref="CarbonOptions"/> (validated on start, the factor file included) and registers
    /// <see cref="ICarbonCalculator"/> and <see cref="EmissionFactors"/> as singletons.
    /// </summary>
    public static IServiceCollection AddMarketplaceCarbon(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CarbonOptions>().Bind(configuration.GetSection(CarbonOptions.Section))
            .Validate(o => o.LedgerDedupeMonths is >= 1 and <= 24, $"{nameof(CarbonOptions)}.{nameof(CarbonOptions.LedgerDedupeMonths)} must be from 1 to 24.")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CarbonOptions>, FactorFileValidation>());
        services.TryAddSingleton(MaterialTaxonomy.Default);
        services.TryAddSingleton(sp => Load(sp.GetRequiredService<IOptions<CarbonOptions>>().Value, sp));
        services.TryAddSingleton<ICarbonCalculator>(sp => new CarbonCalculator(sp.GetRequiredService<EmissionFactors>()));
        return services;
    }

    private static EmissionFactors Load(CarbonOptions options, IServiceProvider services)
    {
        var taxonomy = services.GetRequiredService<MaterialTaxonomy>();
        if (string.IsNullOrWhiteSpace(options.FactorFile))
        {
            return ReferenceEquals(taxonomy, MaterialTaxonomy.Default) ? EmissionFactors.Default : EmissionFactors.Parse(EmissionFactors.ReadEmbedded(), taxonomy);
        }

        var root = services.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
        var path = Path.GetFullPath(options.FactorFile, root);
        try
        {
            return EmissionFactors.Parse(File.ReadAllText(path), taxonomy);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{CarbonOptions.Section}:{nameof(CarbonOptions.FactorFile)} '{path}' cannot be used: {e.Message}", e);
        }
    }

    /// <summary>Reads and checks the factor file on start, so a bad file stops the host with the row it found wrong.</summary>
    private sealed class FactorFileValidation(IServiceProvider services) : IValidateOptions<CarbonOptions>
    {
        public ValidateOptionsResult Validate(string? name, CarbonOptions options)
        {
            try
            {
                Load(options, services);
                return ValidateOptionsResult.Success;
            }
            catch (InvalidOperationException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
