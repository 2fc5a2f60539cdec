using Marketplace.Grains.Listings;
using Marketplace.Grains.Storage;
using Marketplace.Host.Api.Callers;
using Marketplace.Hosting;
using Marketplace.Hosting.Problems;
using Marketplace.Search;
using Marketplace.Search.Elasticsearch;
using Marketplace.Search.Lucene;

namespace Marketplace.Host.Search;

/// <summary>Registers the search engine chosen by <c>Search:Provider</c> and the feed that keeps it current.</summary>
public static class SearchSetup
{
    /// <summary>The provider that switches search off.</summary>
    public const string Off = "None";

    /// <summary>Rate-limit policy of the search endpoint.</summary>
    public const string RateLimitPolicy = "search";

    /// <summary>Rate-limit policy of the open-data feed.</summary>
    public const string OpenDataPolicy = "open-data";

    /// <summary>Adds the engine, the feed (as the listing grains' change sink) and the search rate limit.</summary>
    public static IHostApplicationBuilder AddMarketplaceSearch(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SearchSettings.Section);
        var settings = section.Get<SearchSettings>() ?? new SearchSettings();
        builder.Services.AddOptions<SearchSettings>().Bind(section)
            .Validate(s => s.BatchSize is >= 1 and <= 10_000, $"{nameof(SearchSettings)}.{nameof(SearchSettings.BatchSize)} must be 1 to 10,000.")
            .Validate(s => s.QueueCapacity >= 1, $"{nameof(SearchSettings)}.{nameof(SearchSettings.QueueCapacity)} must be at least 1.")
            .Validate(s => s.CommitInterval > TimeSpan.Zero, $"{nameof(SearchSettings)}.{nameof(SearchSettings.CommitInterval)} must be positive.")
            .Validate(s => s.RefreshInterval >= TimeSpan.Zero, $"{nameof(SearchSettings)}.{nameof(SearchSettings.RefreshInterval)} must not be negative.")
            .Validate(s => s.IdleMergeAfter >= TimeSpan.Zero, $"{nameof(SearchSettings)}.{nameof(SearchSettings.IdleMergeAfter)} must not be negative.")
            .Validate(s => s.BulkMergeMinLots >= 0, $"{nameof(SearchSettings)}.{nameof(SearchSettings.BulkMergeMinLots)} must not be negative.")
            .Validate(s => s.PostingsCacheMegabytes is >= 0 and <= 65_536, $"{nameof(SearchSettings)}.{nameof(SearchSettings.PostingsCacheMegabytes)} must be 0 to 65,536.")
            .Validate(s => s.HitCacheMegabytes is >= 0 and <= 65_536, $"{nameof(SearchSettings)}.{nameof(SearchSettings.HitCacheMegabytes)} must be 0 to 65,536.")
            .Validate(s => s.OpenDataPerMinute >= 1 && s.OpenDataConcurrent >= 1, $"{nameof(SearchSettings)}.{nameof(SearchSettings.OpenDataPerMinute)} and {nameof(SearchSettings.OpenDataConcurrent)} must be at least 1.")
            .ValidateOnStart();
        RefuseLuceneInCluster(builder.Configuration, settings);
        var dataFolder = DataFolder.Of(builder);
        builder.Services.AddSingleton(sp => CreateEngine(builder.Configuration, settings, dataFolder, sp.GetService<ILoggerFactory>()?.CreateLogger<LuceneSearchEngine>()));
        if (settings.Provider != Off)
        {
            builder.Services.AddSingleton<SearchFeed>();
            builder.Services.AddSingleton<IListingChangeSink>(sp => sp.GetRequiredService<SearchFeed>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SearchFeed>());
        }

        builder.Services.Configure<CallerRateLimitOptions>(o =>
        {
            o.PermitsPerMinute[RateLimitPolicy] = settings.RateLimitPerMinute;
            o.PermitsPerMinute[OpenDataPolicy] = Math.Max(1, settings.OpenDataPerMinute);
        });
        builder.Services.AddSingleton(new Api.Exports.OpenDataGate(Math.Max(1, settings.OpenDataConcurrent)));
        return builder;
    }

    /// <summary>
    /// A Lucene index is fed by the listing grains of its own host only, so in a cluster each host would find just the
    /// lots its silo happened to hold: a silently partial index. Refused, naming what to use instead.
    /// </summary>
    public static void RefuseLuceneInCluster(IConfiguration configuration, SearchSettings settings)
    {
        var cluster = configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        if (settings.Provider == "Lucene" && cluster.Provider != "Localhost")
        {
            throw new InvalidOperationException(
                $"Search:Provider is Lucene, whose index serves one host, but Cluster:Provider is {cluster.Provider}: each host would index only the lots its own silo stores "
                + "and searches would silently miss the others. Use Search:Provider=Elasticsearch (with Search:Elasticsearch:Url) for a cluster, "
                + "or Search:Provider=None to run it without search.");
        }
    }

    /// <summary>The engine named by the settings.</summary>
    public static ISearchEngine CreateEngine(IConfiguration configuration, SearchSettings settings, string dataFolder, ILogger? logger = null)
    {
        switch (settings.Provider)
        {
            case Off:
                return new SearchOff();

            case "Lucene":
                RefuseLuceneInCluster(configuration, settings);
                var path = Path.IsPathRooted(settings.LucenePath) ? settings.LucenePath : Path.Combine(dataFolder, settings.LucenePath);
                try
                {
                    return LuceneSearchEngine.Open(path, settings.RefreshInterval, settings.IdleMergeAfter > TimeSpan.Zero ? settings.IdleMergeAfter : TimeSpan.Zero, logger,
                        Math.Max(settings.BulkMergeMinLots, 0), (long)Math.Clamp(settings.PostingsCacheMegabytes, 0, 65_536) << 20,
                        (long)Math.Clamp(settings.HitCacheMegabytes, 0, 65_536) << 20);
                }
                catch (Lucene.Net.Store.LockObtainFailedException e)
                {
                    throw new InvalidOperationException(
                        $"The search index in '{path}' is in use by another process (another host, or a reindex). One index serves one host: stop the other process, or use Search:Provider=Elasticsearch for a cluster.", e);
                }

            case "Elasticsearch":
                var options = configuration.GetSection(ElasticsearchOptions.SectionName).Get<ElasticsearchOptions>() ?? new ElasticsearchOptions();
                if (string.IsNullOrWhiteSpace(options.Url))
                {
                    throw new InvalidOperationException("Search:Provider is Elasticsearch but Search:Elasticsearch:Url is empty: set it to the cluster, e.g. https://search.example:9200.");
                }

                return new ElasticsearchSearchEngine(options);

            default:
                throw new InvalidOperationException($"Search:Provider '{settings.Provider}' is not known; use Lucene, Elasticsearch or None.");
        }
    }
}
