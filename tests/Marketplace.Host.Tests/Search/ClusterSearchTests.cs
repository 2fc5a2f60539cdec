using System.Net;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Search;

/// <summary>
/// A Lucene index is fed only by its own host's grains, so in a cluster it would be silently partial: the host refuses
/// that configuration and says what to use; with search switched off, searches say so instead of finding nothing.
/// </summary>
public class ClusterSearchTests
{
    [Fact]
    public void Start_LuceneInClusterMode_RefusesNamingElasticsearch()
    {
        var failure = Assert.ThrowsAny<Exception>(() => MarketplaceApp.Create(
            ["--Cluster:Provider=AzureStorage", "--Cluster:ConnectionString=UseDevelopmentStorage=true", "--Storage:Provider=Memory", "--Search:Provider=Lucene", $"--DataPath={MarketplaceServer.NewDataPath()}"]));

        var explanation = StartupProblem.Explain(failure);
        Assert.NotNull(explanation);
        Assert.StartsWith("Configuration error: Search:Provider is Lucene", explanation);
        Assert.Contains("Search:Provider=Elasticsearch", explanation);
    }

    [Fact]
    public async Task Search_WithSearchSwitchedOff_Is503SearchOff()
    {
        await using var server = await MarketplaceServer.StartAsync(new() { ["Search:Provider"] = "None" });

        var response = await server.Client().GetAsync("/api/v1/listings/search?q=brick");

        await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "search-off");
        // The open data feed reads the index too: refused before its stream starts.
        await ProblemAsync(await server.Client().GetAsync("/api/v1/open-data/lots"), HttpStatusCode.ServiceUnavailable, "search-off");
    }
}
