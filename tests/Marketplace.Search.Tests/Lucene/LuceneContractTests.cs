using Marketplace.Search.Lucene;
using Marketplace.Search.Tests.Contract;

namespace Marketplace.Search.Tests.Lucene;

/// <summary>The engine contract against the embedded Lucene.Net engine, on an index in a temporary folder.</summary>
public sealed class LuceneContractTests : SearchEngineContract, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "marketplace-lucene-" + Guid.NewGuid().ToString("N"));

    protected override Task<ISearchEngine> CreateEngineAsync() => Task.FromResult<ISearchEngine>(LuceneSearchEngine.Open(_folder));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
