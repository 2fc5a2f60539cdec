using System.Globalization;
using Elastic.Clients.Elasticsearch;
using Elastic.Clients.Elasticsearch.Aggregations;
using Elastic.Clients.Elasticsearch.Analysis;
using Elastic.Clients.Elasticsearch.Core.Bulk;
using Elastic.Clients.Elasticsearch.Core.Search;
using Elastic.Clients.Elasticsearch.IndexManagement;
using Elastic.Clients.Elasticsearch.Mapping;
using Elastic.Clients.Elasticsearch.QueryDsl;
using Elastic.Transport;
using Elastic.Transport.Products.Elasticsearch;
using Marketplace.Domain.Geo;
using Marketplace.Domain.Materials;

namespace Marketplace.Search.Elasticsearch;

/// <summary>The search engine on an Elasticsearch cluster: one index of listing documents, created with its mapping on first use.</summary>
public sealed class ElasticsearchSearchEngine : ISearchEngine
{
    private const int FacetSize = 500;

    // The analyser that splits Finnish compounds with the search vocabulary's word list (dictionary_decompounder), as the embedded engine does.
    private const string CompoundsAnalyzer = "fi_compounds";

    // Each text field is indexed four ways (as written, English stems, Finnish stems, and as written with compounds split
    // into their parts, weighed lower); most_fields adds them up.
    private static readonly string[] TextFields =
    [
        "title^3", "title.en^3", "title.fi^3", "title.parts",
        "categoryNames^2", "categoryNames.en^2", "categoryNames.fi^2", "categoryNames.parts",
        "description", "description.en", "description.fi", "description.parts^0.5",
        "municipality", "municipality.en", "municipality.fi",
    ];

    private static readonly string[] HighlightedFields = ["title", "description"];

    private static readonly string[] HitFields =
    [
        "id", "sellerId", "title", "category", "condition", "unit", "available", "priceMinor", "currency", "municipality",
        "location", "availableFrom", "availableTo",
    ];

    private readonly ElasticsearchClientSettings _settings;
    private readonly ElasticsearchClient _client;
    private readonly string _index;
    private readonly SemaphoreSlim _indexGate = new(1, 1);
    private volatile bool _indexReady;

    /// <summary>Connects to the cluster in <paramref name="options"/>; nothing is sent until first use.</summary>
    /// <param name="options">Cluster, index and credentials.</param>
    /// <param name="configureClient">Further transport settings, e.g. a certificate fingerprint for a cluster with a self-signed certificate.</param>
    public ElasticsearchSearchEngine(ElasticsearchOptions options, Action<ElasticsearchClientSettings>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Elasticsearch options cannot be used: " + string.Join(" ", problems), nameof(options));
        }

