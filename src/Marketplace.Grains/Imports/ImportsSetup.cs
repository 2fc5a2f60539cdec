using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Marketplace.Grains.Imports;

/// <summary>Registers bulk imports: their options and the importer that applies rows through the lots.</summary>
public static class ImportsSetup
{
    /// <summary>Adds <see cref="ImportOptions"/> (validated on start) and <see cref="LotImporter"/>.</summary>
    public static ISiloBuilder AddMarketplaceImports(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<ImportOptions>().Bind(configuration.GetSection(ImportOptions.Section))
            .Validate(o => o.MaxFileBytes is >= 1024 and <= 1024L * 1024 * 1024, $"{nameof(ImportOptions)}.{nameof(ImportOptions.MaxFileBytes)} must be from 1 KiB to 1 GiB.")
            .Validate(o => o.MaxRows is >= 1 and <= 1_000_000, $"{nameof(ImportOptions)}.{nameof(ImportOptions.MaxRows)} must be from 1 to 1,000,000.")
            .Validate(o => o.MaxFieldLength is >= 100 and <= 1_000_000, $"{nameof(ImportOptions)}.{nameof(ImportOptions.MaxFieldLength)} must be from 100 to 1,000,000.")
            .Validate(o => o.MaxConcurrent is >= 1 and <= 64, $"{nameof(ImportOptions)}.{nameof(ImportOptions.MaxConcurrent)} must be from 1 to 64.")
            .Validate(o => o.Concurrency is >= 1 and <= 1024, $"{nameof(ImportOptions)}.{nameof(ImportOptions.Concurrency)} must be from 1 to 1,024.")
            .Validate(o => o.BatchSize is >= 1 and <= 100_000, $"{nameof(ImportOptions)}.{nameof(ImportOptions.BatchSize)} must be from 1 to 100,000.")
            .Validate(o => o.ProgressInterval >= TimeSpan.FromMilliseconds(50) && o.InterruptedAfter > o.ProgressInterval,
                $"{nameof(ImportOptions)}.{nameof(ImportOptions.ProgressInterval)} must be at least 50 ms and {nameof(ImportOptions.InterruptedAfter)} longer.")
            .ValidateOnStart();
        silo.Services.AddSingleton<LotImporter>();
        return silo;
    }
}
