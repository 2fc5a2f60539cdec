using Marketplace.Search.Elasticsearch;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Elasticsearch;

/// <summary>
/// The engine contract against a real Elasticsearch cluster named by <c>ELASTICSEARCH_URL</c> (optionally with
/// <c>ELASTICSEARCH_USERNAME</c>/<c>ELASTICSEARCH_PASSWORD</c> or <c>ELASTICSEARCH_API_KEY</c>), each test on an index of its own.
/// </summary>
public class ElasticsearchContractTests : SearchEngineContract
{
    private static readonly string? Url = Environment.GetEnvironmentVariable("ELASTICSEARCH_URL");

    private readonly string _indexName = "marketplace-contract-" + Guid.NewGuid().ToString("N");
    private ElasticsearchSearchEngine? _engine;

    protected override string? SkipReason => string.IsNullOrWhiteSpace(Url)
        ? "ELASTICSEARCH_URL is not set: the Elasticsearch contract suite runs only against a real cluster (e.g. ELASTICSEARCH_URL=http://localhost:9200)"
        : null;

    protected override Task<ISearchEngine> CreateEngineAsync()
    {
        _engine = new ElasticsearchSearchEngine(new ElasticsearchOptions
        {
            Url = Url!,
            IndexName = _indexName,
            Username = NullIfEmpty(Environment.GetEnvironmentVariable("ELASTICSEARCH_USERNAME")),
            Password = NullIfEmpty(Environment.GetEnvironmentVariable("ELASTICSEARCH_PASSWORD")),
            ApiKey = NullIfEmpty(Environment.GetEnvironmentVariable("ELASTICSEARCH_API_KEY")),
        });
        return Task.FromResult<ISearchEngine>(_engine);
    }

    /// <summary>Deletes this test's index, then lets the contract dispose of the engine.</summary>
    public override async Task DisposeAsync()
    {
        try
        {
            if (_engine is not null)
            {
                await _engine.ClearAsync();
            }
        }
        finally
        {
            await base.DisposeAsync();
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
