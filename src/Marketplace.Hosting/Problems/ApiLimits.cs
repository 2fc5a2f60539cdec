namespace Marketplace.Hosting.Problems;

/// <summary>Limits every API request is held to.</summary>
public static class ApiLimits
{
    /// <summary>Largest request body accepted (1 MiB); larger bodies get 413.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>
    /// Longest address (path and query) a request may have, in characters; longer ones get 414 with a problem document
    /// or the error page. Long input belongs in a body.
    /// </summary>
    public const int MaxRequestTargetLength = 8 * 1024;

    /// <summary>
    /// Longest request line the web server itself reads (64 KiB): far above <see cref="MaxRequestTargetLength"/>, so an
    /// address between the two gets the marketplace's 414 instead of the server's bare one.
    /// </summary>
    public const int MaxRequestLineBytes = 64 * 1024;
}