        _index = options.IndexName;
        var settings = new ElasticsearchClientSettings(new Uri(options.Url)).RequestTimeout(options.RequestTimeout);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            settings.Authentication(new ApiKey(options.ApiKey));
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            settings.Authentication(new BasicAuthentication(options.Username, options.Password ?? ""));
        }

        configureClient?.Invoke(settings);
        _settings = settings;
        _client = new ElasticsearchClient(settings);
    }

    /// <inheritdoc />
    public string Name => "Elasticsearch";

    /// <summary>Documents per request when listing versions.</summary>
    internal int VersionsPageSize { get; init; } = 1000;

    /// <inheritdoc />
    public async Task IndexAsync(IReadOnlyCollection<ListingDocument> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count == 0)
        {
            return;
        }

        await EnsureIndexAsync(cancellationToken);
        var operations = new BulkOperationsCollection();
        foreach (var document in documents)
        {
            // External versioning makes the cluster keep whichever version is highest, whatever order the writes arrive in.
            operations.Add(new BulkIndexOperation<ListingSource>(ListingSource.From(document))
            {
                Id = document.Id,
                Version = document.Version,
                VersionType = VersionType.External,
            });
        }

        var response = await _client.BulkAsync(new BulkRequest(_index) { Operations = operations }, cancellationToken);

        // 409: the index already holds this version or a newer one, which is what should happen to a stale write.
        ThrowOnRejectedItems("indexing documents into", response, acceptedStatus: 409);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        await EnsureIndexAsync(cancellationToken);
        var operations = new BulkOperationsCollection();
        foreach (var id in ids)
        {
            operations.Add(new BulkDeleteOperation(id));
        }

        var response = await _client.BulkAsync(new BulkRequest(_index) { Operations = operations }, cancellationToken);

        // 404: already gone.
        ThrowOnRejectedItems("deleting documents from", response, acceptedStatus: 404);
    }

    /// <inheritdoc />
    public async Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        SearchValidation.Check(query);
        var cursor = SearchCursor.Decode(query);
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim();
        await EnsureIndexAsync(cancellationToken);

        var request = new SearchRequest(_index)
        {
            Query = new BoolQuery { Must = [TextQuery(text)], Filter = Filters(query) },
            Sort = SortFor(query.Sort, text is not null, query.Near),
            SearchAfter = cursor is { } after ? [SearchAfterKey(query.Sort, text is not null, after.Key), FieldValue.String(after.Id)] : null,

            // One more than asked tells whether another page follows.
            Size = query.Limit + 1,
            TrackTotalHits = true,

            // Hits carry their text score under every order, not only under relevance.
            TrackScores = text is null ? null : true,
            Source = new SourceFilter { Includes = HitFields },
            Aggregations = new Dictionary<string, Aggregation>
            {
                ["category"] = new TermsAggregation { Field = "categoryPath", Size = FacetSize },
                ["condition"] = new TermsAggregation { Field = "condition", Size = FacetSize },
                ["unit"] = new TermsAggregation { Field = "unit", Size = FacetSize },
            },
            Highlight = text is null ? null : new Highlight
            {
                // Escapes the lot's own text, so the only markup in a highlight is <em>.
                Encoder = HighlighterEncoder.Html,
                PreTags = ["<em>"],
                PostTags = ["</em>"],
                Fields =
                [
                    .. HighlightedFields.SelectMany(field => new[] { field, field + ".en", field + ".fi" })
                        .Select(field => new KeyValuePair<Field, HighlightField>(field, new HighlightField
                        {
                            // The whole title; the best passage of the description.
                            NumberOfFragments = field.StartsWith("title", StringComparison.Ordinal) ? 0 : 1,
                            FragmentSize = 160,
                        })),
                ],
            },
        };

        var response = await _client.SearchAsync<ListingSource>(request, cancellationToken);
        if (!response.IsValidResponse)
        {
            throw Failure("searching", response);
        }

        var found = response.Hits.ToList();
        var hits = found.Take(query.Limit).Select(hit => ToHit(hit, query)).ToList();
        string? next = null;
        if (found.Count > query.Limit)
        {
            var last = found[query.Limit - 1];
            next = new SearchCursor(query.Sort, PrimarySortKey(last), last.Id ?? Source(last).Id).Encode(query);
        }

        var facets = new Dictionary<string, IReadOnlyList<FacetValue>>
        {
            ["category"] = Facet(response, "category"),
            ["condition"] = Facet(response, "condition"),
            ["unit"] = Facet(response, "unit"),
        };

        var total = response.HitsMetadata?.Total?.Match(exact => exact?.Value ?? 0, count => count) ?? 0;
        return new SearchResult(hits, total, facets, next);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> VersionsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureIndexAsync(cancellationToken);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        string? after = null;
        while (true)
        {
            var request = new SearchRequest(_index)
            {
                Query = new MatchAllQuery(),
                Sort = [IdAscending()],
                SearchAfter = after is null ? null : [FieldValue.String(after)],
                Size = VersionsPageSize,
                TrackTotalHits = false,
                Source = new SourceFilter { Includes = new[] { "id", "version" } },
            };

            var response = await _client.SearchAsync<ListingSource>(request, cancellationToken);
            if (!response.IsValidResponse)
            {
                throw Failure("listing the versions in", response);
            }

            foreach (var hit in response.Hits)
            {
                var source = Source(hit);
                versions[source.Id] = source.Version;
                after = source.Id;
            }

            if (response.Hits.Count < VersionsPageSize)
            {
                return versions;
            }
        }
    }

    /// <inheritdoc />
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        // Acknowledged writes are already durable (the translog is synced per request); a refresh makes them searchable.
        await EnsureIndexAsync(cancellationToken);
        var response = await _client.Indices.RefreshAsync(_index, cancellationToken);
        if (!response.IsValidResponse)
        {
            throw Failure("refreshing", response);
        }
    }

    /// <inheritdoc />
    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        await _indexGate.WaitAsync(cancellationToken);
        try
        {
            var response = await _client.Indices.DeleteAsync(_index, cancellationToken);
            if (!response.IsValidResponse && response.ApiCallDetails.HttpStatusCode != 404)
            {
                throw Failure("deleting", response);
            }

            _indexReady = false;
        }
        finally
        {
            _indexGate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        // The settings own the HTTP connections.
        ((IDisposable)_settings).Dispose();
        _indexGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task EnsureIndexAsync(CancellationToken cancellationToken)
    {
        if (_indexReady)
        {
            return;
        }

        await _indexGate.WaitAsync(cancellationToken);
        try
        {
            if (_indexReady)
            {
                return;
            }

            var exists = await _client.Indices.ExistsAsync(_index, cancellationToken);
            if (!exists.Exists)
            {
                if (exists.ApiCallDetails.HttpStatusCode != 404)
                {
                    throw Failure("checking for", exists);
                }

                var created = await _client.Indices.CreateAsync(IndexDefinition(), cancellationToken);

                // Another host may have created it in the meantime, with the same mapping.
                if (!created.IsValidResponse && created.ElasticsearchServerError?.Error?.Type != "resource_already_exists_exception")
                {
                    throw Failure("creating", created);
                }
            }

            _indexReady = true;
        }
        finally
        {
            _indexGate.Release();
        }
    }

    private CreateIndexRequest IndexDefinition() => new(_index)
    {
        // A million lots is a few hundred MiB: one shard, and scores that do not depend on which shard a lot landed on.
        Settings = new IndexSettings
        {
            NumberOfShards = 1,
            Analysis = new IndexSettingsAnalysis
            {
                TokenFilters = new TokenFilters
                {
                    {
                        CompoundsAnalyzer,
                        new DictionaryDecompounderTokenFilter { WordList = [.. SearchVocabulary.Default.CompoundParts], MinSubwordSize = 3, MinWordSize = 6 }
                    },
                },
                Analyzers = new Analyzers
                {
                    { CompoundsAnalyzer, new CustomAnalyzer { Tokenizer = "standard", Filter = ["lowercase", CompoundsAnalyzer] } },
                },
            },
        },
        Mappings = new TypeMapping
        {
            Dynamic = DynamicMapping.Strict,
            Properties = new Properties
            {
                { "id", new KeywordProperty() },
                { "sellerId", new KeywordProperty() },
                { "status", new KeywordProperty() },
                { "version", new LongNumberProperty() },
                { "title", Text() },
                { "description", Text() },
                { "category", new KeywordProperty() },
                { "categoryPath", new KeywordProperty() },
                { "categoryNames", Text() },
                { "condition", new KeywordProperty() },
                { "conditionRank", new IntegerNumberProperty() },
                { "unit", new KeywordProperty() },
                { "available", new DoubleNumberProperty() },
                { "priceMinor", new LongNumberProperty() },
                { "currency", new KeywordProperty() },
                { "location", new GeoPointProperty() },
                { "municipality", Text() },
                { "availableFrom", new DateProperty() },
                { "availableTo", new DateProperty() },
                { "listedAt", new DateProperty() },
            },
        },
    };

    private static TextProperty Text() => new()
    {
        Analyzer = "standard",
        Fields = new Properties
        {
            { "en", new TextProperty { Analyzer = "english" } },
            { "fi", new TextProperty { Analyzer = "finnish" } },
            { "parts", new TextProperty { Analyzer = CompoundsAnalyzer } },
        },
    };

    // multi_match takes the text as words, never as query syntax, so nothing a user types is an error.
    private static Query TextQuery(string? text) => text is null
        ? new MatchAllQuery()
        : new MultiMatchQuery(text) { Fields = TextFields, Type = TextQueryType.MostFields };

    private static List<Query> Filters(SearchQuery query)
    {
        var filters = new List<Query> { new TermQuery("status", "active") };
        if (!string.IsNullOrEmpty(query.Category))
        {
            filters.Add(new TermQuery("categoryPath", query.Category));
        }

        if (query.MinCondition is not null)
        {
            filters.Add(new LongNumberRangeQuery("conditionRank") { Gte = ListingDocument.ConditionRank(query.MinCondition) });
        }

        if (query.FiltersPrice)
        {
            filters.Add(new TermQuery("currency", query.Currency));
            filters.Add(new LongNumberRangeQuery("priceMinor") { Gte = query.MinPriceMinor, Lte = query.MaxPriceMinor });
        }

        if (query.MinQuantity is { } quantity)
        {
            filters.Add(new NumberRangeQuery("available") { Gte = (double)quantity });
        }

        if (query.AvailableOn is { } day)
        {
            var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            filters.Add(new DateRangeQuery("availableFrom") { Lte = date });
            filters.Add(new DateRangeQuery("availableTo") { Gte = date });
        }

        if (query.Near is { } near && query.RadiusKm is { } radius)
        {
            filters.Add(new GeoDistanceQuery
            {
                Field = "location",
                Distance = radius.ToString("R", CultureInfo.InvariantCulture) + "km",
                Location = new LatLonGeoLocation { Lat = near.Latitude, Lon = near.Longitude },
            });
        }

        if (!string.IsNullOrEmpty(query.SellerId))
        {
            filters.Add(new TermQuery("sellerId", query.SellerId));
        }

        return filters;
    }

    private static List<SortOptions> SortFor(SearchSort sort, bool hasText, GeoPoint? near) => sort switch
    {
        SearchSort.Relevance when hasText => [new SortOptions { Score = new ScoreSort { Order = SortOrder.Desc } }, IdAscending()],
        SearchSort.Distance when near is { } centre =>
        [
            new GeoDistanceSort
            {
                Field = "location",
                Location = [new LatLonGeoLocation { Lat = centre.Latitude, Lon = centre.Longitude }],
                Order = SortOrder.Asc,
                Unit = DistanceUnit.Kilometers,
                DistanceType = GeoDistanceType.Arc,
            },
            IdAscending(),
        ],
        SearchSort.Price => [new FieldSort("priceMinor") { Order = SortOrder.Asc }, IdAscending()],
        _ => [new FieldSort("listedAt") { Order = SortOrder.Desc }, IdAscending()],
    };

    // Every order ends on the id, so hits with equal keys still have one order and a cursor one place to resume.
    private static SortOptions IdAscending() => new FieldSort("id") { Order = SortOrder.Asc };

    // search_after takes the primary key as the cluster returned it: whole numbers for prices and dates, fractions for scores and distances.
    private static FieldValue SearchAfterKey(SearchSort sort, bool hasText, double key) => sort switch
    {
        SearchSort.Relevance when hasText => FieldValue.Double(key),
        SearchSort.Distance => FieldValue.Double(key),
        _ => FieldValue.Long((long)key),
    };

    private static double PrimarySortKey(Hit<ListingSource> hit)
    {
        var value = hit.Sort?.FirstOrDefault() ?? throw new InvalidOperationException($"Elasticsearch returned hit '{hit.Id}' without sort values.");
        if (value.TryGetLong(out var whole) && whole is { } l)
        {
            return l;
        }

        if (value.TryGetDouble(out var fraction) && fraction is { } d)
        {
            return d;
        }

        throw new InvalidOperationException($"Elasticsearch returned hit '{hit.Id}' with a sort value that is not a number: {value}.");
    }

    private static ListingSource Source(Hit<ListingSource> hit)
        => hit.Source ?? throw new InvalidOperationException($"Elasticsearch returned hit '{hit.Id}' without its _source.");

    private static SearchHit ToHit(Hit<ListingSource> hit, SearchQuery query)
    {
        var s = Source(hit);
        double? distance = query.Near is not { } near ? null
            : query.Sort == SearchSort.Distance ? PrimarySortKey(hit)
            : near.DistanceKm(new GeoPoint(s.Location.Lat, s.Location.Lon));
        return new SearchHit(s.Id, s.SellerId, s.Title, s.Category, s.Condition, s.Unit, s.Available, s.PriceMinor, s.Currency, s.Municipality,
            s.Location.Lat, s.Location.Lon, s.AvailableFrom, s.AvailableTo, distance is { } km ? Math.Round(km, 3) : null, hit.Score ?? 0, Highlights(hit));
    }

    // One highlight per field: of the fragments for the field as written, English and Finnish, the one that marks the most words.
    private static List<string> Highlights(Hit<ListingSource> hit)
    {
        var highlights = new List<string>();
        if (hit.Highlight is null)
        {
            return highlights;
        }

        foreach (var field in HighlightedFields)
        {
            var best = new[] { field, field + ".en", field + ".fi" }
                .SelectMany(name => hit.Highlight.TryGetValue(name, out var fragments) ? fragments : [])
                .MaxBy(fragment => fragment.Split("<em>").Length);
            if (best is not null)
            {
                highlights.Add(best);
            }
        }

        return highlights;
    }

    private static List<FacetValue> Facet(SearchResponse<ListingSource> response, string name)
        => response.Aggregations?.GetStringTerms(name)?.Buckets
            .Select(bucket => new FacetValue(bucket.Key.TryGetString(out var value) ? value! : bucket.Key.ToString(), bucket.DocCount))
            .ToList() ?? [];

    private void ThrowOnRejectedItems(string operation, BulkResponse response, int acceptedStatus)
    {
        if (!response.ApiCallDetails.HasSuccessfulStatusCode || response.Items is null)
        {
            throw Failure(operation, response);
        }

        var rejected = response.Items.Where(item => item.Error is not null && item.Status != acceptedStatus).ToList();
        if (rejected.Count > 0)
        {
            var reasons = rejected.Take(5).Select(item => $"'{item.Id}' (HTTP {item.Status}) {item.Error!.Type}: {item.Error.Reason}");
            throw new InvalidOperationException(
                $"Elasticsearch rejected {rejected.Count} of {response.Items.Count} documents {operation} index '{_index}': {string.Join("; ", reasons)}");
        }
    }

    private InvalidOperationException Failure(string operation, ElasticsearchResponse response)
    {
        var call = response.ApiCallDetails;
        var status = call?.HttpStatusCode is { } code ? $"HTTP {code}" : "no response";
        var error = response.ElasticsearchServerError?.Error;
        var reason = error is not null
            ? $"{error.Type}: {error.Reason}" + (error.RootCause?.FirstOrDefault() is { } root && root.Reason != error.Reason ? $" ({root.Type}: {root.Reason})" : "")
            : call?.OriginalException?.Message ?? "no details";
        return new InvalidOperationException($"Elasticsearch failed {operation} index '{_index}' ({status}): {reason}", call?.OriginalException);
    }

    /// <summary>The <c>_source</c> of one listing document; camelCased by the client into the mapped field names.</summary>
    private sealed class ListingSource
    {
        public string Id { get; init; } = "";

        public string SellerId { get; init; } = "";

        public string Status { get; init; } = "";

        public long Version { get; init; }

        public string Title { get; init; } = "";

        public string Description { get; init; } = "";

        public string Category { get; init; } = "";

        public IReadOnlyList<string> CategoryPath { get; init; } = [];

        public string CategoryNames { get; init; } = "";

        public string Condition { get; init; } = "";

        public int ConditionRank { get; init; }

        public string Unit { get; init; } = "";

        public decimal Available { get; init; }

        public long PriceMinor { get; init; }

        public string Currency { get; init; } = "";

        public SourceLocation Location { get; init; } = new();

        public string? Municipality { get; init; }

        public DateOnly AvailableFrom { get; init; }

        public DateOnly AvailableTo { get; init; }

        public DateTimeOffset ListedAt { get; init; }

        public static ListingSource From(ListingDocument d) => new()
        {
            Id = d.Id,
            SellerId = d.SellerId,
            Status = d.Status,
            Version = d.Version,
            Title = d.Title,
            Description = d.Description,
            Category = d.Category,
            CategoryPath = d.CategoryPath,
            CategoryNames = d.CategoryNames,
            Condition = d.Condition,
            ConditionRank = ListingDocument.ConditionRank(d.Condition),
            Unit = d.Unit,
            Available = d.Available,
            PriceMinor = d.PriceMinor,
            Currency = d.Currency,
            Location = new SourceLocation { Lat = d.Latitude, Lon = d.Longitude },
            Municipality = d.Municipality,
            AvailableFrom = d.AvailableFrom,
            AvailableTo = d.AvailableTo,
            ListedAt = d.ListedAt,
        };
    }

    /// <summary>A geo_point as an object: <c>{"lat": .., "lon": ..}</c>.</summary>
    private sealed class SourceLocation
    {
        public double Lat { get; init; }

        public double Lon { get; init; }
    }
}
