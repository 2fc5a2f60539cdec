using System.ComponentModel.DataAnnotations;

namespace Marketplace.Search.Elasticsearch;

/// <summary>Where the Elasticsearch search engine finds its cluster and index (section <c>Search:Elasticsearch</c>).</summary>
public sealed class ElasticsearchOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string SectionName = "Search:Elasticsearch";

    /// <summary>Base URL of the cluster, e.g. <c>http://localhost:9200</c>. Required; absolute http or https.</summary>
    [Required]
    public string Url { get; set; } = "";

    /// <summary>Index holding the listing documents; created with its mapping on first use. Lower case; default <c>marketplace-listings</c>.</summary>
    public string IndexName { get; set; } = "marketplace-listings";

    /// <summary>User for basic authentication; set together with <see cref="Password"/>, or leave both empty.</summary>
    public string? Username { get; set; }

    /// <summary>Password for basic authentication.</summary>
    public string? Password { get; set; }

    /// <summary>Encoded API key (the <c>encoded</c> value Elasticsearch returns); used instead of a user and password.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Longest wait for one request to the cluster; more than zero. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these options, one message per problem; empty when they can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{nameof(Url)} must be an absolute http or https URL of the cluster, e.g. http://localhost:9200.");
        }

        if (string.IsNullOrWhiteSpace(IndexName) || IndexName != IndexName.ToLowerInvariant() || IndexName.StartsWith('_') || IndexName.StartsWith('-'))
        {
            problems.Add($"{nameof(IndexName)} must be a lower-case Elasticsearch index name that does not start with '_' or '-'.");
        }

        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
        {
            problems.Add($"{nameof(Username)} and {nameof(Password)} must be set together.");
        }

        if (!string.IsNullOrEmpty(ApiKey) && !string.IsNullOrEmpty(Username))
        {
            problems.Add($"Set either {nameof(ApiKey)} or {nameof(Username)} and {nameof(Password)}, not both.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(RequestTimeout)} must be more than zero.");
        }

        return problems;
    }
}
