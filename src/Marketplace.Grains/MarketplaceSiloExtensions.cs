using Azure.Data.Tables;
using Marketplace.Domain.Materials;
using Marketplace.Grains.Carbon;
using Marketplace.Grains.Common;
using Marketplace.Grains.Idempotency;
using Marketplace.Grains.Imports;
using Marketplace.Grains.Listings;
using Marketplace.Grains.Matching;
using Marketplace.Grains.Orders;
using Marketplace.Grains.Storage;
using Marketplace.Grains.Webhooks;
using Marketplace.Grains.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using System.Net;

namespace Marketplace.Grains;

/// <summary>Configures a silo for the marketplace from configuration: clustering, grain storage, reminders, serialization.</summary>
public static class MarketplaceSiloExtensions
{
    /// <summary>The configuration section bound to Orleans' <see cref="GrainCollectionOptions"/>.</summary>
    public const string GrainCollectionSection = "Orleans:GrainCollection";

    /// <summary>Adds everything the marketplace grains need, choosing providers by <c>Cluster:Provider</c> and <c>Storage:Provider</c>.</summary>
    public static ISiloBuilder AddMarketplace(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();

        silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = cluster.ServiceId;
            o.ClusterId = cluster.ClusterId;
        });
        ConfigureClustering(silo, cluster, storage);
        return silo.AddMarketplaceGrains(configuration);
    }

    /// <summary>Adds grain storage, reminders, serialization and options, leaving clustering to the caller (test clusters bring their own).</summary>
    public static ISiloBuilder AddMarketplaceGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        ConfigureStorage(silo, storage);

        silo.Services.AddMarketplaceSerializer();
        CachedGrainInterfaceTypes.AddTo(silo.Services);
        DirectPersistentStateFactory.AddTo(silo.Services);
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<MarketplaceMetrics>();
        silo.Services.TryAddSingleton(MaterialTaxonomy.Default);
        silo.Services.AddMarketplaceCarbon(configuration);
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddKeyedSingleton<TimeProvider>(MarketTime.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        silo.Services.TryAddSingleton<IListingChangeSink, NoListingChangeSink>();
        silo.Services.TryAddSingleton<IGrainStateArchive>(sp => GrainStateArchives.Open(
            storage, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId, sp.GetService<SqliteDatabase>()));
        silo.Services.TryAddSingleton<IListingArchive, ListingArchive>();
        silo.Services.TryAddSingleton<IMatchingArchive, MatchingArchive>();
        silo.Services.TryAddSingleton<IMatchEvents, NoMatchEvents>();
        StartupSweep.Add<MatchingRecovery>(silo, configuration);
        silo.Services.AddOptions<MatchingOptions>().Bind(configuration.GetSection(MatchingOptions.Section))
            .Validate(o => o.SessionLifetime >= TimeSpan.FromSeconds(1) && o.SessionLifetime <= TimeSpan.FromDays(30) && o.RecoveryBatchSize > 0,
                $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.SessionLifetime)} must be from 1 second to 30 days (holds last at most 30 days).")
            .Validate(o => o.ObserverLease >= TimeSpan.FromSeconds(1), $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.ObserverLease)} must be at least 1 second.")
            .Validate(o => o.MaxOpenDemandsPerBuyer is >= 1 and <= 100_000, $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.MaxOpenDemandsPerBuyer)} must be from 1 to 100,000.")
            .Validate(o => o.MaxProposalsPerRound is >= 1 and <= 1_000, $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.MaxProposalsPerRound)} must be 1 to 1,000.")
            .Validate(o => o.RemovedVersionRetention >= TimeSpan.FromSeconds(1), $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.RemovedVersionRetention)} must be at least 1 second.")
            .Validate(o => o.MembershipFlushInterval >= TimeSpan.FromMilliseconds(100), $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.MembershipFlushInterval)} must be at least 100 ms.")
            .Validate(o => o.RememberedPairs is >= 16 and <= 10_000_000, $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.RememberedPairs)} must be 16 to 10,000,000.")
            .Validate(o => o.MembershipPageSize is >= 64 and <= 65_536, $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.MembershipPageSize)} must be 64 to 65,536.")
            .Validate(o => o.InboxPageSize is >= 64 and <= 65_536, $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.InboxPageSize)} must be 64 to 65,536.")
            .Validate(o => o.ReconcileInterval >= TimeSpan.FromSeconds(1) && o.ReconcileBatchSize >= 0,
                $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.ReconcileInterval)} must be at least 1 second and {nameof(MatchingOptions.ReconcileBatchSize)} not negative.")
            .Validate(o => o.ReconcileSweepPeriod >= o.ReconcileInterval,
                $"{nameof(MatchingOptions)}.{nameof(MatchingOptions.ReconcileSweepPeriod)} must be at least {nameof(MatchingOptions.ReconcileInterval)}.")
            .ValidateOnStart();
        silo.Services.AddOptions<ServiceAreaOptions>().Bind(configuration.GetSection(ServiceAreaOptions.Section))
            .Validate(o => o.Area.IsValid,
                $"{nameof(ServiceAreaOptions)}: {nameof(ServiceAreaOptions.South)} and {nameof(ServiceAreaOptions.North)} must be latitudes (-90 to 90) with south below north, {nameof(ServiceAreaOptions.West)} and {nameof(ServiceAreaOptions.East)} longitudes (-180 to 180) with west below east.")
            .ValidateOnStart();
        silo.Services.AddOptions<ListingOptions>().Bind(configuration.GetSection(ListingOptions.Section))
            .Validate(o => o.SweepPeriod >= TimeSpan.FromSeconds(1), $"{nameof(ListingOptions)}.{nameof(ListingOptions.SweepPeriod)} must be at least 1 second.")
            .Validate(o => o.MaxHoldsPerBuyer is >= 1 and <= Domain.Listings.Listing.MaxActiveHolds,
                $"{nameof(ListingOptions)}.{nameof(ListingOptions.MaxHoldsPerBuyer)} must be from 1 to {Domain.Listings.Listing.MaxActiveHolds}.")
            .Validate(o => o.MaxBuyerShare is > 0m and <= 1m, $"{nameof(ListingOptions)}.{nameof(ListingOptions.MaxBuyerShare)} must be above 0 and at most 1.")
            .Validate(o => o.MaxOpenHoldsPerBuyer is >= 1 and <= 100_000, $"{nameof(ListingOptions)}.{nameof(ListingOptions.MaxOpenHoldsPerBuyer)} must be from 1 to 100,000.")
            .ValidateOnStart();
        silo.AddMarketplaceOrders(configuration);
        silo.AddMarketplaceWebhooks(configuration);
        silo.AddMarketplaceImports(configuration);
        silo.Services.AddOptions<IdempotencyOptions>().Bind(configuration.GetSection(IdempotencyOptions.Section))
            .Validate(o => o.Retention >= TimeSpan.FromSeconds(1) && o.ClaimLease > TimeSpan.Zero,
                $"{nameof(IdempotencyOptions)}.{nameof(IdempotencyOptions.Retention)} must be at least 1 second and {nameof(IdempotencyOptions.ClaimLease)} positive.")
            .ValidateOnStart();
        // Orleans' own activation collection (CollectionAge, CollectionQuantum, ClassSpecificCollectionAge,
        // EnableActivationSheddingOnMemoryPressure and its memory percentages), for operators to bound what a silo keeps
        // (docs/operations.md). Orleans checks none of it: a zero quantum divided by zero in its collector at start-up.
        silo.Services.AddOptions<GrainCollectionOptions>().Bind(configuration.GetSection(GrainCollectionSection))
            .Validate(o => o.CollectionQuantum >= TimeSpan.FromSeconds(1) && o.CollectionAge >= o.CollectionQuantum
                    && o.ClassSpecificCollectionAge.Values.All(age => age >= o.CollectionQuantum),
                $"{GrainCollectionSection}: {nameof(GrainCollectionOptions.CollectionQuantum)} must be at least 1 second, and {nameof(GrainCollectionOptions.CollectionAge)} and every {nameof(GrainCollectionOptions.ClassSpecificCollectionAge)} at least the quantum.")
            .Validate(o => o.MemoryUsageLimitPercentage is > 0 and <= 100 && o.MemoryUsageTargetPercentage > 0 && o.MemoryUsageTargetPercentage < o.MemoryUsageLimitPercentage,
                $"{GrainCollectionSection}: {nameof(GrainCollectionOptions.MemoryUsageLimitPercentage)} must be above 0 and at most 100, and {nameof(GrainCollectionOptions.MemoryUsageTargetPercentage)} above 0 and below it.")
            .ValidateOnStart();
        silo.Configure<ReminderOptions>(o =>
        {
            foreach (var section in new[] { ListingOptions.Section, OrderOptions.Section })
            {
                var sweep = configuration.GetSection(section).GetValue<TimeSpan?>(nameof(ListingOptions.SweepPeriod));
                if (sweep is { } s && s < o.MinimumReminderPeriod)
                {
                    o.MinimumReminderPeriod = s;
                }
            }
        });
        return silo;
    }

    /// <summary>Lets domain types cross grain calls as JSON; clients of the cluster need it too.</summary>
    public static IServiceCollection AddMarketplaceSerializer(this IServiceCollection services)
        => services.AddSerializer(s => s.AddJsonSerializer(MarketplaceJson.IsDomainType, MarketplaceJson.Options));

    private static void ConfigureClustering(ISiloBuilder silo, ClusterSettings cluster, StorageOptions storage)
    {
        switch (cluster.Provider)
        {
            case "Localhost":
                silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
                break;
            case "AzureStorage":
                var connection = cluster.ConnectionString ?? storage.AzureStorage.ConnectionString
                                 ?? throw new InvalidOperationException("Cluster:Provider is AzureStorage but neither Cluster:ConnectionString nor Storage:AzureStorage:ConnectionString is set.");
                silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
                // Advertise (and listen on) an address the other machines can reach: loopback would only ever join silos of one machine.
                silo.ConfigureEndpoints(cluster.ResolveAdvertisedAddress(), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
                // Orleans' defaults take 8-16 s to declare a killed host dead (and its grains answer 503 meanwhile).
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = cluster.ProbeTimeout;
                    o.NumMissedProbesLimit = cluster.MissedProbesLimit;
                    o.TableRefreshTimeout = cluster.TableRefreshTimeout;
                    o.IAmAliveTablePublishTimeout = cluster.IAmAliveTablePublishTimeout;
                });
                break;
            default:
                throw new InvalidOperationException($"Cluster:Provider '{cluster.Provider}' is not known; use Localhost or AzureStorage.");
        }
    }

    private static void ConfigureStorage(ISiloBuilder silo, StorageOptions storage)
    {
        switch (storage.Provider)
        {
            case "Sqlite":
                silo.Services.AddSingleton(_ => new SqliteDatabase(storage.Sqlite));
                silo.Services.AddKeyedSingleton<IGrainStorage>(StorageOptions.StoreName, (sp, _) =>
                    ActivatorUtilities.CreateInstance<SqliteGrainStorage>(sp, MarketplaceStorageSerializer.Instance));
                silo.AddReminders();
                silo.Services.AddSingleton<IReminderTable, SqliteReminderTable>();
                break;
            case "AzureStorage":
                var connection = storage.AzureStorage.ConnectionString
                                 ?? throw new InvalidOperationException("Storage:Provider is AzureStorage but Storage:AzureStorage:ConnectionString is not set.");
                silo.AddAzureTableGrainStorage(StorageOptions.StoreName, o =>
                {
                    o.TableServiceClient = new TableServiceClient(connection);
                    o.TableName = storage.AzureStorage.TableName;
                    o.GrainStorageSerializer = MarketplaceStorageSerializer.Instance;
                });
                silo.UseAzureTableReminderService(o => o.TableServiceClient = new TableServiceClient(connection));
                break;
            case "Memory":
                silo.AddMemoryGrainStorage(StorageOptions.StoreName, o => o.GrainStorageSerializer = MarketplaceStorageSerializer.Instance);
                silo.UseInMemoryReminderService();
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{storage.Provider}' is not known; use Sqlite, AzureStorage or Memory.");
        }
    }
}
