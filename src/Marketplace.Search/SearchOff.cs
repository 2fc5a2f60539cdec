namespace Marketplace.Search;

/// <summary>
/// The engine when search is switched off (<c>Search:Provider=None</c>): nothing is indexed and every query is refused
/// with <see cref="SearchOffException"/>, so a deployment without a search cluster says so instead of answering with
/// an empty or partial index.
/// </summary>
public sealed class SearchOff : ISearchEngine
{
    /// <inheritdoc />
    public string Name => "None";

    /// <inheritdoc />
    public Task IndexAsync(IReadOnlyCollection<ListingDocument> documents, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<SearchResult> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default) => throw new SearchOffException();

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, long>> VersionsAsync(CancellationToken cancellationToken = default) => throw new SearchOffException();

    /// <inheritdoc />
    public Task CommitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task ClearAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Search is switched off on this deployment (<c>Search:Provider=None</c>).</summary>
public sealed class SearchOffException() : Exception("Search is switched off on this deployment (Search:Provider=None).");
